//! Decisions: which k items a slot shows, and why.
//!
//! The steps, in order:
//! 1. candidates: items related to recent interactions (and to the item on
//!    the page), popular items of the top affinity categories and brands, the
//!    learned model's picks, and best-sellers;
//! 2. rules: session-level parts once, item-level parts per candidate;
//!    include/pin rules add candidates, boost/bury scale, exclude removes;
//! 3. scoring through a [`Scorer`] over [`Features`];
//! 4. a per-category diversity cap, de-duplication, exclusion of items in the
//!    cart or already bought;
//! 5. fallback to the best-seller list when fewer than k qualify.
//!
//! Every item carries its reasons (`related:sku-17`, `rule:accessories-after-view`,
//! `fallback:bestsellers`) so a merchant can see why it is there.

pub(crate) mod fxhash;
mod masks;
mod scope;
pub mod scorer;


pub use masks::{ItemBits, ItemMasks};
pub use scope::{CartJson, DecisionScope, SessionView};
pub use scorer::{Features, LinearScorer, Scorer};

use crate::catalog::{Catalog, RelationKind};
use crate::error::{Error, ErrorCode, Result};
use crate::json::{Map, Value};
use crate::limits::{MAX_DECISION_K, MAX_ID_LEN};
use crate::rules::{Action, Placement, RuleSet};
use crate::session::{decay, Session};

/// Recent interactions whose relations seed candidates.
const RECENT_SEEDS: usize = 5;
/// Top categories / brands by affinity that seed candidates, and how many items each.
const TOP_CATEGORIES: usize = 3;
const PER_CATEGORY: usize = 12;
const TOP_BRANDS: usize = 2;
const PER_BRAND: usize = 6;
/// Candidates asked from the learned model.
const MODEL_CANDIDATES: usize = 50;

/// A request for one slot.
#[derive(Clone, Debug, PartialEq)]
pub struct DecideRequest {
    pub slot: String,
    pub k: usize,
    /// Free-form request context rules can read (`context.page`, `context.device`...).
    pub context: Value,
    /// The item on the page, if any: its relations seed candidates and it is never recommended.
    pub item: Option<String>,
    /// Items never to show.
    pub exclude: Vec<String>,
    pub exclude_cart: bool,
    pub exclude_purchased: bool,
}

impl DecideRequest {
    pub fn from_value(v: &Value) -> Result<DecideRequest> {
        let o = v.as_object().ok_or_else(|| wrong("", "an object", v))?;
        for key in o.keys() {
            if !matches!(key, "slot" | "k" | "context" | "item" | "exclude" | "excludeCart" | "excludePurchased") {
                return Err(Error::new(ErrorCode::InvalidValue, key, "unknown request field"));
            }
        }
        let slot = match o.get("slot") {
            None | Some(Value::Null) => "default".to_string(),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
            Some(other) => return Err(wrong("slot", "a slot name", other)),
        };
        let k = match o.get("k") {
            None | Some(Value::Null) => 10,
            Some(Value::Number(n)) if n.fract() == 0.0 && (1.0..=MAX_DECISION_K as f64).contains(n) => *n as usize,
            Some(Value::Number(_)) => {
                return Err(Error::new(ErrorCode::InvalidValue, "k", format!("must be a whole number from 1 to {MAX_DECISION_K}")))
            }
            Some(other) => return Err(wrong("k", "a number", other)),
        };
        let context = match o.get("context") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(c @ Value::Object(_)) => c.clone(),
            Some(other) => return Err(wrong("context", "an object", other)),
        };
        let item = match o.get("item") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.len() <= MAX_ID_LEN => Some(s.clone()),
            Some(other) => return Err(wrong("item", "an item id", other)),
        };
        let exclude = match o.get("exclude") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) if a.len() <= 1000 => a
                .iter()
                .enumerate()
                .map(|(i, x)| x.as_str().map(str::to_string).ok_or_else(|| wrong(&format!("exclude[{i}]"), "an item id", x)))
                .collect::<Result<_>>()?,
            Some(Value::Array(_)) => return Err(Error::new(ErrorCode::TooLarge, "exclude", "at most 1000 items")),
            Some(other) => return Err(wrong("exclude", "an array of item ids", other)),
        };
        let flag = |key: &str| -> Result<bool> {
            match o.get(key) {
                None | Some(Value::Null) => Ok(true),
                Some(Value::Bool(b)) => Ok(*b),
                Some(other) => Err(wrong(key, "a boolean", other)),
            }
        };
        Ok(DecideRequest {
            slot,
            k,
            context,
            item,
            exclude,
            exclude_cart: flag("excludeCart")?,
            exclude_purchased: flag("excludePurchased")?,
        })
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> Error {
    Error::new(ErrorCode::WrongType, path, format!("expected {expected}, got {}", got.type_name()))
}

/// One chosen item.
#[derive(Clone, Debug, PartialEq)]
pub struct DecidedItem {
    pub id: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A rule that could not be evaluated (e.g. it hit the step limit); the
/// decision goes on without it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleFailure {
    pub rule: String,
    pub code: &'static str,
    pub message: String,
}

/// The outcome of `decide`.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub id: String,
    pub slot: String,
    pub items: Vec<DecidedItem>,
    pub rules_fired: Vec<String>,
    pub rule_failures: Vec<RuleFailure>,
    pub fallback_used: bool,
    pub group: &'static str,
    pub model_version: Option<String>,
}

impl Decision {
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(8);
        m.insert("decisionId", Value::from(self.id.as_str()));
        m.insert("slot", Value::from(self.slot.as_str()));
        m.insert(
            "items",
            Value::Array(
                self.items
                    .iter()
                    .map(|it| {
                        let mut o = Map::with_capacity(3);
                        o.insert("id", Value::from(it.id.as_str()));
                        o.insert("score", Value::Number(rounded_score(it.score)));
                        o.insert("reasons", Value::Array(it.reasons.iter().map(|r| Value::from(r.as_str())).collect()));
                        Value::Object(o)
                    })
                    .collect(),
            ),
        );
        m.insert("rulesFired", Value::Array(self.rules_fired.iter().map(|r| Value::from(r.as_str())).collect()));
        if !self.rule_failures.is_empty() {
            m.insert(
                "ruleErrors",
                Value::Array(
                    self.rule_failures
                        .iter()
                        .map(|f| {
                            let mut o = Map::with_capacity(3);
                            o.insert("rule", Value::from(f.rule.as_str()));
                            o.insert("code", Value::from(f.code));
                            o.insert("message", Value::from(f.message.as_str()));
                            Value::Object(o)
                        })
                        .collect(),
                ),
            );
        }
        m.insert("fallbackUsed", Value::Bool(self.fallback_used));
        m.insert("group", Value::from(self.group));
        m.insert("modelVersion", self.model_version.as_deref().map(Value::from).unwrap_or(Value::Null));
        Value::Object(m)
    }
}

/// A decision as [`decide_ref`] makes it: item ids, rule ids and reasons
/// borrowed from the inputs, no text built. [`DecisionRef::to_decision`] gives
/// the [`Decision`]; the wasm boundary serializes this form straight to JS,
/// each reason written into one reused buffer (rendering ~40 reasons and
/// copying ~25 ids into owned strings, then freeing them, was ~6% of a wasm decide).
pub struct DecisionRef<'a> {
    pub id: String,
    pub slot: String,
    pub items: Vec<ItemRef<'a>>,
    pub rules_fired: Vec<&'a str>,
    pub rule_failures: Vec<RuleFailure>,
    pub fallback_used: bool,
    pub group: &'static str,
    pub model_version: Option<&'a str>,
    /// The generation of the catalog the items' indices are in.
    pub catalog_generation: u64,
    /// The generation of the rule set the rule ids are borrowed from: the
    /// item masks' (`ItemMasks::generation`), which an engine rebuilds from
    /// the rules at every rules or catalog load.
    pub rules_generation: u64,
}

/// A reason's text as [`ItemRef::each_reason`] hands it out, with what it
/// names: a rule (`rule:<id>`, `id` borrowed from the rule set, as in
/// `rules_fired`), an item's relation (`related:<id>`, `id` borrowed from the
/// catalog), or something else (categories, brands, fixed words).
pub enum ReasonText<'t, 'a> {
    Rule { id: &'a str, text: &'t str },
    Relation { kind: crate::catalog::RelationKind, id: &'a str, text: &'t str },
    Other(&'t str),
}

/// One chosen item of a [`DecisionRef`].
pub struct ItemRef<'a> {
    pub id: &'a str,
    /// The item's index in the decision's catalog (`catalog_generation`).
    pub catalog_index: u32,
    pub score: f64,
    reasons: ItemReasons<'a>,
}

#[derive(Clone, Copy)]
enum ItemReasons<'a> {
    /// The candidate's reasons, from the front.
    Kept([Option<Reason<'a>>; MAX_REASONS]),
    /// One fixed reason (the best-seller fills).
    Fixed(&'static str),
}

impl<'a> ItemRef<'a> {
    /// How many reasons the item has.
    pub fn reason_count(&self) -> usize {
        match &self.reasons {
            ItemReasons::Kept(kept) => kept.iter().flatten().count(),
            ItemReasons::Fixed(_) => 1,
        }
    }

    /// Each reason as text, in order: written into `buf` (cleared first) and
    /// handed to `each` with what it names (see [`ReasonText`]).
    pub fn each_reason<E>(&self, buf: &mut String, mut each: impl FnMut(ReasonText<'_, 'a>) -> std::result::Result<(), E>) -> std::result::Result<(), E> {
        match &self.reasons {
            ItemReasons::Kept(kept) => {
                for r in kept.iter().flatten() {
                    buf.clear();
                    r.write_into(buf);
                    each(match *r {
                        Reason::Rule(id) => ReasonText::Rule { id, text: buf },
                        Reason::Relation(kind, id) => ReasonText::Relation { kind, id, text: buf },
                        _ => ReasonText::Other(buf),
                    })?;
                }
                Ok(())
            }
            ItemReasons::Fixed(text) => each(ReasonText::Other(text)),
        }
    }

    /// The reasons as owned text.
    pub fn reasons(&self) -> Vec<String> {
        match &self.reasons {
            ItemReasons::Kept(kept) => {
                // Sized up front (a flattened iterator's hint is 0: two growths per item).
                let mut out = Vec::with_capacity(self.reason_count());
                out.extend(kept.iter().flatten().map(|r| r.render()));
                out
            }
            ItemReasons::Fixed(text) => vec![(*text).to_string()],
        }
    }
}

impl DecisionRef<'_> {
    /// The owned [`Decision`] with the same content.
    pub fn to_decision(&self) -> Decision {
        Decision {
            id: self.id.clone(),
            slot: self.slot.clone(),
            items: self.items.iter().map(|it| DecidedItem { id: it.id.to_string(), score: it.score, reasons: it.reasons() }).collect(),
            rules_fired: self.rules_fired.iter().map(|r| (*r).to_string()).collect(),
            rule_failures: self.rule_failures.clone(),
            fallback_used: self.fallback_used,
            group: self.group,
            model_version: self.model_version.map(str::to_string),
        }
    }
}

/// A score as a decision reports it: four decimals.
pub fn rounded_score(score: f64) -> f64 {
    (score * 1e4).round() / 1e4
}

/// Learned-model picks for this session: (catalog index, score 0..1).
pub type ModelPicks = Vec<(u32, f64)>;

/// Everything a decision reads.
pub struct Inputs<'a> {
    pub session: &'a Session,
    pub catalog: &'a Catalog,
    pub rules: &'a RuleSet,
    /// Item-only rule parts, computed per catalog item at load ([`ItemMasks::build`]).
    pub masks: &'a ItemMasks,
    pub scorer: &'a dyn Scorer,
    pub model_picks: &'a ModelPicks,
    pub model_version: Option<&'a str>,
    pub now_ms: f64,
    /// Most items of one category among the ranked items (None: ceil(0.6·k)).
    pub diversity_cap: Option<usize>,
    /// `session.cart` as JSON kept between decisions, made valid for `session`.
    pub cart_json: Option<&'a CartJson>,
    pub holdout: bool,
}

/// Why a candidate is in the pool. Kept as borrowed parts and rendered to
/// text only for the items the decision returns: formatting a string per
/// candidate and source was a tenth of the decision's time.
#[derive(Clone, Copy)]
enum Reason<'a> {
    Relation(RelationKind, &'a str),
    Category(&'a str),
    Brand(&'a str),
    Model,
    Popular,
    Rule(&'a str),
}

/// Two reasons are the same when they name the same thing. Their strings
/// are borrowed from one place per thing (the catalog item's id, the affinity
/// table's key, the rule's id), so comparing where they point is comparing
/// what they say, without a string compare per candidate.
impl PartialEq for Reason<'_> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        let same = |a: &str, b: &str| std::ptr::eq(a, b);
        match (self, other) {
            (Reason::Relation(k1, a), Reason::Relation(k2, b)) => k1 == k2 && same(a, b),
            (Reason::Category(a), Reason::Category(b)) | (Reason::Brand(a), Reason::Brand(b)) | (Reason::Rule(a), Reason::Rule(b)) => {
                same(a, b)
            }
            (Reason::Model, Reason::Model) | (Reason::Popular, Reason::Popular) => true,
            _ => false,
        }
    }
}

impl<'a> Reason<'a> {
    /// The text: a fixed word, or `prefix:name`.
    fn parts(self) -> (&'static str, Option<&'a str>) {
        match self {
            Reason::Relation(kind, src) => (kind.as_str(), Some(src)),
            Reason::Category(c) => ("category", Some(c)),
            Reason::Brand(b) => ("brand", Some(b)),
            Reason::Model => ("model", None),
            Reason::Popular => ("popular", None),
            Reason::Rule(id) => ("rule", Some(id)),
        }
    }

    /// Appends the text to `buf`. Concatenation, not `format!`: the
    /// formatting machinery was a twelfth of a wasm decision for these strings.
    fn write_into(self, buf: &mut String) {
        let (prefix, rest) = self.parts();
        buf.push_str(prefix);
        if let Some(rest) = rest {
            buf.push(':');
            buf.push_str(rest);
        }
    }

    fn render(self) -> String {
        let (prefix, rest) = self.parts();
        let mut s = String::with_capacity(prefix.len().saturating_add(1).saturating_add(rest.map_or(0, str::len)));
        self.write_into(&mut s);
        s
    }
}

/// At most this many reasons are kept per item.
const MAX_REASONS: usize = 4;

#[derive(Default)]
struct Candidate<'a> {
    idx: u32,
    features: Features,
    multiplier: f64,
    reasons: [Option<Reason<'a>>; MAX_REASONS],
    /// How many of `reasons` are filled (from the front; never removed).
    reason_count: u8,
    /// Included ahead of the ranking: (order key).
    first: Option<usize>,
    pin: Option<usize>,
    excluded: bool,
    /// Came from the best-seller source only.
    popular_only: bool,
    score: f64,
    /// When the session last interacted with the item.
    last_seen: Option<f64>,
}

impl<'a> Candidate<'a> {
    #[inline(always)]
    fn note(&mut self, r: Reason<'a>) {
        // ~400 notes a decision: a full candidate (the common case after the
        // first sources) returns at once, others compare the filled reasons only.
        let n = usize::from(self.reason_count);
        if n >= MAX_REASONS || self.reasons.get(..n).is_some_and(|kept| kept.contains(&Some(r))) {
            return;
        }
        if let Some(slot) = self.reasons.get_mut(n) {
            *slot = Some(r);
            self.reason_count = self.reason_count.saturating_add(1);
        }
    }
}

/// What a decision marks per catalog item, in one flat array the engine
/// keeps between decisions (one slot per catalog item): the candidate's
/// position in the pool and whether the item is never shown, in the cart or
/// bought. A hash map of the pool and lists searched per candidate cost more
/// (~5% of a wasm decision). A slot counts only when its stamp is the
/// decision's, so nothing is cleared between decisions and a slot left by an
/// earlier decision (or catalog) reads as unmarked.
#[derive(Default)]
pub struct Marks {
    slots: Vec<Mark>,
    stamp: u32,
}

#[derive(Clone, Copy, Default)]
struct Mark {
    stamp: u32,
    /// Position in the pool; `u32::MAX`: not a candidate.
    pos: u32,
    flags: u8,
}

const NEVER: u8 = 1;
const IN_CART: u8 = 2;
const PURCHASED: u8 = 4;

impl Marks {
    /// Starts a decision over a catalog of `len` items: every slot unmarked.
    fn begin(&mut self, len: usize) {
        if self.slots.len() != len {
            self.slots.clear();
            self.slots.resize(len, Mark::default());
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // After 2^32 decisions: the old stamps could come round again.
            self.slots.iter_mut().for_each(|m| *m = Mark::default());
            self.stamp = 1;
        }
    }
    #[inline(always)]
    fn get(&self, idx: u32) -> Mark {
        match self.slots.get(idx as usize) {
            Some(m) if m.stamp == self.stamp => *m,
            _ => Mark { stamp: 0, pos: u32::MAX, flags: 0 },
        }
    }
    #[inline(always)]
    fn slot(&mut self, idx: u32) -> Option<&mut Mark> {
        let stamp = self.stamp;
        let m = self.slots.get_mut(idx as usize)?;
        if m.stamp != stamp {
            *m = Mark { stamp, pos: u32::MAX, flags: 0 };
        }
        Some(m)
    }
    fn set(&mut self, idx: u32, flag: u8) {
        if let Some(m) = self.slot(idx) {
            m.flags |= flag;
        }
    }
    #[inline(always)]
    fn has(&self, idx: u32, flag: u8) -> bool {
        self.get(idx).flags & flag != 0
    }
    #[inline(always)]
    fn pos(&self, idx: u32) -> Option<usize> {
        let pos = self.get(idx).pos;
        (pos != u32::MAX).then_some(pos as usize)
    }

    /// Marks the items the request never shows, the cart and the purchases.
    fn mark_session(&mut self, cat: &Catalog, s: &Session, req: &DecideRequest) {
        self.begin(cat.len());
        for l in &s.cart {
            if let Some(j) = cat.index_hinted(&l.item, l.hint) {
                self.set(j, if req.exclude_cart { IN_CART | NEVER } else { IN_CART });
            }
        }
        for id in &s.purchased {
            if let Some(j) = cat.index_of(id) {
                self.set(j, if req.exclude_purchased { PURCHASED | NEVER } else { PURCHASED });
            }
        }
        for id in req.item.iter().chain(&req.exclude) {
            if let Some(j) = cat.index_of(id) {
                self.set(j, NEVER);
            }
        }
    }
}

/// Out of stock, or never shown by the request (the item on the page, its
/// exclusions, the cart and purchases unless asked for).
#[inline(always)]
fn blocked(cat: &Catalog, marks: &Marks, idx: u32) -> bool {
    cat.item(idx).is_none_or(|it| !it.in_stock) || marks.has(idx, NEVER)
}

struct Pool<'a, 'm> {
    list: Vec<Candidate<'a>>,
    marks: &'m mut Marks,
}

impl<'a> Pool<'a, '_> {
    fn entry(&mut self, idx: u32) -> &mut Candidate<'a> {
        let pos = match self.marks.pos(idx) {
            Some(pos) => pos,
            None => {
                self.list.push(Candidate { idx, multiplier: 1.0, popular_only: true, ..Candidate::default() });
                let pos = self.list.len().saturating_sub(1);
                if let Some(m) = self.marks.slot(idx) {
                    m.pos = pos as u32;
                }
                pos
            }
        };
        // `pos` was just inserted or looked up, so it is in range.
        let len = self.list.len();
        // `pos` was pushed or looked up just above, so it is always < len.
        #[allow(clippy::indexing_slicing)]
        &mut self.list[pos.min(len.saturating_sub(1))]
    }
    #[inline(always)]
    fn add(&mut self, idx: u32, reason: Reason<'a>, personal: bool) -> &mut Candidate<'a> {
        let c = self.entry(idx);
        c.note(reason);
        if personal {
            c.popular_only = false;
        }
        c
    }
    fn get_mut(&mut self, idx: u32) -> Option<&mut Candidate<'a>> {
        self.marks.pos(idx).and_then(|pos| self.list.get_mut(pos))
    }
}

/// Runs the decision pipeline. `decision_id` comes from the engine's id
/// generator so the core stays free of clocks and randomness of its own.
pub fn decide(inp: &Inputs, req: &DecideRequest, decision_id: String) -> Decision {
    decide_ref(inp, req, decision_id, &mut Marks::default()).to_decision()
}

/// [`decide`] with the decision's texts borrowed from the inputs and the
/// per-item marks kept by the caller (the engine keeps one between
/// decisions, so the flat array is not allocated per decision).
pub fn decide_ref<'a>(inp: &Inputs<'a>, req: &DecideRequest, decision_id: String, marks: &mut Marks) -> DecisionRef<'a> {
    let s = inp.session;
    let cat = inp.catalog;
    let now = inp.now_ms;
    let k = req.k.clamp(1, MAX_DECISION_K);
    let mut decision = DecisionRef {
        id: decision_id,
        slot: req.slot.clone(),
        items: Vec::with_capacity(k),
        // Every rule fires at most once: one allocation, not five growths.
        rules_fired: Vec::with_capacity(inp.rules.rules.len()),
        rule_failures: Vec::new(),
        fallback_used: false,
        group: if inp.holdout { "holdout" } else { "treatment" },
        model_version: inp.model_version,
        catalog_generation: inp.catalog.generation(),
        rules_generation: inp.masks.generation(),
    };
    // Items never shown, the cart and the purchases, marked by catalog index
    // once: ids outside the catalog can never be candidates, and the
    // exclusions here and the `in_cart`/`purchased` tests of the rules below
    // read one slot instead of comparing strings per candidate.
    marks.mark_session(cat, s, req);

    if inp.holdout {
        fill_from_bestsellers(cat, k, &|j| blocked(cat, marks, j), &mut decision, "holdout:bestsellers");
        decision.fallback_used = true;
        return decision;
    }

    let view = match inp.cart_json {
        Some(cart) => SessionView::new(s, now).with_cart(cart),
        None => SessionView::new(s, now),
    };
    let mut pool = Pool { list: Vec::with_capacity(128), marks };
    let half_life = s.half_life_ms;

    // 1. Candidates.
    if let Some(src) = req.item.as_deref().and_then(|id| cat.get(id)) {
        for kind in RelationKind::ALL {
            for &(j, w) in src.relations(kind) {
                let c = pool.add(j, Reason::Relation(kind, &src.id), true);
                c.features.relation = c.features.relation.max(w as f64);
            }
        }
    }
    for (inter, age_ms) in s.recent_distinct(RECENT_SEEDS, now) {
        let Some(src) = cat.index_hinted(&inter.item, inter.hint).and_then(|i| cat.item(i)) else { continue };
        let fresh = decay(age_ms, half_life);
        for kind in [RelationKind::Related, RelationKind::Similar] {
            for &(j, w) in src.relations(kind) {
                let c = pool.add(j, Reason::Relation(RelationKind::Related, &src.id), true);
                c.features.relation = c.features.relation.max(w as f64 * fresh);
            }
        }
    }
    // The top categories and brands also give the strongest scores that
    // normalise their features below (the first of a top; entries at or below
    // 1e-9, left out of a top, are floored to 1e-9 there either way): one
    // decay per entry, not two.
    let top_categories = s.categories.top(TOP_CATEGORIES, now, half_life);
    let top_brands = s.brands.top(TOP_BRANDS, now, half_life);
    let max_cat = top_categories.first().map_or(0.0, |t| t.1).max(1e-9);
    let max_brand = top_brands.first().map_or(0.0, |t| t.1).max(1e-9);
    for (category, _) in top_categories {
        for &j in cat.in_category(category).iter().take(PER_CATEGORY) {
            pool.add(j, Reason::Category(category), true);
        }
    }
    for (brand, _) in top_brands {
        for &j in cat.of_brand(brand).iter().take(PER_BRAND) {
            pool.add(j, Reason::Brand(brand), true);
        }
    }
    for &(j, score) in inp.model_picks.iter().take(MODEL_CANDIDATES) {
        let c = pool.add(j, Reason::Model, true);
        c.features.model = score;
    }
    for &j in cat.bestsellers().iter().take(k.saturating_mul(2)) {
        pool.add(j, Reason::Popular, false);
    }

    // 2a. Rules, session-level parts: which rules are live, and the ones that add items.
    let mut live: Vec<usize> = Vec::new();
    let mut first_order = 0usize;
    // Results of cart-only parts kept from earlier decisions on the same cart and rules.
    let mut cart_results = inp.cart_json.map(|c| c.take_part_results(inp.masks.generation(), inp.masks.cart_parts()));
    for (ri, rule) in inp.rules.rules.iter().enumerate() {
        if !rule.active(&req.slot, now) {
            continue;
        }
        let scope = DecisionScope { view: &view, slot: &req.slot, context: &req.context, item: None };
        let kept = cart_results.as_mut().map(|r| (inp.masks, ri, r.results.as_mut_slice()));
        match all_true(&rule.session_part, &scope, kept) {
            Err(e) => {
                decision.rule_failures.push(RuleFailure { rule: rule.id.clone(), code: e.code.as_str(), message: e.to_string() });
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }
        match &rule.action {
            Action::IncludeRelated { of, relation, limit, placement } => {
                let sources = match of.eval(&scope) {
                    Ok(v) => ids_of(&v),
                    Err(e) => {
                        decision.rule_failures.push(RuleFailure { rule: rule.id.clone(), code: e.code.as_str(), message: e.to_string() });
                        continue;
                    }
                };
                let mut added = false;
                for src in sources.iter().filter_map(|id| cat.get(id)) {
                    for &(j, w) in src.relations(*relation).iter().take(*limit) {
                        if blocked(cat, pool.marks, j) {
                            continue;
                        }
                        let c = pool.add(j, Reason::Rule(&rule.id), true);
                        c.features.relation = c.features.relation.max(w as f64);
                        match placement {
                            Placement::First => {
                                if c.first.is_none() {
                                    c.first = Some(first_order);
                                    first_order = first_order.saturating_add(1);
                                }
                            }
                            Placement::Boost(f) => c.multiplier *= f,
                        }
                        added = true;
                    }
                }
                if added {
                    decision.rules_fired.push(&rule.id);
                }
            }
            Action::Pin { position, item: Some(id) } => {
                if let Some(j) = cat.index_of(id).filter(|&j| !blocked(cat, pool.marks, j)) {
                    let c = pool.add(j, Reason::Rule(&rule.id), true);
                    if c.pin.is_none() {
                        c.pin = Some(*position);
                    }
                    decision.rules_fired.push(&rule.id);
                }
            }
            _ => live.push(ri),
        }
    }

    if let (Some(cart), Some(results)) = (inp.cart_json, cart_results) {
        cart.keep_part_results(results);
    }

    // 2b. Item-level parts with what they read of the session, the request
    //     and the clock evaluated once for the decision: per candidate only
    //     the `item` reads remain.
    let session_scope = DecisionScope { view: &view, slot: &req.slot, context: &req.context, item: None };
    // All live rules' parts in one list, each rule's a range of it: one
    // list per rule was ~20 allocations (and frees) a decision.
    let mut item_parts: Vec<ItemPart> = Vec::with_capacity(live.iter().filter_map(|&ri| inp.rules.rules.get(ri)).map(|r| r.item_part.len()).sum());
    let mut live_rules: Vec<LiveRule> = Vec::with_capacity(live.len());
    for &ri in &live {
        let Some(rule) = inp.rules.rules.get(ri) else { continue };
        let start = item_parts.len();
        item_parts.extend(rule.item_part.iter().enumerate().map(|(pi, p)| match inp.masks.part(cat, ri, pi) {
            Some(bits) => ItemPart::Precomputed(bits),
            None => ItemPart::Memo(MemoPart::new(match p.specialize(&session_scope) {
                Some(folded) => std::borrow::Cow::Owned(folded),
                None => std::borrow::Cow::Borrowed(p),
            })),
        }));
        let parts = start..item_parts.len();
        live_rules.push(LiveRule { rule, index: ri, parts, precomputed: inp.masks.answered(cat, ri), fired: false });
    }

    // 3. Features and scores; 2b. item-level rules per candidate.
    // Item affinities and last-seen times straight into the candidates, in
    // one pass over the session's affinity table (one decay each) and one
    // over the ring, through the entries' catalog hints: no id is hashed, no
    // map is built.
    let max_item = item_affinities(s, cat, &mut pool, now);
    for i in &s.recent {
        if let Some(c) = cat.index_hinted(&i.item, i.hint).and_then(|idx| pool.get_mut(idx)) {
            c.last_seen = Some(c.last_seen.map_or(i.ts, |t| t.max(i.ts)));
        }
    }
    let max_item = max_item.max(1e-9);
    // Category and brand affinities by dense id, looked up on first use.
    let mut category_affinity = vec![f64::NAN; cat.category_count()];
    let mut brand_affinity = vec![f64::NAN; cat.brand_count()];
    let typical_price = s.typical_price();
    // Which live rules hold for each candidate: bit `ri % 64` of word
    // `ri / 64` for rule `ri`. Rules whose item parts were all computed at
    // load are read from the catalog item's words (`ItemMasks::item_rules`),
    // masked to the live ones: a word per candidate instead of a test per
    // candidate and rule (they cannot fail, so when they are asked changes
    // nothing). The others are evaluated per candidate below, in rule order,
    // so a failing rule is reported at the same candidate as before. The
    // effects are then applied per candidate in rule order from the bits: the
    // same multiplications, reasons and first firings, in the same order, as
    // testing every rule on every candidate.
    // Word `w` of candidate `ci` at `w * n + ci`.
    let n = pool.list.len();
    let words = inp.rules.rules.len().div_ceil(64);
    let mut hits = vec![0u64; n.saturating_mul(words)];
    let mut answered_live = vec![0u64; words];
    // Rule index -> position in `live_rules`.
    let mut live_at = vec![u32::MAX; inp.rules.rules.len()];
    let mut evaluated: Vec<usize> = Vec::with_capacity(live_rules.len());
    for (j, lr) in live_rules.iter().enumerate() {
        if let Some(at) = live_at.get_mut(lr.index) {
            *at = j as u32;
        }
        match answered_live.get_mut(lr.index / 64) {
            Some(w) if lr.precomputed => *w |= 1 << (lr.index % 64),
            _ => evaluated.push(j),
        }
    }
    if answered_live.iter().any(|&w| w != 0) {
        for (ci, c) in pool.list.iter().enumerate() {
            let Some(item_words) = inp.masks.item_rules(cat, c.idx) else { continue };
            for (w, (&holds, &live)) in item_words.iter().zip(&answered_live).enumerate() {
                if let Some(h) = hits.get_mut(w.saturating_mul(n).saturating_add(ci)) {
                    *h |= holds & live;
                }
            }
        }
    }
    let marks: &Marks = pool.marks;
    for (ci, c) in pool.list.iter_mut().enumerate() {
        if blocked(cat, marks, c.idx) {
            c.excluded = true;
            continue;
        }
        let Some(it) = cat.item(c.idx) else {
            c.excluded = true;
            continue;
        };
        let f = &mut c.features;
        f.item_affinity /= max_item;
        f.category_affinity = match (it.category.as_deref(), it.category_id.and_then(|id| category_affinity.get_mut(id as usize))) {
            (Some(name), Some(slot)) => {
                if slot.is_nan() {
                    *slot = s.categories.get(name, now, half_life) / max_cat;
                }
                *slot
            }
            _ => 0.0,
        };
        f.brand_affinity = match (it.brand.as_deref(), it.brand_id.and_then(|id| brand_affinity.get_mut(id as usize))) {
            (Some(name), Some(slot)) => {
                if slot.is_nan() {
                    *slot = s.brands.get(name, now, half_life) / max_brand;
                }
                *slot
            }
            _ => 0.0,
        };
        // Shared by the recency feature and `viewed_within(item.id)` rules.
        let last_seen = c.last_seen;
        f.recency = last_seen.map_or(0.0, |ts| decay(now - ts, half_life));
        f.popularity = it.popularity;
        f.price_fit = match (it.price, typical_price) {
            (Some(p), Some(t)) if p > 0.0 && t > 0.0 => (p / t).min(t / p),
            _ => 0.0,
        };
        let scope = DecisionScope { view: &view, slot: &req.slot, context: &req.context, item: Some(&it.value) };
        for &j in &evaluated {
            let Some(lr) = live_rules.get(j) else { continue };
            let Some(parts) = item_parts.get_mut(lr.parts.clone()) else { continue };
            match all_true_memo(parts, &scope, (it, c.idx, marks, last_seen)) {
                Ok(true) => {
                    if let Some(h) = hits.get_mut((lr.index / 64).saturating_mul(n).saturating_add(ci)) {
                        *h |= 1 << (lr.index % 64);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    if !decision.rule_failures.iter().any(|x| x.rule == lr.rule.id) {
                        decision.rule_failures.push(RuleFailure { rule: lr.rule.id.clone(), code: e.code.as_str(), message: e.to_string() });
                    }
                }
            }
        }
        for w in 0..words {
            let mut rest = hits.get(w.saturating_mul(n).saturating_add(ci)).copied().unwrap_or(0);
            while rest != 0 {
                let ri = w.saturating_mul(64).saturating_add(rest.trailing_zeros() as usize);
                rest &= rest.wrapping_sub(1);
                let Some(lr) = live_at.get(ri).and_then(|&j| live_rules.get_mut(j as usize)) else { continue };
                match &lr.rule.action {
                    Action::Scale(f) => c.multiplier *= f,
                    Action::Exclude => c.excluded = true,
                    Action::Pin { position, item: None } => {
                        if c.pin.is_none() {
                            c.pin = Some(*position);
                        }
                    }
                    _ => continue,
                }
                c.note(Reason::Rule(&lr.rule.id));
                if !lr.fired {
                    lr.fired = true;
                    decision.rules_fired.push(&lr.rule.id);
                }
            }
        }
        c.score = inp.scorer.score(&c.features) * c.multiplier;
    }

    // 4. Compose: pins at their positions, then included-first items, then the
    //    ranking under the diversity cap.
    let personal = pool.list.iter().any(|c| !c.popular_only && !c.excluded);
    // Pinned first, then included-first in their order, then by score and
    // catalog index: the order as (placement, score, index) keys computed
    // once per candidate. Only the head of the order is used (pins, then
    // until k items are taken), so it is selected as the loop below asks.
    let placement = |c: &Candidate| -> u64 {
        let first = c.first.map_or(0, |f| (f as u64).min(u64::MAX >> 2));
        (u64::from(c.pin.is_none()) << 63) | (u64::from(c.first.is_none()) << 62) | first
    };
    let ranked = Ranking::new(pool.list.iter().filter(|c| !c.excluded).map(|c| ((placement(c), score_descending(c.score), c.idx), c)).collect());
    let cap = inp.diversity_cap.unwrap_or_else(|| k.saturating_mul(3).div_ceil(5)).max(1);
    // Items per category so far, by dense category id; items without a
    // category (or with an empty one) are never capped.
    let mut per_category = vec![0usize; cat.category_count()];
    let mut slots: Vec<Option<&Candidate>> = vec![None; k];
    let mut rest: Vec<&Candidate> = Vec::with_capacity(k);
    for c in ranked {
        // Pins come first in the order, so once k items are taken nothing
        // after a candidate without a pin can change the result.
        if rest.len() >= k && c.pin.is_none() {
            break;
        }
        let capped = cat
            .item(c.idx)
            .filter(|it| it.category.as_deref().is_some_and(|name| !name.is_empty()))
            .and_then(|it| it.category_id);
        let mut uncapped = 0usize;
        let n = match capped.and_then(|id| per_category.get_mut(id as usize)) {
            Some(n) => n,
            None => &mut uncapped,
        };
        let exempt = c.pin.is_some() || c.first.is_some();
        if !exempt && capped.is_some() && *n >= cap {
            continue;
        }
        if let Some(p) = c.pin {
            // A taken position passes the pin to the next free one.
            // k >= 1 (clamped above); saturating keeps an empty range safe regardless.
            if let Some(free) = (p.min(k.saturating_sub(1))..k).find(|&i| slots.get(i).is_some_and(Option::is_none)) {
                if let Some(slot) = slots.get_mut(free) {
                    *slot = Some(c);
                    *n = n.saturating_add(1);
                }
            }
            continue;
        }
        if rest.len() < k {
            rest.push(c);
            *n = n.saturating_add(1);
        }
    }
    let mut rest = rest.into_iter();
    for slot in slots.iter_mut() {
        if slot.is_none() {
            *slot = rest.next();
        }
    }
    for c in slots.into_iter().flatten() {
        let Some(it) = cat.item(c.idx) else { continue };
        let reasons = if !personal && c.popular_only {
            // No personal signal yet: these are the best-sellers, said plainly.
            decision.fallback_used = true;
            ItemReasons::Fixed("fallback:bestsellers")
        } else {
            ItemReasons::Kept(c.reasons)
        };
        decision.items.push(ItemRef { id: &it.id, catalog_index: c.idx, score: c.score, reasons });
    }

    // 5. Fallback when fewer than k qualify.
    if decision.items.len() < k {
        let before = decision.items.len();
        // The fill obeys exclusions too: a candidate already excluded stays
        // out, and a best-seller never seen as a candidate meets the exclude rules now.
        let excluded_by_rules = |idx: u32| -> bool {
            if let Some(c) = marks.pos(idx).and_then(|pos| pool.list.get(pos)) {
                return c.excluded;
            }
            let Some(it) = cat.item(idx) else { return true };
            let scope = DecisionScope { view: &view, slot: &req.slot, context: &req.context, item: Some(&it.value) };
            live.iter()
                .filter_map(|&ri| Some((ri, inp.rules.rules.get(ri)?)))
                .filter(|(_, r)| matches!(r.action, Action::Exclude))
                .any(|(ri, r)| {
                    r.item_part.iter().enumerate().all(|(pi, p)| match inp.masks.part(cat, ri, pi) {
                        Some(bits) => bits.get(idx),
                        None => p.matches(&scope).unwrap_or(false),
                    })
                })
        };
        let fill_blocked = |idx: u32| blocked(cat, marks, idx) || excluded_by_rules(idx);
        fill_from_bestsellers(cat, k, &fill_blocked, &mut decision, "fallback:bestsellers");
        decision.fallback_used |= decision.items.len() > before;
    }
    decision
}

/// The session's item affinities, decayed, written into the candidates they
/// are of; returns the strongest of them all (at least 0). A decay is at
/// most 1, so an entry whose undecayed score is not above the strongest so
/// far cannot raise it (a negative one stays at most 0, where the strongest
/// starts): its decay (an `exp`, ~2.5% of a wasm decide for ~100 entries) is
/// computed only when the entry is a candidate's.
fn item_affinities(s: &Session, cat: &Catalog, pool: &mut Pool, now: f64) -> f64 {
    let mut strongest = 0.0f64;
    for (id, e) in s.items.iter() {
        let candidate = cat.index_hinted(id, e.hint).and_then(|idx| pool.get_mut(idx));
        if candidate.is_none() && e.score <= strongest {
            continue;
        }
        let score = e.score * decay(now - e.at_ms, s.half_life_ms);
        strongest = strongest.max(score);
        if let Some(c) = candidate {
            c.features.item_affinity = score;
        }
    }
    strongest
}

/// A rank key of a score: greater scores give smaller keys, in the order of
/// `f64::total_cmp` (its own key: the magnitude bits flipped for negative
/// numbers, then the sign bit flipped to order as unsigned), reversed.
fn score_descending(score: f64) -> u64 {
    let bits = score.to_bits() as i64;
    let ordered = bits ^ ((((bits >> 63) as u64) >> 1) as i64);
    !((ordered as u64) ^ (1 << 63))
}

/// Candidates in ascending key order, taken one at a time from a binary
/// min-heap: a decision reads only the head of the order (~k of ~110
/// candidates), so building the heap (O(n)) and taking ~15 from it
/// (O(log n) each) beats sorting them all (the sort, with its two buffers and
/// a call per comparison, was ~6% of a wasm decide) and a scan of the rest
/// for each next one (~1,300 key comparisons, ~10% of a native decide). Keys
/// are unique (they end with the catalog index), so the order is the sort's.
struct Ranking<T> {
    heap: Vec<((u64, u64, u32), T)>,
}

impl<T: Copy> Ranking<T> {
    fn new(keyed: Vec<((u64, u64, u32), T)>) -> Self {
        let mut ranking = Ranking { heap: keyed };
        for at in (0..ranking.heap.len() / 2).rev() {
            ranking.sift_down(at);
        }
        ranking
    }

    /// Moves the entry at `at` down until neither child has a smaller key.
    fn sift_down(&mut self, mut at: usize) {
        let key = |h: &[((u64, u64, u32), T)], i: usize| h.get(i).map(|e| e.0);
        loop {
            let left = at.saturating_mul(2).saturating_add(1);
            let Some(left_key) = key(&self.heap, left) else { return };
            let right = left.saturating_add(1);
            let (child, child_key) = match key(&self.heap, right) {
                Some(right_key) if right_key < left_key => (right, right_key),
                _ => (left, left_key),
            };
            match key(&self.heap, at) {
                Some(own) if child_key < own => {
                    self.heap.swap(at, child);
                    at = child;
                }
                _ => return,
            }
        }
    }
}

impl<T: Copy> Iterator for Ranking<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.heap.is_empty() {
            return None;
        }
        let smallest = self.heap.swap_remove(0);
        self.sift_down(0);
        Some(smallest.1)
    }
}

fn fill_from_bestsellers<'a>(cat: &'a Catalog, k: usize, blocked: &dyn Fn(u32) -> bool, d: &mut DecisionRef<'a>, reason: &'static str) {
    for &j in cat.bestsellers() {
        if d.items.len() >= k {
            break;
        }
        let Some(it) = cat.item(j) else { continue };
        if blocked(j) || d.items.iter().any(|x| x.id == it.id) {
            continue;
        }
        d.items.push(ItemRef { id: &it.id, catalog_index: j, score: 0.0, reasons: ItemReasons::Fixed(reason) });
    }
}

/// Whether every session-level part of a rule holds. With `kept` (the
/// masks, the rule's index and the kept results), a part that reads only
/// the cart is answered from its kept result, or evaluated and kept; only
/// successes are kept, a failing part fails again the same way.
fn all_true(parts: &[crate::logic::Condition], scope: &DecisionScope, mut kept: Option<(&ItemMasks, usize, &mut [Option<bool>])>) -> Result<bool> {
    for (pi, p) in parts.iter().enumerate() {
        let slot = kept.as_mut().and_then(|(masks, ri, results)| results.get_mut(masks.cart_slot(*ri, pi)?));
        let hit = match slot.as_deref().copied().flatten() {
            Some(hit) => hit,
            None => {
                let hit = p.matches(scope)?;
                if let Some(slot) = slot {
                    *slot = Some(hit);
                }
                hit
            }
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Distinct values remembered per item-level part; a part that sees more
/// (ids, prices) stops looking values up, as look-ups would only add work.
const MEMO_VALUES: usize = 12;

/// An item-level rule part for one decision, with its results per value of
/// the one item field it reads (see `Condition::single_item_path`): ~120
/// candidates share a dozen categories, brands or price points, so most
/// evaluations become a look-up. Only successful results are remembered; a
/// failing evaluation is repeated and fails the same way.
struct MemoPart<'m, 'v> {
    /// Borrowed from the rule when nothing in it folds for the decision
    /// (most parts): a copy of the tree per part and decision was ~2% of a
    /// wasm decide with an empty catalog.
    part: std::borrow::Cow<'m, crate::logic::Condition>,
    /// The part in a form answered from the item's typed fields.
    typed: Option<TypedTest>,
    /// The part is a [`crate::logic::DirectTest`]: answered without the evaluator or the memo.
    direct: bool,
    path: Option<crate::logic::VarPath>,
    seen: Vec<(Option<std::borrow::Cow<'v, Value>>, bool)>,
}

/// The item fields a [`TypedTest`] reads from [`crate::catalog::Item`]
/// itself: the catalog builds the item's JSON from exactly these, so they
/// agree. (`popularity` is not one: the best-seller rank raises the typed one.)
#[derive(Clone, Copy)]
enum TextField {
    Id,
    Category,
    Brand,
}

/// Common item-level parts answered from the item's typed fields and the
/// decision's index sets, with the evaluator's results: JavaScript `==`,
/// `===` and the comparisons are plain equality and order when both sides
/// are strings or both are numbers, and the merchant operators on `item.id`
/// ask the same session. Anything else goes through [`crate::logic::DirectTest`].
enum TypedTest {
    /// `item.<field> ==/===/!=/!== "text"` (either side): a missing field is `null`, never equal.
    Text { field: TextField, text: String, negate: bool },
    /// `item.price <op> number`, item on the left or right; an item without a price is left to the evaluator.
    Price { op: crate::logic::Op, value: f64, item_first: bool },
    InCart,
    Purchased,
    /// `viewed_within(item.id, seconds)`: `None` when `seconds` is not a number (always false).
    ViewedWithin(Option<f64>),
}

impl TypedTest {
    fn new(part: &crate::logic::Condition) -> Option<TypedTest> {
        use crate::logic::{DirectArg, Merchant, Op};
        let test = part.direct_test()?;
        fn field(path: &crate::logic::VarPath) -> Option<&str> {
            let mut segs = path.segments();
            match (segs.next(), segs.next(), segs.next()) {
                (Some("item"), Some(f), None) => Some(f),
                _ => None,
            }
        }
        let (a, b) = (test.arg(0), test.arg(1));
        let op = test.op();
        match op {
            Op::Merchant(Merchant::InCart | Merchant::Purchased) if test.arg_count() == 1 => match a {
                Some(DirectArg::Item(p)) if field(p) == Some("id") => {
                    Some(if op == Op::Merchant(Merchant::InCart) { TypedTest::InCart } else { TypedTest::Purchased })
                }
                _ => None,
            },
            Op::Merchant(Merchant::ViewedWithin) if test.arg_count() == 2 => match (a, b) {
                (Some(DirectArg::Item(p)), Some(DirectArg::Const(secs))) if field(p) == Some("id") => {
                    Some(TypedTest::ViewedWithin(crate::logic::number_of(secs)))
                }
                _ => None,
            },
            Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let (path, constant, item_first) = match (a?, b?) {
                    (DirectArg::Item(p), DirectArg::Const(c)) => (p, c, true),
                    (DirectArg::Const(c), DirectArg::Item(p)) => (p, c, false),
                    _ => return None,
                };
                let equality = matches!(op, Op::Eq | Op::StrictEq | Op::Ne | Op::StrictNe);
                let name = field(path)?;
                match (name, constant) {
                    ("id" | "category" | "brand", Value::String(text)) if equality => Some(TypedTest::Text {
                        field: match name {
                            "id" => TextField::Id,
                            "category" => TextField::Category,
                            _ => TextField::Brand,
                        },
                        text: text.clone(),
                        negate: matches!(op, Op::Ne | Op::StrictNe),
                    }),
                    ("price", Value::Number(value)) => Some(TypedTest::Price { op, value: *value, item_first }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The answer for the candidate, or `None` to ask the evaluator.
    fn matches(&self, facts: CandidateFacts<'_>, scope: &DecisionScope) -> Option<bool> {
        use crate::logic::Op;
        let (it, idx, marks, last_seen) = facts;
        Some(match self {
            TypedTest::Text { field, text, negate } => {
                let value = match field {
                    TextField::Id => Some(it.id.as_str()),
                    TextField::Category => it.category.as_deref(),
                    TextField::Brand => it.brand.as_deref(),
                };
                value.is_some_and(|v| crate::json::str_eq(v, text)) != *negate
            }
            TypedTest::Price { op, value, item_first } => {
                let price = it.price?;
                let (l, r) = if *item_first { (price, *value) } else { (*value, price) };
                match op {
                    Op::Eq | Op::StrictEq => l == r,
                    Op::Ne | Op::StrictNe => l != r,
                    Op::Lt => l < r,
                    Op::Le => l <= r,
                    Op::Gt => l > r,
                    Op::Ge => l >= r,
                    _ => return None,
                }
            }
            TypedTest::InCart => marks.has(idx, IN_CART),
            TypedTest::Purchased => marks.has(idx, PURCHASED),
            // As `DecisionScope::viewed_within_id` answers, from the candidate's looked-up time.
            TypedTest::ViewedWithin(secs) => secs.is_some_and(|secs| last_seen.is_some_and(|ts| ts >= scope.view.now_ms - secs * 1000.0)),
        })
    }
}

/// What typed tests read of one candidate: its item, catalog index, the
/// decision's marks (cart, purchases), and when the session last interacted with it.
type CandidateFacts<'a> = (&'a crate::catalog::Item, u32, &'a Marks, Option<f64>);

impl<'m, 'v> MemoPart<'m, 'v> {
    fn new(part: std::borrow::Cow<'m, crate::logic::Condition>) -> Self {
        let typed = TypedTest::new(&part);
        let direct = part.direct_test().is_some();
        let path = if direct { None } else { part.single_item_path().cloned() };
        MemoPart { part, typed, direct, path, seen: Vec::new() }
    }

    fn matches(&mut self, scope: &DecisionScope, item: &'v Value, typed: CandidateFacts<'_>) -> Result<bool> {
        if let Some(hit) = self.typed.as_ref().and_then(|t| t.matches(typed, scope)) {
            return Ok(hit);
        }
        if self.direct {
            if let Some(test) = self.part.direct_test() {
                return Ok(test.matches(item, scope));
            }
        }
        let Some(path) = &self.path else { return self.part.matches(scope) };
        let key = path.lookup_from(item, 1);
        if let Some((_, hit)) = self.seen.iter().find(|(k, _)| *k == key) {
            return Ok(*hit);
        }
        let r = self.part.matches(scope)?;
        if self.seen.len() < MEMO_VALUES {
            self.seen.push((key, r));
        } else {
            self.path = None;
            self.seen = Vec::new();
        }
        Ok(r)
    }
}

/// A rule live in a decision whose action applies per candidate.
struct LiveRule<'r> {
    rule: &'r crate::rules::Rule,
    /// Its index in the rule set.
    index: usize,
    /// Its item-level parts in the decision's list of them.
    parts: std::ops::Range<usize>,
    /// Answered per catalog item at load ([`ItemMasks::item_rules`]).
    precomputed: bool,
    /// Already in `rules_fired`.
    fired: bool,
}

/// How one item-level part is answered in a decision.
enum ItemPart<'m, 'v> {
    /// Read from the bits computed at load: the part reads only the item.
    Precomputed(&'m ItemBits),
    /// Evaluated (specialised for the decision, remembered per value).
    Memo(MemoPart<'m, 'v>),
}

#[inline(always)]
fn all_true_memo<'v>(parts: &mut [ItemPart<'_, 'v>], scope: &DecisionScope, facts: (&'v crate::catalog::Item, u32, &Marks, Option<f64>)) -> Result<bool> {
    let (it, idx, _, _) = facts;
    for p in parts.iter_mut() {
        let hit = match p {
            ItemPart::Precomputed(bits) => bits.get(idx),
            ItemPart::Memo(m) => m.matches(scope, &it.value, facts)?,
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An `of` expression's result as item ids: one id or a list of them.
fn ids_of(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![crate::json::to_json_string(&Value::Number(*n))],
        Value::Array(a) => a.iter().take(MAX_DECISION_K).flat_map(ids_of).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Config, Engine};
    use crate::json::parse;
    use crate::logic::Condition;

    const T0: f64 = 1_795_651_200_000.0;

    fn v(text: &str) -> Value {
        parse(text).unwrap_or_default()
    }

    #[test]
    fn typed_tests_answer_as_the_evaluator() {
        let mut e = Engine::new(Config { seed: 9, ..Config::default() }, T0);
        assert!(e.load_catalog(&v(include_str!("../../tests/fixtures/catalog.json"))).is_ok());
        for (i, ev) in [
            r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
            r#"{"type":"add_to_cart","item":{"id":"sock-5","category":"socks","price":30}}"#,
            r#"{"type":"add_to_cart","item":{"id":"not-in-catalog","price":3}}"#,
            r#"{"type":"purchase","items":[{"id":"hat-5","category":"hats","price":45}]}"#,
            r#"{"type":"product_view","item":{"id":"bag-6","category":"bags","brand":"acme","price":70}}"#,
        ]
        .iter()
        .enumerate()
        {
            assert!(e.track(&v(ev), T0 + 20_000.0 * i as f64).is_ok(), "{ev}");
        }
        let now = T0 + 100_000.0;
        let view = SessionView::new(e.session(), now);
        let context = v(r#"{"limit":70,"brand":"zoom"}"#);
        let session_only = DecisionScope { view: &view, slot: "home", context: &context, item: None };
        let cat = e.catalog();
        let mut sets = Marks::default();
        let request = DecideRequest::from_value(&v("{}"));
        assert!(request.is_ok());
        if let Ok(request) = &request {
            sets.mark_session(cat, e.session(), request);
        }
        let table = [
            r#"{"==":[{"var":"item.brand"},{"var":"context.brand"}]}"#,
            r#"{"===":[{"var":"context.brand"},{"var":"item.brand"}]}"#,
            r#"{"!=":[{"var":"item.brand"},"zoom"]}"#,
            r#"{"!==":[{"var":"item.category"},"shoes"]}"#,
            r#"{"==":[{"var":"item.id"},{"var":"session.recent.0.item"}]}"#,
            r#"{"<":[{"var":"item.price"},{"var":"context.limit"}]}"#,
            r#"{"<=":[{"var":"item.price"},{"*":[1,{"var":"session.recent.0.price"}]}]}"#,
            r#"{">":[{"var":"item.price"},45]}"#,
            r#"{">=":[45,{"var":"item.price"}]}"#,
            r#"{"<":[45,{"var":"item.price"}]}"#,
            r#"{"==":[{"var":"item.price"},45]}"#,
            r#"{"!=":[45,{"var":"item.price"}]}"#,
            r#"{"in_cart":[{"var":"item.id"}]}"#,
            r#"{"purchased":[{"var":"item.id"}]}"#,
            r#"{"viewed_within":[{"var":"item.id"},30]}"#,
            r#"{"viewed_within":[{"var":"item.id"},"200"]}"#,
            r#"{"viewed_within":[{"var":"item.id"},"soon"]}"#,
        ];
        for text in table {
            let c = Condition::compile(&v(text));
            assert!(c.is_ok(), "{text}");
            let Ok(c) = c else { continue };
            let special = c.specialize(&session_only).unwrap_or_else(|| c.clone());
            let typed = TypedTest::new(&special);
            assert!(typed.is_some(), "{text} has a typed form");
            let Some(typed) = typed else { continue };
            let mut answered = 0;
            for idx in 0..cat.len() as u32 {
                let Some(it) = cat.item(idx) else { continue };
                let scope = DecisionScope { view: &view, slot: "home", context: &context, item: Some(&it.value) };
                if let Some(hit) = typed.matches((it, idx, &sets, view.last_seen(&it.id)), &scope) {
                    answered += 1;
                    assert_eq!(Ok(hit), c.matches(&scope), "{text} on {}", it.id);
                }
            }
            assert!(answered > 0, "{text}");
        }
        // Shapes left to the evaluator: a number against text, text against a number, a default.
        for text in [
            r#"{"==":[{"var":"item.brand"},5]}"#,
            r#"{"<":[{"var":"item.category"},"m"]}"#,
            r#"{"==":[{"var":["item.brand","x"]},"x"]}"#,
            r#"{"in_cart":[{"var":"item.category"}]}"#,
        ] {
            let c = Condition::compile(&v(text));
            assert!(c.as_ref().is_ok_and(|c| TypedTest::new(c).is_none()), "{text}");
        }
    }

    #[test]
    fn a_hint_counts_only_in_the_catalog_it_was_taken_in() {
        let mut e = Engine::new(Config { seed: 9, ..Config::default() }, T0);
        let text = include_str!("../../tests/fixtures/catalog.json");
        assert!(e.load_catalog(&v(text)).is_ok());
        assert!(e.track(&v(r#"{"type":"product_view","item":{"id":"shoe-1"}}"#), T0).is_ok());
        let mut s = e.session().clone();
        let first = e.catalog();
        s.refresh_hints(first.generation(), &|id| first.index_of(id));
        let hint = s.recent.front().map(|i| i.hint).unwrap_or_default();
        assert_eq!(hint.index_in(first.generation()), Some(first.index_of("shoe-1")));
        assert_eq!(first.index_hinted("shoe-1", hint), first.index_of("shoe-1"));
        // The same JSON loaded again is another catalog: the hint is not read there.
        let again = Catalog::from_value(&v(text)).map(|(c, _)| c).unwrap_or_default();
        assert_ne!(again.generation(), first.generation());
        assert_eq!(hint.index_in(again.generation()), None);
        // A catalog whose indices differ answers with its own index.
        let shifted = text.replacen("\"items\": [", "\"items\": [{\"id\": \"first-now\"},", 1);
        let moved = Catalog::from_value(&v(&shifted)).map(|(c, _)| c).unwrap_or_default();
        assert_eq!(moved.index_hinted("shoe-1", hint), moved.index_of("shoe-1"));
        assert_ne!(moved.index_of("shoe-1"), first.index_of("shoe-1"));
        // No catalog at all: a default hint is never read.
        assert_eq!(crate::session::CatalogHint::default().index_in(0), None);
    }

    #[test]
    fn marks_of_an_earlier_decision_read_as_unmarked() {
        let mut m = Marks::default();
        m.begin(4);
        m.set(0, NEVER);
        if let Some(slot) = m.slot(2) {
            slot.pos = 7;
        }
        assert!(m.has(0, NEVER) && !m.has(0, IN_CART));
        assert_eq!(m.pos(2), Some(7));
        m.begin(4);
        assert!(!m.has(0, NEVER));
        assert_eq!(m.pos(2), None);
        m.set(1, PURCHASED);
        // The stamp comes round after 2^32 decisions: the slots are reset, so
        // slot 0's mark from stamp 1 above does not come back.
        m.stamp = u32::MAX;
        m.begin(4);
        assert_eq!(m.stamp, 1);
        assert!(!m.has(0, NEVER) && !m.has(1, PURCHASED));
        // Another catalog size: a fresh array; indices past it are never marked.
        m.begin(2);
        m.set(3, NEVER);
        assert!(!m.has(3, NEVER) && m.pos(3).is_none());
    }

    /// The strongest item affinity skips the decay of entries that cannot
    /// raise it: the result is the maximum over every entry, bit for bit, and
    /// each candidate gets its own decayed affinity.
    #[test]
    fn item_affinities_give_the_maximum_of_all_entries() {
        let mut rng = fastrand::Rng::with_seed(3);
        let kinds = ["product_view", "product_click", "add_to_cart", "remove_from_cart"];
        for round in 0..30 {
            let mut e = Engine::new(Config { seed: 9, ..Config::default() }, T0);
            assert!(e.load_catalog(&v(include_str!("../../tests/fixtures/catalog.json"))).is_ok());
            let cat = e.catalog().clone();
            for i in 0..rng.usize(1..60) {
                let Some(it) = cat.item(rng.u32(..cat.len() as u32)) else { continue };
                let kind = kinds[rng.usize(..kinds.len())];
                let ev = format!(r#"{{"type":"{kind}","item":{{"id":"{}"}}}}"#, it.id);
                let t = T0 + 1000.0 * i as f64 + rng.f64() * 600_000.0;
                assert!(e.track(&v(&ev), t).is_ok(), "{ev}");
            }
            let now = T0 + 900_000.0;
            let s = e.session();
            let mut marks = Marks::default();
            marks.begin(cat.len());
            let mut pool = Pool { list: Vec::new(), marks: &mut marks };
            for _ in 0..rng.usize(..8) {
                pool.add(rng.u32(..cat.len() as u32), Reason::Popular, false);
            }
            let strongest = item_affinities(s, &cat, &mut pool, now);
            let every: Vec<(&str, f64)> = s.items.iter().map(|(id, x)| (id, x.score * decay(now - x.at_ms, s.half_life_ms))).collect();
            let want = every.iter().fold(0.0f64, |m, x| m.max(x.1));
            assert_eq!(strongest.to_bits(), want.to_bits(), "round {round}");
            for c in &pool.list {
                let id = cat.item(c.idx).map(|it| it.id.as_str());
                let own = every.iter().find(|x| Some(x.0) == id).map_or(0.0, |x| x.1);
                assert_eq!(c.features.item_affinity.to_bits(), own.to_bits(), "round {round}");
            }
        }
    }

    #[test]
    fn ranking_gives_the_order_of_the_sort() {
        // Scores with ties, zeros of both signs, negatives and infinities;
        // placements pinned, first and plain; heaps of 0 to 90 entries.
        let scores = [0.5, -0.0, 0.0, 2.0, -1.5, 0.5, f64::INFINITY, f64::NEG_INFINITY, 1e-300, -1e-300, 7.25, 0.5];
        let placements = [1u64 << 63, 0, (1 << 63) | (1 << 62), 1 << 62, (1 << 63) | 3];
        for (seed, n) in (0..20u64).flat_map(|seed| [0usize, 1, 2, 3, 5, 23, 24, 25, 90].map(|n| (seed, n))) {
            let mut rng = fastrand::Rng::with_seed(seed);
            let items: Vec<(u64, f64, u32)> = (0..n)
                .map(|i| (placements[rng.usize(..placements.len())], scores[rng.usize(..scores.len())], (n - i) as u32 * 7))
                .collect();
            let mut sorted = items.clone();
            sorted.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
            let ranked: Vec<(u64, f64, u32)> = Ranking::new(items.iter().map(|&x| ((x.0, score_descending(x.1), x.2), x)).collect()).collect();
            assert_eq!(ranked.len(), sorted.len());
            for (a, b) in ranked.iter().zip(&sorted) {
                assert!(a.0 == b.0 && a.1.to_bits() == b.1.to_bits() && a.2 == b.2, "seed {seed}, n = {n}: {ranked:?} vs {sorted:?}");
            }
        }
    }
}
