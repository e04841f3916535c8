//! Exponentially time-decayed affinity scores, decayed lazily on read.
//!
//! Each entry stores its score as of its last update. Reading (or adding to)
//! an entry decays it to the requested time first, so tracking an event costs
//! one lookup, never a pass over every entry.

use crate::limits::MAX_AFFINITIES_PER_KIND;

/// Score as of `at_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    pub score: f64,
    pub at_ms: f64,
    /// Where the key sits in the catalog (item affinities only; see [`super::CatalogHint`]).
    pub hint: super::CatalogHint,
}

/// Multiplier for `dt_ms` of elapsed time with the given half-life.
pub fn decay(dt_ms: f64, half_life_ms: f64) -> f64 {
    if dt_ms <= 0.0 || half_life_ms <= 0.0 {
        return 1.0;
    }
    (-(dt_ms / half_life_ms) * std::f64::consts::LN_2).exp()
}

/// The order of [`AffinityTable::top`]: higher score first, then by key.
fn strongest_first(a: &(&str, f64), b: &(&str, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0))
}

/// Affinities of one kind (item, category or brand), bounded in size.
///
/// A vector sorted by key: binary-search lookups, the same iteration order on
/// every platform, and at most [`MAX_AFFINITIES_PER_KIND`] entries to shift on
/// insert. (A BTreeMap did the same for 10 KB more wasm.)
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AffinityTable {
    entries: Vec<(String, Entry)>,
}

impl AffinityTable {
    /// Adds `weight` to `key` at time `at_ms`. An event older than the entry
    /// (a buffered event flushed late) is decayed to the entry's time instead.
    pub fn add(&mut self, key: &str, weight: f64, at_ms: f64, half_life_ms: f64) {
        if let Some(e) = self.find(key).and_then(|i| self.entries.get_mut(i)).map(|(_, e)| e) {
            if at_ms >= e.at_ms {
                e.score = e.score * decay(at_ms - e.at_ms, half_life_ms) + weight;
                e.at_ms = at_ms;
            } else {
                e.score += weight * decay(e.at_ms - at_ms, half_life_ms);
            }
            if e.score < 0.0 {
                e.score = 0.0;
            }
            return;
        }
        if weight <= 0.0 {
            return;
        }
        if self.entries.len() >= MAX_AFFINITIES_PER_KIND {
            self.evict_weakest(at_ms, half_life_ms);
        }
        self.insert_sorted(key.to_string(), Entry { score: weight, at_ms, hint: super::CatalogHint::default() });
    }

    fn find(&self, key: &str) -> Option<usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()
    }

    fn insert_sorted(&mut self, key: String, entry: Entry) {
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(&key)) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    slot.1 = entry;
                }
            }
            Err(i) => self.entries.insert(i, (key, entry)),
        }
    }

    /// Drops the entry with the lowest score decayed to `now_ms`.
    fn evict_weakest(&mut self, now_ms: f64, half_life_ms: f64) {
        let weakest = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, (_, e))| (i, e.score * decay(now_ms - e.at_ms, half_life_ms)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        if let Some(i) = weakest {
            self.entries.remove(i);
        }
    }

    /// The score of `key` decayed to `now_ms` (0 when absent).
    pub fn get(&self, key: &str, now_ms: f64, half_life_ms: f64) -> f64 {
        self.find(key)
            .and_then(|i| self.entries.get(i))
            .map(|(_, e)| e.score * decay(now_ms - e.at_ms, half_life_ms))
            .unwrap_or(0.0)
    }

    /// The `n` strongest entries at `now_ms`, strongest first (ties by key).
    pub fn top(&self, n: usize, now_ms: f64, half_life_ms: f64) -> Vec<(&str, f64)> {
        let decayed = self.entries.iter().map(|(k, e)| (k.as_str(), e.score * decay(now_ms - e.at_ms, half_life_ms))).filter(|(_, s)| *s > 1e-9);
        if n >= self.entries.len() {
            let mut all: Vec<(&str, f64)> = decayed.collect();
            crate::order::sort_by(&mut all, &|a, b| strongest_first(a, b));
            return all;
        }
        // A decision asks for the top 2 or 3 of up to 256 entries: each entry
        // placed into the kept few (after those it does not precede, as the
        // stable sort above places it) instead of sorting them all, which
        // was ~4% of a wasm decide's fixed cost.
        let mut kept: Vec<(&str, f64)> = Vec::with_capacity(n.saturating_add(1));
        for x in decayed {
            let at = kept.partition_point(|e| strongest_first(e, &x) != std::cmp::Ordering::Greater);
            if at < n {
                kept.insert(at, x);
                kept.truncate(n);
            }
        }
        kept
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Entry)> {
        self.entries.iter_mut().map(|(k, e)| (k.as_str(), e))
    }
    /// Restores one raw entry (snapshot decoding).
    pub(crate) fn insert_raw(&mut self, key: String, entry: Entry) {
        if self.entries.len() < MAX_AFFINITIES_PER_KIND {
            self.insert_sorted(key, entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HL: f64 = 60_000.0;

    #[test]
    fn top_few_is_the_head_of_the_whole_order() {
        // Scores from few distinct values and times, so many tie (and some
        // decay below the cut): the kept few must be the sorted list's head.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for round in 0..200 {
            let mut t = AffinityTable::default();
            for _ in 0..next(40) {
                let key = format!("k{}", next(30));
                t.add(&key, (next(4) as f64) * 0.5 + 1e-10 * (next(2) as f64), (next(3) * 60_000) as f64, HL);
            }
            let now = 10.0 * HL;
            let all = t.top(usize::MAX, now, HL);
            for n in 0..6 {
                let want: Vec<_> = all.iter().take(n).copied().collect();
                assert_eq!(t.top(n, now, HL), want, "round {round}, n {n}");
            }
        }
    }

    #[test]
    fn halves_after_one_half_life() {
        let mut t = AffinityTable::default();
        t.add("shoes", 2.0, 0.0, HL);
        assert!((t.get("shoes", HL, HL) - 1.0).abs() < 1e-9);
        assert!((t.get("shoes", 2.0 * HL, HL) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn adds_decay_the_old_score_first() {
        let mut t = AffinityTable::default();
        t.add("a", 1.0, 0.0, HL);
        t.add("a", 1.0, HL, HL);
        assert!((t.get("a", HL, HL) - 1.5).abs() < 1e-9);
    }

    #[test]
    fn late_events_are_decayed_to_the_entry_time() {
        let mut t = AffinityTable::default();
        t.add("a", 1.0, HL, HL);
        t.add("a", 1.0, 0.0, HL);
        assert!((t.get("a", HL, HL) - 1.5).abs() < 1e-9);
    }

    #[test]
    fn bounded_by_evicting_the_weakest() {
        let mut t = AffinityTable::default();
        for i in 0..MAX_AFFINITIES_PER_KIND + 10 {
            t.add(&format!("k{i}"), 1.0 + i as f64, i as f64, HL);
        }
        assert_eq!(t.len(), MAX_AFFINITIES_PER_KIND);
        assert_eq!(t.get("k0", 1000.0, HL), 0.0);
        assert!(t.get(&format!("k{}", MAX_AFFINITIES_PER_KIND + 9), 1000.0, HL) > 0.0);
    }

    #[test]
    fn top_orders_by_decayed_score() {
        let mut t = AffinityTable::default();
        t.add("old", 4.0, 0.0, HL);
        t.add("new", 3.0, 2.0 * HL, HL);
        let top = t.top(2, 2.0 * HL, HL);
        assert_eq!(top.first().map(|p| p.0), Some("new"));
    }

    /// What a decision relies on to normalise category and brand features
    /// without a second pass: the first of any top is the floored maximum.
    #[test]
    fn the_first_of_a_top_is_the_floored_max() {
        let mut rng = fastrand::Rng::with_seed(5);
        for case in 0..200 {
            let mut t = AffinityTable::default();
            for i in 0..rng.usize(0..40) {
                // Some entries decayed to nothing, some fresh, ties included.
                let weight = [1.0, 2.5, 1e-12, 3.0, 0.5][rng.usize(..5)];
                let at = [0.0, 30.0 * HL, HL, 60.0 * HL][rng.usize(..4)];
                t.add(&format!("k{}", i % 17), weight, at, HL);
            }
            let now = 60.0 * HL + case as f64;
            for n in [1, 3] {
                let first = t.top(n, now, HL).first().map_or(0.0, |e| e.1).max(1e-9);
                // The maximum over every entry, computed the long way.
                let max = t.iter().map(|(_, e)| e.score * decay(now - e.at_ms, HL)).fold(0.0, f64::max);
                assert_eq!(first.to_bits(), max.max(1e-9).to_bits(), "case {case}");
            }
        }
    }
}
