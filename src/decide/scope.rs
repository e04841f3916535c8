//! The data a rule condition sees during a decision, built lazily and once.
//!
//! Rules read `item.*` (the candidate), `context.*` (the request), `slot`,
//! `now` and `session.*`. A decision evaluates item-level conditions once per
//! candidate, so nothing here may cost per evaluation what it can cost per
//! decision: the session's JSON form is built at most once ([`SessionView`]),
//! and the merchant operators answer from per-decision indexes.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use super::fxhash::{map_with_capacity, FxHashMap};
use crate::json::{str_eq, Value};
use crate::logic::{lookup_split, Scope, VarPath};
use crate::session::{AffinityKind, Interaction, Session};

/// A canonical array index ("0", "17"; not "01", "-1" or "1e3"), as a walk reads one.
fn canonical_index(key: &str) -> Option<usize> {
    match key.as_bytes() {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.len() < 15 && rest.iter().all(u8::is_ascii_digit) => key.parse().ok(),
        _ => None,
    }
}

/// What every evaluation in one decision shares about the session.
pub struct SessionView<'a> {
    pub session: &'a Session,
    pub now_ms: f64,
    /// The latest interaction time per item, for `viewed_within` through the
    /// evaluator: built on the fourth question (the first ones scan the ring;
    /// a decision's own candidates get theirs from the catalog hints).
    last_seen: OnceCell<FxHashMap<&'a str, f64>>,
    last_seen_asked: Cell<u32>,
    /// Parts of `session` as JSON, each built on the first read that needs it.
    whole: OnceCell<Value>,
    recent: OnceCell<Value>,
    cart: OnceCell<Value>,
    /// `session.cart` kept by the caller between decisions (see [`CartJson`]).
    shared_cart: Option<&'a OnceCell<Value>>,
    purchased: OnceCell<Value>,
    counters: OnceCell<Value>,
    affinity: OnceCell<Value>,
}

impl<'a> SessionView<'a> {
    pub fn new(session: &'a Session, now_ms: f64) -> SessionView<'a> {
        SessionView {
            session,
            now_ms,
            last_seen: OnceCell::new(),
            last_seen_asked: Cell::new(0),
            whole: OnceCell::new(),
            recent: OnceCell::new(),
            cart: OnceCell::new(),
            shared_cart: None,
            purchased: OnceCell::new(),
            counters: OnceCell::new(),
            affinity: OnceCell::new(),
        }
    }

    /// The view reading `session.cart` from `cart`, which must hold the JSON
    /// of this session's cart if it holds anything ([`CartJson::for_session`]).
    pub fn with_cart(mut self, cart: &'a CartJson) -> SessionView<'a> {
        self.shared_cart = Some(&cart.value);
        self
    }

    /// When the session last interacted with `item` (the latest time in the ring).
    pub fn last_seen(&self, item: &str) -> Option<f64> {
        if self.scan_instead_of_map() {
            return self.session.recent.iter().filter(|i| str_eq(&i.item, item)).map(|i| i.ts).reduce(f64::max);
        }
        self.last_seen_map().get(item).copied()
    }

    /// Whether the session interacted with `item` at or after `since`: as
    /// `last_seen(item) >= since` (some interaction that late exists exactly
    /// when the latest one is that late), but a scan tests the cheap time
    /// first and compares ids only for interactions late enough.
    pub fn seen_since(&self, item: &str, since: f64) -> bool {
        if self.scan_instead_of_map() {
            return self.session.recent.iter().any(|i| i.ts >= since && str_eq(&i.item, item));
        }
        self.last_seen_map().get(item).is_some_and(|&ts| ts >= since)
    }

    /// The first few questions scan the ring; the map is built on the fourth.
    fn scan_instead_of_map(&self) -> bool {
        const SCANS_BEFORE_MAP: u32 = 3;
        let asked = self.last_seen_asked.get();
        if self.last_seen.get().is_none() && asked < SCANS_BEFORE_MAP {
            self.last_seen_asked.set(asked.saturating_add(1));
            return true;
        }
        false
    }

    fn last_seen_map(&self) -> &FxHashMap<&'a str, f64> {
        self.last_seen.get_or_init(|| {
            let mut m: FxHashMap<&str, f64> = map_with_capacity(self.session.recent.len());
            for i in &self.session.recent {
                let e = m.entry(i.item.as_str()).or_insert(i.ts);
                *e = e.max(i.ts);
            }
            m
        })
    }

    /// `session.<field>` as JSON, built once per decision.
    fn field(&self, field: &str) -> Option<&Value> {
        let (s, now) = (self.session, self.now_ms);
        Some(match field {
            "" => self.whole.get_or_init(|| s.to_value(now, usize::MAX)),
            "recent" => self.recent.get_or_init(|| s.recent_value(now)),
            "cart" => self.shared_cart.unwrap_or(&self.cart).get_or_init(|| s.cart_value()),
            "purchased" => self.purchased.get_or_init(|| s.purchased_value()),
            "counters" => self.counters.get_or_init(|| s.counters_value()),
            "affinity" => self.affinity.get_or_init(|| s.affinity_value(now, usize::MAX)),
            _ => return None,
        })
    }
}

/// The session's cart as rules read it (`session.cart`), kept between
/// decisions until the cart changes: a `reduce` over the cart read a freshly
/// built JSON list each decision (~25 lines, ~100 allocations, 4% of a wasm
/// decision), while carts change with a few events only. Exact: the JSON is
/// dropped whenever the lines differ from the ones it was built from, and
/// built (on first read) from exactly those lines.
///
/// It also keeps the results of the session-level rule parts that read
/// nothing but `session.cart` (see [`crate::decide::ItemMasks`]), for the
/// same lines and the same rules: a `reduce` over the cart was ~8% of a
/// native decision, evaluated again at every decision of an unchanged cart.
#[derive(Default)]
pub struct CartJson {
    lines: Vec<crate::session::CartLine>,
    value: OnceCell<Value>,
    parts: Cell<CartPartResults>,
}

/// Results of cart-only rule parts, by the slot [`crate::decide::ItemMasks`]
/// gives each, for the rules of the masks' generation `rules`.
#[derive(Default)]
pub(crate) struct CartPartResults {
    rules: u64,
    pub(crate) results: Vec<Option<bool>>,
}

impl CartJson {
    /// Made valid for `session`: the JSON (and the part results) are kept
    /// if its cart is unchanged.
    pub fn for_session(&mut self, session: &Session) -> &CartJson {
        if self.lines != session.cart {
            self.lines.clone_from(&session.cart);
            self.value = OnceCell::new();
            self.parts = Cell::default();
        }
        self
    }

    /// The kept part results if they are for the rules of generation
    /// `rules` (with `slots` slots), or empty ones; hand them back with
    /// [`Self::keep_part_results`].
    pub(crate) fn take_part_results(&self, rules: u64, slots: usize) -> CartPartResults {
        let mut kept = self.parts.take();
        if kept.rules != rules || kept.results.len() != slots {
            kept.rules = rules;
            kept.results.clear();
            kept.results.resize(slots, None);
        }
        kept
    }

    pub(crate) fn keep_part_results(&self, results: CartPartResults) {
        self.parts.set(results);
    }
}

/// The scope of one evaluation: the shared session view plus the candidate.
pub struct DecisionScope<'a> {
    pub view: &'a SessionView<'a>,
    pub slot: &'a str,
    pub context: &'a Value,
    /// The candidate's JSON (from the catalog), absent for session-level parts.
    pub item: Option<&'a Value>,
}

/// Splits `head.rest` at the first dot; the rest is `None` without a dot
/// and `Some("")` after a trailing one (`session.counters.` reads the key
/// "" of the counters, which a JSON walk finds nowhere, not the counters).
fn head(path: &str) -> (&str, Option<&str>) {
    match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    }
}

/// `v` itself without a rest, else the rest walked as a JSON walk splits it.
fn walk<'v>(v: &'v Value, rest: Option<&str>) -> Option<Cow<'v, Value>> {
    match rest {
        None => Some(Cow::Borrowed(v)),
        Some(r) => lookup_split(v, r),
    }
}

/// One interaction of `session.recent` read field by field, answering as its
/// JSON form ([`Session::interaction_value`]) would, without building it.
struct InteractionScope<'a> {
    i: &'a Interaction,
    now_ms: f64,
}

impl InteractionScope<'_> {
    fn field(&self, key: &str) -> Option<Value> {
        let i = self.i;
        match key {
            "item" => Some(Value::from(i.item.as_str())),
            "category" => i.category.as_deref().map(Value::from),
            "brand" => i.brand.as_deref().map(Value::from),
            "type" => Some(Value::from(i.kind.as_str())),
            "ageSeconds" => Some(Value::Number(((self.now_ms - i.ts).max(0.0) / 1000.0).floor())),
            "price" => i.price.map(Value::Number),
            _ => None,
        }
    }

    /// A dotted path into the interaction, split as a walk of its JSON splits it.
    fn get(&self, path: &str) -> Option<Cow<'static, Value>> {
        let (first, rest) = match path.split_once('.') {
            Some((f, r)) => (f, Some(r)),
            None => (path, None),
        };
        let v = self.field(first)?;
        match rest {
            None => Some(Cow::Owned(v)),
            Some(r) => lookup_split(&v, r).map(|x| Cow::Owned(x.into_owned())),
        }
    }
}

impl Scope for InteractionScope<'_> {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        if path.is_empty() {
            return Some(Cow::Owned(Session::interaction_value(self.i, self.now_ms)));
        }
        self.get(path)
    }
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        let v = self.field(path.first()?)?;
        path.lookup_from(&v, 1).map(|x| Cow::Owned(x.into_owned()))
    }

    fn var_text(&self, path: &VarPath) -> Option<Option<&str>> {
        let mut segs = path.segments();
        let (Some(first), None) = (segs.next(), segs.next()) else { return None };
        let i = self.i;
        match first {
            "item" => Some(Some(i.item.as_str())),
            "category" => Some(i.category.as_deref()),
            "brand" => Some(i.brand.as_deref()),
            "type" => Some(Some(i.kind.as_str())),
            _ => None,
        }
    }
}

impl DecisionScope<'_> {
    /// `viewed_within` for an item id, as the merchant operator answers it.
    pub(crate) fn viewed_within_id(&self, item: &str, seconds: f64) -> bool {
        self.view.seen_since(item, self.view.now_ms - seconds * 1000.0)
    }

    /// `session.recent.<n>.<path>` from the `n`-th newest interaction, and
    /// `session.recent.length`, without building the list. `None` when the
    /// path needs the list itself (the caller then walks the built list).
    fn recent_direct(&self, rest: &str) -> Option<Option<Cow<'_, Value>>> {
        let s = self.view.session;
        if rest == "length" {
            return Some(Some(Cow::Owned(Value::Number(s.recent.len() as f64))));
        }
        // Only paths that go on into a field: the element itself keeps its
        // identity as part of the built list.
        let (index, field_path) = rest.split_once('.')?;
        if field_path.is_empty() {
            return None;
        }
        let n = canonical_index(index)?;
        Some(s.recent.len().checked_sub(n).and_then(|left| left.checked_sub(1)).and_then(|i| s.recent.get(i)).and_then(|i| {
            InteractionScope { i, now_ms: self.view.now_ms }.get(field_path)
        }))
    }

    /// The session paths rules read most (`session.counters.<type>`,
    /// `session.recent.length`, `session.recent.<n>.<field>`) from the
    /// pre-split path, answered as [`Self::session_var`] answers them; `None`
    /// for any other shape (the caller then goes the text way). About fifteen
    /// such reads per decision re-split their text at every dot before.
    fn session_segments(&self, path: &VarPath) -> Option<Option<Cow<'_, Value>>> {
        let s = self.view.session;
        let mut segs = path.segments().skip(1);
        let (field, second, third, more) = (segs.next()?, segs.next()?, segs.next(), segs.next());
        match (field, third, more) {
            ("counters", None, None) if !second.is_empty() => Some(Some(Cow::Owned(Value::Number(if second == "events" {
                crate::event::EventType::ALL.iter().map(|&t| u64::from(s.counter(t))).fold(0u64, u64::saturating_add) as f64
            } else {
                f64::from(s.counter(crate::event::EventType::parse(second)?))
            })))),
            ("recent", None, None) if second == "length" => Some(Some(Cow::Owned(Value::Number(s.recent.len() as f64)))),
            ("recent", Some(field), None) if !field.is_empty() => {
                let n = canonical_index(second)?;
                let i = s.recent.len().checked_sub(n).and_then(|left| left.checked_sub(1)).and_then(|i| s.recent.get(i));
                Some(i.and_then(|i| InteractionScope { i, now_ms: self.view.now_ms }.field(field)).map(Cow::Owned))
            }
            _ => None,
        }
    }

    /// `session` (`path` `None`) or `session.<path>`.
    fn session_var(&self, path: Option<&str>) -> Option<Cow<'_, Value>> {
        let s = self.view.session;
        let now = self.view.now_ms;
        let Some(path) = path else { return walk(self.view.field("")?, None) };
        let (field, rest) = head(path);
        if let ("recent", Some(rest)) = (field, rest) {
            if let Some(found) = self.recent_direct(rest) {
                return found;
            }
        }
        match (field, rest.unwrap_or_default(), rest.is_some()) {
            // Exact values straight from the session, no JSON needed.
            ("id", _, false) => Some(Cow::Owned(Value::from(s.id.as_str()))),
            ("userId", _, false) => s.user_id.as_deref().map(|u| Cow::Owned(Value::from(u))),
            ("ageSeconds", _, false) => Some(Cow::Owned(Value::Number(((now - s.started_ms).max(0.0) / 1000.0).floor()))),
            // One counter, without building the counters object.
            ("counters", key, _) if !key.is_empty() && !key.contains('.') => {
                if key == "events" {
                    let total = crate::event::EventType::ALL.iter().map(|&t| u64::from(s.counter(t))).fold(0u64, u64::saturating_add);
                    Some(Cow::Owned(Value::Number(total as f64)))
                } else {
                    crate::event::EventType::parse(key).map(|t| Cow::Owned(Value::Number(f64::from(s.counter(t)))))
                }
            }
            ("affinity", inner, _) if !inner.is_empty() => {
                let (kind, key) = head(inner);
                match (AffinityKind::parse(kind), key) {
                    // One key: a dot in it would be a further step of the walk.
                    (Some(k), Some(key)) if !key.is_empty() && !key.contains('.') => {
                        let a = s.affinity(k, key, now);
                        (a > 0.0).then_some(Cow::Owned(Value::Number(a)))
                    }
                    _ => walk(self.view.field("affinity")?, rest),
                }
            }
            // The session's JSON has no key "" (`field("")` is the whole of it).
            ("", _, _) => None,
            (field, _, _) => walk(self.view.field(field)?, rest),
        }
    }
}

impl Scope for DecisionScope<'_> {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        let (h, rest) = head(path);
        match h {
            "item" => walk(self.item?, rest),
            "context" => walk(self.context, rest),
            "session" => self.session_var(rest),
            "slot" if rest.is_none() => Some(Cow::Owned(Value::from(self.slot))),
            "now" if rest.is_none() => Some(Cow::Owned(Value::Number(self.view.now_ms))),
            _ => None,
        }
    }

    /// `item.*` and `context.*` are walked with the pre-split path, with no
    /// string handling per evaluation: these are the per-candidate hot paths.
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        match path.first() {
            Some(f) if str_eq(f, "item") => path.lookup_from(self.item?, 1),
            Some(f) if str_eq(f, "context") => path.lookup_from(self.context, 1),
            Some(f) if str_eq(f, "session") => match self.session_segments(path) {
                Some(found) => found,
                None => self.var(path.as_str()),
            },
            _ => self.var(path.as_str()),
        }
    }

    fn each_element(&self, path: &VarPath, each: &mut dyn FnMut(&dyn Scope) -> bool) -> Option<usize> {
        let mut segs = path.segments();
        if (segs.next(), segs.next(), segs.next()) != (Some("session"), Some("recent"), None) {
            return None;
        }
        let now_ms = self.view.now_ms;
        let recent = &self.view.session.recent;
        for i in recent.iter().rev() {
            if !each(&InteractionScope { i, now_ms }) {
                break;
            }
        }
        Some(recent.len())
    }

    fn viewed_within(&self, item: &str, seconds: f64) -> bool {
        self.viewed_within_id(item, seconds)
    }

    fn viewed_category_within(&self, category: &str, seconds: f64) -> bool {
        self.view.session.category_viewed_within(category, seconds, self.view.now_ms)
    }

    fn affinity(&self, kind: &str, key: &str) -> f64 {
        AffinityKind::parse(kind).map(|k| self.view.session.affinity(k, key, self.view.now_ms)).unwrap_or(0.0)
    }

    fn in_cart(&self, item: &str) -> bool {
        self.view.session.in_cart(item)
    }

    fn purchased(&self, item: &str) -> bool {
        self.view.session.purchased(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, Engine};
    use crate::json::{parse, Map};
    use crate::logic::{lookup, Condition};

    const T0: f64 = 1_795_651_200_000.0;

    fn v(text: &str) -> Value {
        parse(text).unwrap_or_default()
    }

    /// An engine with the fixture catalog and a short session: views,
    /// a cart add, an item without brand or price.
    fn engine(events: &[&str]) -> Engine {
        let mut e = Engine::new(Config { seed: 3, ..Config::default() }, T0);
        let loaded = e.load_catalog(&v(include_str!("../../tests/fixtures/catalog.json")));
        assert!(loaded.is_ok(), "{loaded:?}");
        for (i, ev) in events.iter().enumerate() {
            let tracked = e.track(&v(ev), T0 + 1000.0 * i as f64);
            assert!(tracked.is_ok(), "{ev}: {tracked:?}");
        }
        e
    }

    const EVENTS: &[&str] = &[
        r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
        r#"{"type":"product_view","item":{"id":"shoe-2","category":"shoes"}}"#,
        r#"{"type":"add_to_cart","item":{"id":"shoe-2","category":"shoes","brand":"zoom","price":70.5}}"#,
        r#"{"type":"product_view","item":{"id":"sock-2","category":"socks","brand":"knit","price":9}}"#,
    ];

    /// The data rules would see as plain JSON: the reference the lazy scope must match.
    fn plain(view: &SessionView, item: Option<&Value>) -> Value {
        let mut m = Map::new();
        m.insert("session", view.session.to_value(view.now_ms, usize::MAX));
        m.insert("context", v(r#"{"device":"mobile"}"#));
        m.insert("slot", Value::from("home"));
        m.insert("now", Value::Number(view.now_ms));
        if let Some(it) = item {
            m.insert("item", it.clone());
        }
        Value::Object(m)
    }

    #[test]
    fn recent_paths_read_without_the_list_match_the_list() {
        for events in [EVENTS, &[]] {
            let e = engine(events);
            let now = T0 + 65_000.0;
            let view = SessionView::new(e.session(), now);
            let context = v(r#"{"device":"mobile"}"#);
            let scope = DecisionScope { view: &view, slot: "home", context: &context, item: None };
            let data = plain(&view, None);
            for path in [
                "session.recent.0.item", "session.recent.0.category", "session.recent.0.brand", "session.recent.0.type",
                "session.recent.0.ageSeconds", "session.recent.0.price", "session.recent.1.brand", "session.recent.1.price",
                "session.recent.3.item", "session.recent.4.item", "session.recent.0.item.length", "session.recent.0.item.0",
                "session.recent.0.", "session.recent.0", "session.recent.length", "session.recent.01.item",
                "session.recent.-1.item", "session.recent.length.x", "session.recent.0.nope", "session.recent.0.item.",
                "session.recent", "session.recent.0.price.x", "session.counters.product_view", "session.counters.events",
                "session.counters.add_to_cart", "session.counters.nope", "session.counters.search.x", "session.counters",
                "session.counters.", "session.counters.purchase", "session.recent.2.type", "session.recent.5.type",
                "session.recent.1.", "session.recent.x.item", "session.recent.0.item.x", "session.id",
                // A trailing dot reads the key "", which the JSON has nowhere.
                "session.", "session.id.", "session.ageSeconds.", "session.cart.", "slot", "slot.", "now", "now.",
                "context", "context.", "context.device", "context.device.",
                "session.affinity.category.shoes.x", "session.affinity.category.", "session.affinity.", "session..id",
            ] {
                assert_eq!(scope.var(path), lookup(&data, path), "{path} ({} events)", events.len());
                // The pre-split way (how compiled conditions read) answers the same.
                assert_eq!(scope.var_path(&VarPath::new(path)), lookup(&data, path), "{path} split ({} events)", events.len());
            }
        }
    }

    #[test]
    fn iterating_recent_element_by_element_matches_the_list() {
        let bodies = [
            r#"{"==":[{"var":"category"},"shoes"]}"#,
            r#"{"and":[{"==":[{"var":"category"},"shoes"]},{"==":[{"var":"type"},"add_to_cart"]}]}"#,
            r#"{"<=":[{"var":"ageSeconds"},62]}"#,
            r#"{"var":"brand"}"#,
            r#"{">":[{"var":"price"},60]}"#,
            r#"{"==":[{"var":"item.length"},6]}"#,
            r#"{"var":"nope"}"#,
            r#"{"var":["nope",1]}"#,
            r#"{"in_cart":[{"var":"item"}]}"#,
            r#"{"var":""}"#,
            r#"{"missing":["brand"]}"#,
            r#"{"var":{"cat":["ty","pe"]}}"#,
            r#"{"!=":["zoom",{"var":"brand"}]}"#,
            r#"{"===":[{"var":"item"},"shoe-2"]}"#,
            r#"{"!==":[{"var":"type"},"product_view"]}"#,
            r#"{"==":[{"var":"price"},"65"]}"#,
            r#"{"==":[{"var":"category.0"},"s"]}"#,
            r#"{"==":[{"var":["brand","none"]},"none"]}"#,
        ];
        for events in [EVENTS, &[]] {
            let e = engine(events);
            let now = T0 + 65_000.0;
            let view = SessionView::new(e.session(), now);
            let context = v(r#"{"device":"mobile"}"#);
            let scope = DecisionScope { view: &view, slot: "home", context: &context, item: None };
            let data = plain(&view, None);
            for op in ["some", "all", "none"] {
                for body in bodies {
                    let rule = v(&format!(r#"{{"{op}":[{{"var":"session.recent"}},{body}]}}"#));
                    let c = Condition::compile(&rule);
                    assert!(c.is_ok(), "{rule:?}");
                    let Ok(c) = c else { continue };
                    assert_eq!(c.eval(&scope), c.eval(&data), "{op} {body} ({} events)", events.len());
                }
            }
        }
    }

    #[test]
    fn single_item_path_is_found_only_when_it_is_all_the_item_read() {
        let table = [
            (r#"{"==":[{"var":"item.category"},"socks"]}"#, Some("item.category")),
            (r#"{"and":[{"<":[{"var":"item.price"},50]},{">":[{"var":"item.price"},{"var":"session.counters.events"}]}]}"#, Some("item.price")),
            (r#"{"some":[{"var":"item.tags"},{"==":[{"var":""},"sale"]}]}"#, Some("item.tags")),
            (r#"{"in_cart":[{"var":"item.id"}]}"#, Some("item.id")),
            (r#"{"var":["item.brand",{"var":"item.brand"}]}"#, Some("item.brand")),
            (r#"{"and":[{"var":"item.price"},{"var":"item.category"}]}"#, None),
            (r#"{"var":["item.brand",{"var":"item.id"}]}"#, None),
            (r#"{"var":"item"}"#, Some("item")),
            (r#"{"var":""}"#, None),
            (r#"{"var":{"cat":["item.","id"]}}"#, None),
            (r#"{"missing":["item.id"]}"#, None),
            (r#"{"==":[{"var":"session.recent.0.brand"},"x"]}"#, None),
        ];
        for (text, want) in table {
            let c = Condition::compile(&v(text));
            assert!(c.is_ok(), "{text}");
            let Ok(c) = c else { continue };
            assert_eq!(c.single_item_path().map(VarPath::as_str), want, "{text}");
        }
    }

    #[test]
    fn specialized_conditions_decide_as_the_originals() {
        let e = engine(EVENTS);
        let now = T0 + 65_000.0;
        let view = SessionView::new(e.session(), now);
        let context = v(r#"{"device":"mobile"}"#);
        let session_only = DecisionScope { view: &view, slot: "home", context: &context, item: None };
        // A session-only part worth ~91k steps, to check the budget is charged as before.
        let zeros = format!("[{}]", vec!["0"; 300].join(","));
        let heavy = format!(r#"{{"!!":{{"map":[{zeros},{{"map":[{zeros},{{"var":""}}]}}]}}}}"#);
        let long = |n: usize| format!("[{}]", vec!["\"x\""; n].join(","));
        let conditions = [
            r#"{"==":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]}"#.to_string(),
            r#"{"<=":[{"var":"item.price"},{"*":[2,{"var":"session.recent.0.price"}]}]}"#.to_string(),
            r#"{"and":[{"==":[{"var":"context.device"},"mobile"]},{"<":[{"var":"item.price"},50]}]}"#.to_string(),
            r#"{"if":[{"in_cart":["shoe-2"]},{"var":"item.category"},{"var":"slot"}]}"#.to_string(),
            r#"{"==":[{"var":"item.id"},{"var":"session.recent.0.item"}]}"#.to_string(),
            r#"{"in":[{"var":"item.id"},{"var":"session.purchased"}]}"#.to_string(),
            r#"{"==":[{"var":"session.cart"},{"var":["item.nope",{"var":"session.cart"}]}]}"#.to_string(),
            r#"{"some":[{"var":"item.tags"},{"==":[{"var":""},{"var":"session.recent.0.category"}]}]}"#.to_string(),
            r#"{"<":[{"var":"now"},{"+":[{"var":"item.price"},{"var":"now"}]}]}"#.to_string(),
            r#"{"affinity_above":["category",{"var":"item.category"},{"/":[1,{"var":"session.counters.product_view"}]}]}"#.to_string(),
            format!(r#"{{"and":[{heavy},{{"in":[{{"var":"item.id"}},{}]}}]}}"#, long(5000)),
            format!(r#"{{"and":[{heavy},{{"in":[{{"var":"item.id"}},{}]}}]}}"#, long(9500)),
            format!(r#"{{"or":[{{"var":"item.nope"}},{heavy},{{"var":"item.id"}}]}}"#),
        ];
        let mut folded = 0;
        let mut step_limits = Vec::new();
        for text in &conditions {
            let c = Condition::compile(&v(text));
            assert!(c.is_ok(), "{text}: {c:?}");
            let Ok(c) = c else { continue };
            let special = c.specialize(&session_only);
            folded += usize::from(special.is_some());
            let special = special.unwrap_or_else(|| c.clone());
            for i in 0..e.catalog().len() as u32 {
                let Some(it) = e.catalog().item(i) else { continue };
                let scope = DecisionScope { view: &view, slot: "home", context: &context, item: Some(&it.value) };
                let want = c.eval(&plain(&view, Some(&it.value)));
                if matches!(&want, Err(e) if e.code == crate::error::ErrorCode::StepLimit) {
                    step_limits.push(text.len());
                }
                assert_eq!(c.eval(&scope), want, "{text} on {}", it.id);
                assert_eq!(special.eval(&scope), want, "{text} specialized, on {}", it.id);
            }
        }
        assert!(folded >= 10, "only {folded} conditions had parts to fold");
        // Only the 9,500-element variant runs out of steps (on every item), the 5,000 one never.
        let over = conditions.iter().filter(|c| c.contains(&long(9500))).map(String::len).collect::<Vec<_>>();
        assert!(!step_limits.is_empty() && step_limits.iter().all(|l| over.contains(l)), "{step_limits:?}");
    }

    /// `seen_since` (the time tested before the id) answers as the latest
    /// interaction does, on a view still scanning and on one with its map.
    #[test]
    fn seen_since_is_the_latest_interaction_at_or_after() {
        let mut events = Vec::new();
        for (i, id) in ["shoe-1", "sock-2", "shoe-1", "bag-6", "hat-5", "sock-2", "shoe-1"].iter().enumerate() {
            events.push(format!(r#"{{"type":"{}","item":{{"id":"{id}"}}}}"#, if i % 2 == 0 { "product_view" } else { "product_click" }));
        }
        let refs: Vec<&str> = events.iter().map(String::as_str).collect();
        let e = engine(&refs);
        let now = T0 + 10_000.0;
        let mapped = SessionView::new(e.session(), now);
        for _ in 0..4 {
            mapped.last_seen("none");
        }
        assert!(mapped.last_seen.get().is_some());
        let mut answered = 0;
        for id in ["shoe-1", "sock-2", "bag-6", "hat-5", "nope"] {
            for since in [T0 - 1.0, T0, T0 + 500.0, T0 + 1000.0, T0 + 4500.0, T0 + 5000.0, T0 + 6000.0, T0 + 6001.0, f64::NAN] {
                let want = SessionView::new(e.session(), now).last_seen(id).is_some_and(|ts| ts >= since);
                assert_eq!(SessionView::new(e.session(), now).seen_since(id, since), want, "{id} since {since}");
                assert_eq!(mapped.seen_since(id, since), want, "{id} since {since} (map)");
                answered += usize::from(want);
            }
        }
        assert!(answered > 5 && answered < 40, "{answered}");
    }
}
