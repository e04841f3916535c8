//! The evaluator (native only): the SR-GNN protocol's prefix -> next-item
//! examples, HR@K and MRR@K with full ranking, and the POP, S-POP and
//! Item-KNN baselines run through the same code.
//!
//! Full ranking: every ranker scores every item; the ones it does not return
//! in its top K all rank below K, so looking at the top K is exact for @K.

// The native evaluator's hot loops index arrays sized by the builder's own
// interning (every index is < the item or session count it was made from);
// it never runs in the browser and never on untrusted bytes at request time.
#![allow(clippy::indexing_slicing)]

use super::SessionModel;

/// Anything that ranks items for a session prefix.
pub trait Ranker {
    /// Writes the top `k` item indices for `prefix` (oldest first) into `out`, best first.
    fn rank(&self, prefix: &[u32], k: usize, out: &mut Vec<u32>);
}

/// Accumulated hit and reciprocal-rank sums.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub examples: usize,
    pub hits: f64,
    pub rr: f64,
}

impl Metrics {
    /// HR@K in percent.
    pub fn hr(&self) -> f64 {
        if self.examples == 0 {
            0.0
        } else {
            100.0 * self.hits / self.examples as f64
        }
    }
    /// MRR@K in percent.
    pub fn mrr(&self) -> f64 {
        if self.examples == 0 {
            0.0
        } else {
            100.0 * self.rr / self.examples as f64
        }
    }
    /// Adds one example whose ranked list (best first, already cut to K) is `ranked`.
    pub fn add(&mut self, ranked: &[u32], target: u32, k: usize) {
        self.examples += 1;
        if let Some(pos) = ranked.iter().take(k).position(|&x| x == target) {
            self.hits += 1.0;
            self.rr += 1.0 / (pos + 1) as f64;
        }
    }
}

/// Number of prefix -> next examples in `sessions` (sum of len-1).
pub fn count_examples(sessions: &[Vec<u32>]) -> usize {
    sessions.iter().map(|s| s.len().saturating_sub(1)).sum()
}

/// Evaluates `r` on every prefix -> next-item example of `sessions`.
pub fn evaluate<R: Ranker + ?Sized>(r: &R, sessions: &[Vec<u32>], k: usize) -> Metrics {
    let mut m = Metrics::default();
    let mut out = Vec::with_capacity(k);
    for s in sessions {
        for t in 1..s.len() {
            let (prefix, rest) = s.split_at(t);
            let Some(&target) = rest.first() else { continue };
            r.rank(prefix, k, &mut out);
            m.add(&out, target, k);
        }
    }
    m
}

/// A model seen through a dataset's item numbering: the builder may
/// renumber items inside the artifact, so prefixes are translated by item id
/// on the way in and the ranking on the way out.
pub struct ModelRanker<'a> {
    model: &'a SessionModel,
    to_model: Vec<u32>,
    to_data: Vec<u32>,
}

impl<'a> ModelRanker<'a> {
    /// `ids[i]` is the id of the dataset's item `i`.
    pub fn new(model: &'a SessionModel, ids: &[String]) -> Self {
        let to_model: Vec<u32> = ids.iter().map(|id| model.item_index(id).unwrap_or(u32::MAX)).collect();
        let mut to_data = vec![u32::MAX; model.len()];
        for (d, &m) in to_model.iter().enumerate() {
            if let Some(slot) = to_data.get_mut(m as usize) {
                *slot = d as u32;
            }
        }
        ModelRanker { model, to_model, to_data }
    }
}

impl Ranker for ModelRanker<'_> {
    fn rank(&self, prefix: &[u32], k: usize, out: &mut Vec<u32>) {
        let mapped: Vec<u32> =
            prefix.iter().map(|&i| self.to_model.get(i as usize).copied().unwrap_or(u32::MAX)).collect();
        let mut scored = Vec::with_capacity(k);
        self.model.recommend(&mapped, k, &mut scored);
        out.clear();
        out.extend(scored.iter().map(|&(i, _)| self.to_data.get(i as usize).copied().unwrap_or(u32::MAX)));
    }
}

/// Evaluates a model on sessions numbered like the dataset whose ids are `ids`.
pub fn evaluate_model(model: &SessionModel, ids: &[String], sessions: &[Vec<u32>], k: usize) -> Metrics {
    evaluate(&ModelRanker::new(model, ids), sessions, k)
}

/// Item indices by training popularity (click count), most popular first, ties by index.
pub fn popularity_order(n: usize, train: &[Vec<u32>]) -> (Vec<u32>, Vec<u32>) {
    let mut count = vec![0u32; n];
    for s in train {
        for &i in s {
            if let Some(c) = count.get_mut(i as usize) {
                *c += 1;
            }
        }
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| count[b as usize].cmp(&count[a as usize]).then(a.cmp(&b)));
    (order, count)
}

/// POP: the globally most clicked items, the same list for every session.
pub struct Pop {
    order: Vec<u32>,
}

impl Pop {
    /// Counts clicks over `train` (items `0..n`).
    pub fn new(n: usize, train: &[Vec<u32>]) -> Pop {
        let (mut order, _) = popularity_order(n, train);
        order.truncate(crate::limits::MAX_DECISION_K.max(100));
        Pop { order }
    }
}

impl Ranker for Pop {
    fn rank(&self, _prefix: &[u32], k: usize, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.order.iter().take(k));
    }
}

/// S-POP: the session's items by how often it clicked them, ties and the
/// rest by global popularity.
pub struct SPop {
    order: Vec<u32>,
    count: Vec<u32>,
}

impl SPop {
    /// Counts clicks over `train` (items `0..n`).
    pub fn new(n: usize, train: &[Vec<u32>]) -> SPop {
        let (mut order, count) = popularity_order(n, train);
        order.truncate(1000);
        SPop { order, count }
    }
}

impl Ranker for SPop {
    fn rank(&self, prefix: &[u32], k: usize, out: &mut Vec<u32>) {
        let mut seen: Vec<(u32, u32)> = Vec::new();
        for &i in prefix {
            match seen.iter_mut().find(|(j, _)| *j == i) {
                Some(e) => e.1 += 1,
                None => seen.push((i, 1)),
            }
        }
        let gp = |i: u32| self.count.get(i as usize).copied().unwrap_or(0);
        seen.sort_by(|a, b| b.1.cmp(&a.1).then(gp(b.0).cmp(&gp(a.0))).then(a.0.cmp(&b.0)));
        out.clear();
        out.extend(seen.iter().map(|&(i, _)| i).take(k));
        for &i in &self.order {
            if out.len() >= k {
                break;
            }
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
}

/// Item-KNN: cosine similarity of session co-occurrence with the last item
/// (|S_i ∩ S_j| / sqrt(|S_i| |S_j|) over training sessions), the item itself
/// excluded, ties and fill by global popularity.
pub struct ItemKnn {
    rows: Vec<Vec<(u32, f32)>>,
    pop: Pop,
}

impl ItemKnn {
    /// `keep` neighbours are kept per item (enough for the @K cut).
    pub fn new(n: usize, train: &[Vec<u32>], keep: usize) -> ItemKnn {
        let mut sessions_with = vec![0u32; n];
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        let mut uniq: Vec<u32> = Vec::new();
        for s in train {
            uniq.clear();
            uniq.extend(s.iter().copied().filter(|&i| (i as usize) < n));
            uniq.sort_unstable();
            uniq.dedup();
            for &i in &uniq {
                sessions_with[i as usize] += 1;
                for &j in &uniq {
                    if i != j {
                        rows[i as usize].push((j, 1.0));
                    }
                }
            }
        }
        let (_, count) = popularity_order(n, train);
        for (i, r) in rows.iter_mut().enumerate() {
            r.sort_by_key(|&(j, _)| j);
            let mut m: Vec<(u32, f32)> = Vec::new();
            for &(j, w) in r.iter() {
                match m.last_mut() {
                    Some(l) if l.0 == j => l.1 += w,
                    _ => m.push((j, w)),
                }
            }
            let ni = sessions_with[i] as f32;
            for e in m.iter_mut() {
                e.1 /= (ni * sessions_with[e.0 as usize] as f32).sqrt();
            }
            m.sort_by(|a, b| {
                b.1.total_cmp(&a.1).then(count[b.0 as usize].cmp(&count[a.0 as usize])).then(a.0.cmp(&b.0))
            });
            m.truncate(keep);
            *r = m;
        }
        ItemKnn { rows, pop: Pop::new(n, train) }
    }
}

impl Ranker for ItemKnn {
    fn rank(&self, prefix: &[u32], k: usize, out: &mut Vec<u32>) {
        out.clear();
        if let Some(&last) = prefix.last() {
            if let Some(r) = self.rows.get(last as usize) {
                out.extend(r.iter().map(|&(j, _)| j).take(k));
            }
        }
        for &i in &self.pop.order {
            if out.len() >= k {
                break;
            }
            if !out.contains(&i) && Some(&i) != prefix.last() {
                out.push(i);
            }
        }
    }
}

/// Sizes of a byte string: raw and after `gzip -9` (the system command, so
/// the tool needs no compression dependency). `None` when gzip is missing.
pub fn gzip_size(bytes: &[u8]) -> Option<usize> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let mut child =
        Command::new("gzip").arg("-9").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().ok()?;
    let mut stdin = child.stdin.take()?;
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).is_ok());
    let mut out = Vec::new();
    let read_ok = child.stdout.take().map(|mut s| s.read_to_end(&mut out).is_ok()).unwrap_or(false);
    let wrote = writer.join().unwrap_or(false);
    let status = child.wait().ok()?;
    (status.success() && read_ok && wrote).then_some(out.len())
}
