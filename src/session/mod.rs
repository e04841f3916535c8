//! One shopper's session: what they did recently and what they seem to want.
//!
//! - the last [`SESSION_RING`] interactions with their timestamps;
//! - time-decayed affinities per item, category and brand;
//! - the cart, purchased items and per-type counters;
//! - the session start; [`SESSION_TIMEOUT_MS`] of inactivity starts a new one;
//! - the ids of the last [`MAX_SEEN_EVENT_IDS`] tracked events, so a
//!   re-delivered event is refused instead of counted twice.
//!
//! State changes only through [`Session::apply`], with the event's own time,
//! so replaying the same events gives the same state everywhere.

mod affinity;
mod codec;
mod snapshot;

use std::collections::VecDeque;

pub use affinity::{decay, AffinityTable, Entry as AffinityEntry};
pub use snapshot::SNAPSHOT_VERSION;

use crate::event::{Event, EventType};
use crate::json::{Map, Value};
use crate::ids::fnv1a64;
use crate::limits::{MAX_CART_ITEMS, MAX_PURCHASED_ITEMS, MAX_SEEN_EVENT_IDS, SESSION_RING, SESSION_TIMEOUT_MS};

/// One remembered interaction with an item.
#[derive(Clone, Debug, PartialEq)]
pub struct Interaction {
    pub item: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub kind: EventType,
    pub ts: f64,
    pub price: Option<f64>,
    /// Where `item` sits in the catalog decisions run against (see [`CatalogHint`]).
    pub hint: CatalogHint,
}

/// Where an id sat in one loaded catalog: a cache beside the id, so a
/// decision reads the catalog index instead of hashing the id again (~350
/// look-ups per decision over the ring and the item affinities). It is exact
/// by construction: it counts only for the catalog whose generation it names
/// (every loaded catalog has its own, see `Catalog::generation`), and anything
/// else looks the id up. Not state: it is never stored in a snapshot, and two
/// sessions compare equal whatever their hints (a restored session fills them
/// again at its first decision).
#[derive(Clone, Copy, Default)]
pub struct CatalogHint {
    /// 0: no catalog (catalog generations start at 1).
    generation: u64,
    /// `u32::MAX`: not in that catalog.
    index: u32,
}

impl PartialEq for CatalogHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Printed as nothing but its name, for the same reason: sessions printed
/// for comparison (tests/hostile.rs) print the same whatever their hints.
impl std::fmt::Debug for CatalogHint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CatalogHint")
    }
}

impl CatalogHint {
    /// The remembered answer of `index_of` in the catalog of `generation`:
    /// `None` when the hint is for another catalog (or none).
    #[inline(always)]
    pub fn index_in(self, generation: u64) -> Option<Option<u32>> {
        (self.generation == generation && generation != 0).then_some((self.index != u32::MAX).then_some(self.index))
    }

    fn refresh(&mut self, id: &str, generation: u64, index_of: &dyn Fn(&str) -> Option<u32>) {
        if self.generation != generation {
            *self = CatalogHint { generation, index: index_of(id).unwrap_or(u32::MAX) };
        }
    }
}

/// A cart line.
#[derive(Clone, Debug, PartialEq)]
pub struct CartLine {
    pub item: String,
    pub quantity: u32,
    pub price: Option<f64>,
    /// The item's catalog index (see [`CatalogHint`]): a decision marks the
    /// cart's items without hashing their ids.
    pub hint: CatalogHint,
}

/// The three kinds of affinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AffinityKind {
    Item,
    Category,
    Brand,
}

impl AffinityKind {
    pub fn parse(s: &str) -> Option<AffinityKind> {
        match s {
            "item" => Some(AffinityKind::Item),
            "category" => Some(AffinityKind::Category),
            "brand" => Some(AffinityKind::Brand),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AffinityKind::Item => "item",
            AffinityKind::Category => "category",
            AffinityKind::Brand => "brand",
        }
    }
}

/// A shopper's session state.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub id: String,
    pub user_id: Option<String>,
    pub started_ms: f64,
    pub last_ms: f64,
    /// Affinity half-life.
    pub half_life_ms: f64,
    pub recent: VecDeque<Interaction>,
    pub items: AffinityTable,
    pub categories: AffinityTable,
    pub brands: AffinityTable,
    pub cart: Vec<CartLine>,
    pub purchased: VecDeque<String>,
    /// Events seen per type, indexed by `EventType::code()`.
    pub counters: [u32; 9],
    /// Sum and count of prices seen, for the price-fit feature.
    pub price_sum: f64,
    pub price_count: u32,
    /// 64-bit hashes of the ids of the last [`MAX_SEEN_EVENT_IDS`] applied
    /// events, oldest first. The ring above keeps interactions, not event ids
    /// (and skips page views and searches), so it cannot tell a re-delivery;
    /// hashes keep the snapshot small (8 bytes an id instead of 26), and a
    /// false match needs a 64-bit collision within 256 ids.
    pub seen_event_ids: Vec<u64>,
}

impl Session {
    pub fn new(id: String, user_id: Option<String>, now_ms: f64, half_life_ms: f64) -> Session {
        Session {
            id,
            user_id,
            started_ms: now_ms,
            last_ms: now_ms,
            half_life_ms,
            recent: VecDeque::with_capacity(16),
            items: AffinityTable::default(),
            categories: AffinityTable::default(),
            brands: AffinityTable::default(),
            cart: Vec::new(),
            purchased: VecDeque::new(),
            counters: [0; 9],
            price_sum: 0.0,
            price_count: 0,
            seen_event_ids: Vec::new(),
        }
    }

    /// Whether an event at `ts` comes after the inactivity timeout.
    pub fn expired_at(&self, ts: f64) -> bool {
        ts - self.last_ms > SESSION_TIMEOUT_MS
    }

    /// Starts over under a new id after inactivity. The cart survives, as it
    /// does in the shop itself, and so do the seen event ids (a retry can
    /// arrive after the timeout); everything else is per session.
    pub fn renew(&mut self, id: String, now_ms: f64) {
        let cart = std::mem::take(&mut self.cart);
        let seen = std::mem::take(&mut self.seen_event_ids);
        *self = Session::new(id, self.user_id.take(), now_ms, self.half_life_ms);
        self.cart = cart;
        self.seen_event_ids = seen;
    }

    /// Whether an event with this id was applied within the remembered window.
    pub fn has_seen_event(&self, event_id: &str) -> bool {
        let h = fnv1a64(event_id.as_bytes());
        self.seen_event_ids.contains(&h)
    }

    fn remember_event_id(&mut self, event_id: &str) {
        // A Vec shifted by one (2 KB at most) rather than a VecDeque<u64>:
        // a second VecDeque instantiation costs the shipped wasm more than
        // the shift costs a track call. remove(0) cannot panic: len >= 256.
        if self.seen_event_ids.len() >= MAX_SEEN_EVENT_IDS {
            self.seen_event_ids.remove(0);
        }
        self.seen_event_ids.push(fnv1a64(event_id.as_bytes()));
    }

    /// Applies a validated event with its timestamp already set.
    pub fn apply(&mut self, ev: &Event, ts: f64) {
        if let Some(id) = &ev.id {
            self.remember_event_id(id);
        }
        if ts > self.last_ms {
            self.last_ms = ts;
        }
        if let Some(c) = self.counters.get_mut(ev.kind.code() as usize) {
            *c = c.saturating_add(1);
        }
        let weight = ev.kind.intent_weight();
        for it in ev.all_items() {
            if ev.kind == EventType::Impression {
                break; // Being shown an item says nothing about wanting it.
            }
            if weight != 0.0 {
                self.items.add(&it.id, weight, ts, self.half_life_ms);
                if let Some(c) = &it.category {
                    self.categories.add(c, weight, ts, self.half_life_ms);
                }
                if let Some(b) = &it.brand {
                    self.brands.add(b, weight, ts, self.half_life_ms);
                }
            }
            if let Some(p) = it.price {
                if weight > 0.0 {
                    self.price_sum += p;
                    self.price_count = self.price_count.saturating_add(1);
                }
            }
            if ev.kind != EventType::RemoveFromCart {
                self.remember(Interaction {
                    item: it.id.clone(),
                    category: it.category.clone(),
                    brand: it.brand.clone(),
                    kind: ev.kind,
                    ts,
                    price: it.price,
                    hint: CatalogHint::default(),
                });
            }
            match ev.kind {
                EventType::AddToCart => self.add_to_cart(it.id.as_str(), it.quantity.unwrap_or(1), it.price),
                EventType::RemoveFromCart => self.remove_from_cart(&it.id, it.quantity),
                EventType::Purchase => {
                    self.remove_from_cart(&it.id, None);
                    if !self.purchased.iter().any(|p| *p == it.id) {
                        if self.purchased.len() >= MAX_PURCHASED_ITEMS {
                            self.purchased.pop_front();
                        }
                        self.purchased.push_back(it.id.clone());
                    }
                }
                _ => {}
            }
        }
    }

    fn remember(&mut self, i: Interaction) {
        if self.recent.len() >= SESSION_RING {
            self.recent.pop_front();
        }
        self.recent.push_back(i);
    }

    fn add_to_cart(&mut self, item: &str, qty: u32, price: Option<f64>) {
        if let Some(line) = self.cart.iter_mut().find(|l| l.item == item) {
            line.quantity = line.quantity.saturating_add(qty).min(10_000);
            if price.is_some() {
                line.price = price;
            }
        } else if self.cart.len() < MAX_CART_ITEMS {
            self.cart.push(CartLine { item: item.to_string(), quantity: qty, price, hint: CatalogHint::default() });
        }
    }

    fn remove_from_cart(&mut self, item: &str, qty: Option<u32>) {
        if let Some(pos) = self.cart.iter().position(|l| l.item == item) {
            let remove_line = match (qty, self.cart.get_mut(pos)) {
                (Some(q), Some(line)) if q < line.quantity => {
                    line.quantity = line.quantity.saturating_sub(q);
                    false
                }
                _ => true,
            };
            if remove_line {
                self.cart.remove(pos);
            }
        }
    }

    /// Fills the catalog hints of the ring, the item affinities and the cart for the
    /// catalog of `generation`; only entries added since the last call (or
    /// hinted for another catalog) look their id up.
    pub fn refresh_hints(&mut self, generation: u64, index_of: &dyn Fn(&str) -> Option<u32>) {
        for i in self.recent.iter_mut() {
            i.hint.refresh(&i.item, generation, index_of);
        }
        for (id, e) in self.items.iter_mut() {
            e.hint.refresh(id, generation, index_of);
        }
        for l in self.cart.iter_mut() {
            l.hint.refresh(&l.item, generation, index_of);
        }
    }

    pub fn table(&self, kind: AffinityKind) -> &AffinityTable {
        match kind {
            AffinityKind::Item => &self.items,
            AffinityKind::Category => &self.categories,
            AffinityKind::Brand => &self.brands,
        }
    }

    /// Decayed affinity of `kind` for `key` at `now_ms`.
    pub fn affinity(&self, kind: AffinityKind, key: &str, now_ms: f64) -> f64 {
        self.table(kind).get(key, now_ms, self.half_life_ms)
    }

    /// Whether `item` was interacted with at or after `now_ms - seconds*1000`.
    pub fn viewed_within(&self, item: &str, seconds: f64, now_ms: f64) -> bool {
        let since = now_ms - seconds * 1000.0;
        // A full scan: late (buffered) events may sit out of time order.
        self.recent.iter().any(|i| i.ts >= since && i.item == item)
    }

    /// Whether an item of `category` was interacted with in the last `seconds`.
    pub fn category_viewed_within(&self, category: &str, seconds: f64, now_ms: f64) -> bool {
        let since = now_ms - seconds * 1000.0;
        self.recent
            .iter()
            .any(|i| i.ts >= since && i.category.as_deref() == Some(category))
    }

    pub fn in_cart(&self, item: &str) -> bool {
        self.cart.iter().any(|l| crate::json::str_eq(&l.item, item))
    }

    pub fn purchased(&self, item: &str) -> bool {
        self.purchased.iter().any(|p| crate::json::str_eq(p, item))
    }

    /// Mean price of the items the shopper engaged with, if any.
    pub fn typical_price(&self) -> Option<f64> {
        (self.price_count > 0).then(|| self.price_sum / self.price_count as f64)
    }

    pub fn counter(&self, kind: EventType) -> u32 {
        self.counters.get(kind.code() as usize).copied().unwrap_or(0)
    }

    /// Distinct items of the recent interactions, newest first, with the age
    /// of their latest interaction in ms.
    pub fn recent_distinct(&self, n: usize, now_ms: f64) -> Vec<(&Interaction, f64)> {
        let mut out: Vec<(&Interaction, f64)> = Vec::with_capacity(n);
        for i in self.recent.iter().rev() {
            if out.len() >= n {
                break;
            }
            if !out.iter().any(|(o, _)| o.item == i.item) {
                out.push((i, (now_ms - i.ts).max(0.0)));
            }
        }
        out
    }

    /// One recent interaction as the JSON rules see it.
    pub fn interaction_value(i: &Interaction, now_ms: f64) -> Value {
        let mut m = Map::with_capacity(6);
        m.push_unique("item", Value::from(i.item.as_str()));
        if let Some(c) = &i.category {
            m.push_unique("category", Value::from(c.as_str()));
        }
        if let Some(b) = &i.brand {
            m.push_unique("brand", Value::from(b.as_str()));
        }
        m.push_unique("type", Value::from(i.kind.as_str()));
        m.push_unique("ageSeconds", Value::Number(((now_ms - i.ts).max(0.0) / 1000.0).floor()));
        if let Some(p) = i.price {
            m.push_unique("price", Value::Number(p));
        }
        Value::Object(m)
    }

    /// The counters as JSON (`{"product_view": 3, ...}` plus `events`).
    pub fn counters_value(&self) -> Value {
        let mut m = Map::with_capacity(10);
        let mut total: u64 = 0;
        for t in EventType::ALL {
            let n = self.counter(t);
            total = total.saturating_add(u64::from(n));
            m.insert(t.as_str(), Value::Number(n as f64));
        }
        m.insert("events", Value::Number(total as f64));
        Value::Object(m)
    }

    /// The whole session as the JSON object rules see under `session`
    /// (also what `Personalizer.state()` returns).
    pub fn to_value(&self, now_ms: f64, top_n: usize) -> Value {
        let mut m = Map::with_capacity(10);
        m.insert("id", Value::from(self.id.as_str()));
        if let Some(u) = &self.user_id {
            m.insert("userId", Value::from(u.as_str()));
        }
        m.insert("ageSeconds", Value::Number(((now_ms - self.started_ms).max(0.0) / 1000.0).floor()));
        m.insert("recent", self.recent_value(now_ms));
        m.insert("affinity", self.affinity_value(now_ms, top_n));
        m.insert("cart", self.cart_value());
        m.insert("purchased", self.purchased_value());
        m.insert("counters", self.counters_value());
        Value::Object(m)
    }

    /// The recent interactions as JSON, newest first.
    pub fn recent_value(&self, now_ms: f64) -> Value {
        Value::Array(self.recent.iter().rev().map(|i| Session::interaction_value(i, now_ms)).collect())
    }

    pub fn purchased_value(&self) -> Value {
        Value::Array(self.purchased.iter().map(|p| Value::from(p.as_str())).collect())
    }

    /// `{item: {...}, category: {...}, brand: {...}}`, the `top_n` strongest of
    /// each, rounded to 3 decimals.
    pub fn affinity_value(&self, now_ms: f64, top_n: usize) -> Value {
        let mut aff = Map::with_capacity(3);
        for kind in [AffinityKind::Item, AffinityKind::Category, AffinityKind::Brand] {
            let top = self.table(kind).top(top_n, now_ms, self.half_life_ms);
            let mut m = Map::with_capacity(top.len());
            for (k, s) in top {
                m.push_unique(k, Value::Number((s * 1000.0).round() / 1000.0));
            }
            aff.push_unique(kind.as_str(), Value::Object(m));
        }
        Value::Object(aff)
    }

    pub fn cart_value(&self) -> Value {
        Value::Array(
            self.cart
                .iter()
                .map(|l| {
                    let mut m = Map::with_capacity(3);
                    m.insert("item", Value::from(l.item.as_str()));
                    m.insert("quantity", Value::Number(l.quantity as f64));
                    if let Some(p) = l.price {
                        m.insert("price", Value::Number(p));
                    }
                    Value::Object(m)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    const T0: f64 = 1_764_000_000_000.0;

    fn ev(text: &str) -> Event {
        Event::from_value(&parse(text).expect("json"), T0 + 1e9).expect("event")
    }

    fn fresh() -> Session {
        Session::new("s1".into(), None, T0, 10.0 * 60_000.0)
    }

    #[test]
    fn ring_is_bounded_and_keeps_the_newest() {
        let mut s = fresh();
        for i in 0..SESSION_RING + 50 {
            let e = ev(&format!(r#"{{"type":"product_view","item":{{"id":"i{i}"}}}}"#));
            s.apply(&e, T0 + i as f64);
        }
        assert_eq!(s.recent.len(), SESSION_RING);
        assert_eq!(s.recent.back().map(|i| i.item.as_str()), Some("i249"));
        assert_eq!(s.counter(EventType::ProductView), (SESSION_RING + 50) as u32);
    }

    #[test]
    fn cart_follows_adds_removes_and_purchases() {
        let mut s = fresh();
        s.apply(&ev(r#"{"type":"add_to_cart","item":{"id":"a","quantity":2,"price":10}}"#), T0);
        s.apply(&ev(r#"{"type":"add_to_cart","item":{"id":"b"}}"#), T0 + 1.0);
        s.apply(&ev(r#"{"type":"remove_from_cart","item":{"id":"a","quantity":1}}"#), T0 + 2.0);
        assert_eq!(s.cart.first().map(|l| l.quantity), Some(1));
        s.apply(&ev(r#"{"type":"remove_from_cart","item":{"id":"a"}}"#), T0 + 3.0);
        assert!(!s.in_cart("a"));
        s.apply(&ev(r#"{"type":"purchase","items":[{"id":"b"}]}"#), T0 + 4.0);
        assert!(!s.in_cart("b"));
        assert!(s.purchased("b"));
    }

    #[test]
    fn affinity_weighs_intent_and_decays() {
        let mut s = fresh();
        s.apply(&ev(r#"{"type":"product_view","item":{"id":"a","category":"shoes"}}"#), T0);
        s.apply(&ev(r#"{"type":"add_to_cart","item":{"id":"b","category":"bags"}}"#), T0);
        assert!(s.affinity(AffinityKind::Category, "bags", T0) > s.affinity(AffinityKind::Category, "shoes", T0));
        let later = T0 + 10.0 * 60_000.0;
        assert!((s.affinity(AffinityKind::Category, "shoes", later) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn viewed_within_respects_the_window() {
        let mut s = fresh();
        s.apply(&ev(r#"{"type":"product_view","item":{"id":"x"}}"#), T0);
        assert!(s.viewed_within("x", 300.0, T0 + 299_000.0));
        assert!(!s.viewed_within("x", 300.0, T0 + 301_000.0));
        assert!(!s.viewed_within("y", 300.0, T0));
    }

    #[test]
    fn renew_keeps_the_cart_only() {
        let mut s = fresh();
        s.apply(&ev(r#"{"type":"add_to_cart","item":{"id":"a","category":"c"}}"#), T0);
        assert!(s.expired_at(T0 + SESSION_TIMEOUT_MS + 1.0));
        s.renew("s2".into(), T0 + SESSION_TIMEOUT_MS + 1.0);
        assert_eq!(s.id, "s2");
        assert!(s.in_cart("a"));
        assert!(s.recent.is_empty());
        assert_eq!(s.affinity(AffinityKind::Category, "c", T0), 0.0);
    }
}
