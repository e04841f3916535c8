//! Item-level rule parts that read nothing but the item, computed once per
//! catalog item when the rules or the catalog load.
//!
//! `{"<": [{"var": "item.price"}, 50]}` or `{"in": ["sale", {"var": "item.tags"}]}`
//! give the same answer for an item in every decision, so a decision reads
//! one bit per candidate instead of evaluating JsonLogic: most of the 25
//! bench rules' item parts are of this kind. Parts that mix the item with
//! the session (`purchased(item.id)`, `item.brand == session.recent.0.brand`)
//! stay per decision.

use std::borrow::Cow;

use crate::catalog::Catalog;
use crate::json::Value;
use crate::logic::{Scope, VarPath};
use crate::rules::RuleSet;

/// Distinct values of one field remembered while building a part's bits;
/// past this the part is evaluated per item (prices, ids).
const BUILD_MEMO_VALUES: usize = 64;

/// One bit per catalog item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemBits {
    words: Vec<u64>,
}

impl ItemBits {
    fn with_len(n: usize) -> ItemBits {
        ItemBits { words: vec![0; n.div_ceil(64)] }
    }
    fn set(&mut self, idx: usize) {
        if let Some(w) = self.words.get_mut(idx / 64) {
            *w |= 1 << (idx % 64);
        }
    }
    /// Whether `idx` is set (false outside the catalog). Always inlined: the
    /// size-optimised wasm otherwise calls it for every candidate and rule.
    #[inline(always)]
    pub fn get(&self, idx: u32) -> bool {
        let idx = idx as usize;
        self.words.get(idx / 64).is_some_and(|w| w & (1 << (idx % 64)) != 0)
    }
}

/// Per rule (in `RuleSet::rules` order), per item part: the part's result for
/// every catalog item, or `None` when the part reads more than the item or
/// failed to evaluate on some item (it is then evaluated per candidate, and
/// fails there with its own error, as before).
///
/// Also which session-level parts read nothing but `session.cart` (their
/// results are kept with the cart's JSON, [`crate::decide::CartJson`]): a
/// slot per such part, valid for the rules of this build's generation.
#[derive(Clone, Debug, Default)]
pub struct ItemMasks {
    rules: Vec<Vec<Option<ItemBits>>>,
    /// What the masks were built from, so a stale set is never read.
    catalog_len: usize,
    /// Per catalog item, `rule_words` words: bit `ri % 64` of word `ri / 64`
    /// set when rule `ri` is answered here (`answered`) and holds for the item.
    item_rules: Vec<u64>,
    rule_words: usize,
    /// Per rule: a per-candidate rule whose item parts (if any) all have bits.
    answered: Vec<bool>,
    /// Per rule, per session-level part: its slot when it reads only the cart.
    cart_slots: Vec<Vec<Option<u32>>>,
    cart_slot_count: usize,
    generation: RulesGeneration,
}

/// Drawn anew for every build, that is at every rules or catalog load (a
/// clone keeps it, with the same rules), so results kept for one set of rules
/// are never read for another. Decisions carry it as their rules' generation.
#[derive(Clone, Copy, Debug)]
struct RulesGeneration(u64);

impl Default for RulesGeneration {
    fn default() -> Self {
        RulesGeneration(crate::ids::next_generation())
    }
}

/// The data an item-only part sees: `item` and nothing else.
struct ItemOnly<'a> {
    item: &'a Value,
}

impl Scope for ItemOnly<'_> {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        // Split as the decision scope splits `item.<rest>`.
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        if head != "item" {
            return None;
        }
        if rest.is_empty() {
            Some(Cow::Borrowed(self.item))
        } else {
            self.item.var(rest)
        }
    }
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        match path.first() {
            Some("item") => path.lookup_from(self.item, 1),
            _ => self.var(path.as_str()),
        }
    }
}

impl ItemMasks {
    /// Evaluates every item-only part of every per-candidate rule on every
    /// catalog item.
    pub fn build(rules: &RuleSet, catalog: &Catalog) -> ItemMasks {
        let n = catalog.len();
        let masks: Vec<Vec<Option<ItemBits>>> = rules
            .rules
            .iter()
            .map(|rule| {
                if !rule.action.per_candidate() {
                    return Vec::new();
                }
                rule.item_part
                    .iter()
                    .map(|part| {
                        if !part.reads_item_only() {
                            return None;
                        }
                        // 10k items × a dozen parts at every load: comparisons go
                        // straight to the operator, and a part reading one field
                        // is evaluated once per distinct value while they are few.
                        let direct = part.direct_test();
                        let path = part.single_item_path();
                        let mut seen: Vec<(Option<Cow<'_, Value>>, bool)> = Vec::new();
                        let mut bits = ItemBits::with_len(n);
                        for idx in 0..n {
                            let item = &catalog.item(idx as u32)?.value;
                            let scope = ItemOnly { item };
                            let hit = match (&direct, path) {
                                (Some(test), _) => test.matches(item, &scope),
                                (None, Some(path)) if seen.len() < BUILD_MEMO_VALUES => {
                                    let key = path.lookup_from(item, 1);
                                    match seen.iter().find(|(k, _)| *k == key) {
                                        Some(&(_, hit)) => hit,
                                        None => {
                                            let hit = part.matches(&scope).ok()?;
                                            seen.push((key, hit));
                                            hit
                                        }
                                    }
                                }
                                _ => part.matches(&scope).ok()?,
                            };
                            if hit {
                                bits.set(idx);
                            }
                        }
                        Some(bits)
                    })
                    .collect()
            })
            .collect();
        // Whole rules per item: a decision reads one word per candidate for
        // all of them instead of a bit per candidate, rule and part.
        let answered: Vec<bool> = rules
            .rules
            .iter()
            .zip(&masks)
            .map(|(rule, parts)| {
                rule.action.per_candidate() && parts.len() == rule.item_part.len() && parts.iter().all(Option::is_some)
            })
            .collect();
        let rule_words = rules.rules.len().div_ceil(64);
        let mut item_rules = Vec::new();
        if answered.contains(&true) {
            item_rules = vec![0u64; n.saturating_mul(rule_words)];
            for (ri, parts) in masks.iter().enumerate().filter(|(ri, _)| answered.get(*ri) == Some(&true)) {
                for (idx, words) in item_rules.chunks_exact_mut(rule_words.max(1)).enumerate() {
                    let holds = parts.iter().all(|bits| bits.as_ref().is_some_and(|b| b.get(idx as u32)));
                    if let (true, Some(w)) = (holds, words.get_mut(ri / 64)) {
                        *w |= 1 << (ri % 64);
                    }
                }
            }
        }
        // A part that can read nothing but `session.cart` (merchant operators
        // count with what they read, `now`, `slot` and `context` are other
        // keys) is a function of the cart's lines.
        let mut cart_slot_count = 0usize;
        let cart_slots = rules
            .rules
            .iter()
            .map(|rule| {
                rule.session_part
                    .iter()
                    .map(|part| {
                        part.reads().only_below(&["session", "cart"]).then(|| {
                            let slot = cart_slot_count as u32;
                            cart_slot_count = cart_slot_count.saturating_add(1);
                            slot
                        })
                    })
                    .collect()
            })
            .collect();
        ItemMasks { rules: masks, catalog_len: n, item_rules, rule_words, answered, cart_slots, cart_slot_count, generation: RulesGeneration::default() }
    }

    /// Whether rule `rule` is answered per item by [`Self::item_rules`].
    pub(crate) fn answered(&self, catalog: &Catalog, rule: usize) -> bool {
        self.catalog_len == catalog.len() && self.answered.get(rule) == Some(&true)
    }

    /// Item `idx`'s words of answered rules that hold for it (bit `ri % 64` of word `ri / 64`).
    pub(crate) fn item_rules(&self, catalog: &Catalog, idx: u32) -> Option<&[u64]> {
        if self.catalog_len != catalog.len() {
            return None;
        }
        let start = (idx as usize).checked_mul(self.rule_words)?;
        self.item_rules.get(start..start.checked_add(self.rule_words)?)
    }

    /// The slot of session-level part `part` of rule `rule` when it reads only the cart.
    pub(crate) fn cart_slot(&self, rule: usize, part: usize) -> Option<usize> {
        self.cart_slots.get(rule)?.get(part)?.map(|s| s as usize)
    }

    /// How many cart-only parts there are.
    pub(crate) fn cart_parts(&self) -> usize {
        self.cart_slot_count
    }

    /// The generation of this build: of the rules it was built from, as far as
    /// anything kept for them is concerned (an engine rebuilds it at every load).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.0
    }

    /// The precomputed results of part `part` of rule `rule`, if any.
    pub fn part(&self, catalog: &Catalog, rule: usize, part: usize) -> Option<&ItemBits> {
        if self.catalog_len != catalog.len() {
            return None;
        }
        self.rules.get(rule)?.get(part)?.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::{decide, DecideRequest, DecisionScope, Inputs, LinearScorer, SessionView};
    use crate::engine::{Config, Engine};
    use crate::json::parse;
    use crate::logic::Condition;

    const T0: f64 = 1_795_651_200_000.0;

    fn v(text: &str) -> Value {
        parse(text).unwrap_or_default()
    }

    fn compiled(text: &str) -> Option<Condition> {
        let c = Condition::compile(&v(text));
        assert!(c.is_ok(), "{text}: {c:?}");
        c.ok()
    }

    #[test]
    fn only_conditions_reading_nothing_but_the_item_qualify() {
        let table = [
            (r#"{"<":[{"var":"item.price"},50]}"#, true),
            (r#"{"in":["sale",{"var":"item.tags"}]}"#, true),
            (r#"{"!":{"var":"item.inStock"}}"#, true),
            (r#"{"some":[{"var":"item.tags"},{"==":[{"var":""},"sale"]}]}"#, true),
            (r#"{"==":[{"var":["item.nope",{"var":"item.brand"}]},"zoom"]}"#, true),
            (r#"{"in":[{"var":"item.category"},["bags","hats"]]}"#, true),
            (r#"{"==":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]}"#, false),
            (r#"{"<":[{"var":"item.price"},{"var":"context.budget"}]}"#, false),
            (r#"{"in_cart":[{"var":"item.id"}]}"#, false),
            (r#"{"some":[{"var":"item.tags"},{"in_cart":[{"var":""}]}]}"#, false),
            (r#"{"==":[{"var":["item.nope",{"var":"slot"}]},"home"]}"#, false),
            (r#"{"var":{"cat":["item.","id"]}}"#, false),
            (r#"{"missing":["item.id"]}"#, false),
            (r#"{"var":""}"#, false),
            (r#"{"<":[{"var":"now"},{"var":"item.price"}]}"#, false),
            (r#"{"==":[{"var":"items.price"},1]}"#, false),
        ];
        for (text, want) in table {
            let Some(c) = compiled(text) else { continue };
            assert_eq!(c.reads_item_only(), want, "{text}");
        }
    }

    fn engine(rules: &str) -> Engine {
        let mut e = Engine::new(Config { seed: 5, ..Config::default() }, T0);
        assert!(e.load_catalog(&v(include_str!("../../tests/fixtures/catalog.json"))).is_ok());
        assert!(e.load_rules(&v(rules)).is_ok(), "{rules}");
        for (i, ev) in [
            r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
            r#"{"type":"add_to_cart","item":{"id":"sock-5","category":"socks","price":30}}"#,
            r#"{"type":"purchase","items":[{"id":"hat-5","category":"hats","price":45}]}"#,
            r#"{"type":"product_view","item":{"id":"bag-6","category":"bags","brand":"acme","price":70}}"#,
            r#"{"type":"product_click","item":{"id":"shoe-8","category":"shoes","brand":"zoom","price":100}}"#,
        ]
        .iter()
        .enumerate()
        {
            assert!(e.track(&v(ev), T0 + 1000.0 * i as f64).is_ok(), "{ev}");
        }
        e
    }

    /// Rules whose item parts are item-only, mixed with the session, or failing.
    const RULES: &str = r#"{"rules":[
        {"id":"cheap","condition":{"<":[{"var":"item.price"},50]},"action":{"type":"boost","factor":2}},
        {"id":"socks-if-shoes","condition":{"and":[{">":[{"affinity":["category","shoes"]},0]},{"==":[{"var":"item.category"},"socks"]}]},"action":{"type":"boost","factor":3}},
        {"id":"no-hats","condition":{"in":[{"var":"item.category"},["hats"]]},"action":{"type":"exclude"}},
        {"id":"shoe-tags","condition":{"some":[{"var":"item.tags"},{"==":[{"var":""},"shoes"]}]},"action":{"type":"bury","factor":0.5}},
        {"id":"same-brand","condition":{"==":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]},"action":{"type":"boost","factor":1.7}},
        {"id":"anchor","condition":{"<=":[{"var":"item.price"},{"*":[1.5,{"var":"session.recent.0.price"}]}]},"action":{"type":"boost","factor":1.1}},
        {"id":"in-cart","condition":{"in_cart":[{"var":"item.id"}]},"action":{"type":"bury","factor":0.2}},
        {"id":"seen","condition":{"viewed_within":[{"var":"item.id"},60]},"action":{"type":"bury","factor":0.6}},
        {"id":"pin-bags","condition":{"==":[{"var":"item.category"},"bags"]},"action":{"type":"pin","position":2}},
        {"id":"too-big","condition":{"in":[{"var":"item.id"},{"map":[{"merge":[[1,2,3,4,5,6,7,8,9,10]]},{"map":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100],{"map":[[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120],{"var":""}]}]}]}]},"action":{"type":"bury","factor":0.9}}
    ]}"#;

    #[test]
    fn masks_hold_each_item_only_part_result_for_every_item() {
        let e = engine(RULES);
        let rules = match crate::rules::RuleSet::from_value(&v(RULES)) {
            Ok(r) => r,
            Err(err) => panic!("{err}"),
        };
        let masks = ItemMasks::build(&rules, e.catalog());
        let mut precomputed = 0;
        for (ri, rule) in rules.rules.iter().enumerate() {
            for (pi, part) in rule.item_part.iter().enumerate() {
                let bits = masks.part(e.catalog(), ri, pi);
                let failing = (0..e.catalog().len() as u32).any(|i| {
                    e.catalog().item(i).is_some_and(|it| part.matches(&ItemOnly { item: &it.value }).is_err())
                });
                assert_eq!(bits.is_some(), part.reads_item_only() && !failing, "{} part {pi}", rule.id);
                let Some(bits) = bits else { continue };
                precomputed += 1;
                for i in 0..e.catalog().len() as u32 {
                    let Some(it) = e.catalog().item(i) else { continue };
                    let mut data = crate::json::Map::new();
                    data.insert("item", it.value.clone());
                    let want = part.matches(&Value::Object(data));
                    assert_eq!(Ok(bits.get(i)), want, "{} part {pi} on {}", rule.id, it.id);
                }
            }
        }
        // cheap, socks-if-shoes (item half), no-hats, shoe-tags, pin-bags; too-big runs out of steps.
        assert_eq!(precomputed, 5);
    }

    #[test]
    fn direct_tests_answer_as_the_evaluator() {
        let e = engine(RULES);
        let now = T0 + 30_000.0;
        let view = SessionView::new(e.session(), now);
        let context = v(r#"{"device":"mobile","budget":"60"}"#);
        let session_only = DecisionScope { view: &view, slot: "home", context: &context, item: None };
        let table = [
            (r#"{"==":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]}"#, true),
            (r#"{"!=":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]}"#, true),
            (r#"{"===":[{"var":"item.price"},{"var":"session.recent.1.price"}]}"#, true),
            (r#"{"!==":[{"var":"item.price"},30]}"#, true),
            (r#"{"<=":[{"var":"item.price"},{"*":[1.5,{"var":"session.recent.0.price"}]}]}"#, true),
            (r#"{"<":[{"var":"item.price"},{"var":"context.budget"}]}"#, true),
            (r#"{">":[{"var":"context.budget"},{"var":"item.price"}]}"#, true),
            (r#"{">=":[{"var":"item.brand"},"m"]}"#, true),
            (r#"{"==":[{"var":"item.brand"},null]}"#, true),
            (r#"{"==":[{"var":"item.tags"},"shoes"]}"#, true),
            (r#"{"==":[{"var":"item.nope"},0]}"#, true),
            (r#"{"in_cart":[{"var":"item.id"}]}"#, true),
            (r#"{"purchased":[{"var":"item.id"}]}"#, true),
            (r#"{"viewed_within":[{"var":"item.id"},{"var":"context.budget"}]}"#, true),
            (r#"{"affinity_above":["category",{"var":"item.category"},0.5]}"#, true),
            (r#"{"affinity":["brand",{"var":"item.brand"}]}"#, true),
            (r#"{"<":[0,{"var":"item.price"},100]}"#, false),
            (r#"{"==":[{"var":["item.brand","x"]},"x"]}"#, false),
            (r#"{"!":{"var":"item.inStock"}}"#, false),
            (r#"{"in":["sale",{"var":"item.tags"}]}"#, false),
        ];
        for (text, direct) in table {
            let Some(c) = compiled(text) else { continue };
            let special = c.specialize(&session_only).unwrap_or_else(|| c.clone());
            let test = special.direct_test();
            assert_eq!(test.is_some(), direct, "{text}");
            let Some(test) = test else { continue };
            for i in 0..e.catalog().len() as u32 {
                let Some(it) = e.catalog().item(i) else { continue };
                let scope = DecisionScope { view: &view, slot: "home", context: &context, item: Some(&it.value) };
                assert_eq!(Ok(test.matches(&it.value, &scope)), c.matches(&scope), "{text} on {}", it.id);
            }
        }
    }

    #[test]
    fn decisions_with_masks_equal_decisions_without() {
        let e = engine(RULES);
        let rules = match crate::rules::RuleSet::from_value(&v(RULES)) {
            Ok(r) => r,
            Err(err) => panic!("{err}"),
        };
        let masks = ItemMasks::build(&rules, e.catalog());
        let none = ItemMasks::default();
        let scorer = LinearScorer::default();
        let picks = Vec::new();
        for req in [
            r#"{"slot":"home","k":10}"#,
            r#"{"slot":"pdp","k":6,"item":"shoe-2","context":{"budget":"40"}}"#,
            r#"{"slot":"cart","k":20,"excludeCart":false,"excludePurchased":false}"#,
        ] {
            let req = match DecideRequest::from_value(&v(req)) {
                Ok(r) => r,
                Err(err) => panic!("{err}"),
            };
            let run = |masks: &ItemMasks| {
                let inputs = Inputs {
                    session: e.session(),
                    catalog: e.catalog(),
                    rules: &rules,
                    masks,
                    scorer: &scorer,
                    model_picks: &picks,
                    model_version: None,
                    now_ms: T0 + 30_000.0,
                    diversity_cap: None,
                    cart_json: None,
                    holdout: false,
                };
                decide(&inputs, &req, "d".to_string())
            };
            let (with, without) = (run(&masks), run(&none));
            assert!(!with.items.is_empty() && !with.rules_fired.is_empty(), "{with:?}");
            assert_eq!(with, without, "{req:?}");
        }
    }

    /// 70 boosts (two words of rule bits), item-only ones (one part or two)
    /// between ones that read the session, and an exclusion past the first
    /// 64: each returned item's score is its score without rules times the
    /// factors of the rules that hold for it, in rule order, and its reasons
    /// are its reasons without rules followed by those rules'.
    #[test]
    fn many_rules_apply_in_rule_order_to_each_item() {
        let mut list = Vec::new();
        for i in 0..70usize {
            let condition = match i % 3 {
                0 => format!(r#"{{"<":[{{"var":"item.price"}},{}]}}"#, 20 + 2 * i),
                1 => format!(r#"{{"<=":[{{"var":"item.price"}},{{"*":[{},{{"var":"session.recent.0.price"}}]}}]}}"#, 1.0 + i as f64 / 50.0),
                _ => format!(r#"{{"and":[{{"in":[{{"var":"item.category"}},["shoes","socks","bags"]]}},{{">":[{{"var":"item.price"}},{i}]}}]}}"#),
            };
            list.push(format!(r#"{{"id":"r{i}","condition":{condition},"action":{{"type":"boost","factor":{}}}}}"#, 1.0 + (i + 1) as f64 / 1000.0));
        }
        list.push(r#"{"id":"no-hats","condition":{"==":[{"var":"item.category"},"hats"]},"action":{"type":"exclude"}}"#.to_string());
        // Two rules that fail on every item (out of steps), one per word: reported in rule order.
        let too_big = RULES.lines().find(|l| l.contains(r#""id":"too-big""#)).map(|l| l.trim().trim_end_matches(',')).unwrap_or_default();
        list.insert(10, too_big.replace("too-big", "fails-a"));
        list.push(too_big.replace("too-big", "fails-b"));
        // Item-only rules that are not live in this decision (another slot; a
        // session part that does not hold), one per word.
        let cheap = r#"{"<":[{"var":"item.price"},1000]}"#;
        list.insert(5, format!(r#"{{"id":"pdp-only","slots":["pdp"],"condition":{cheap},"action":{{"type":"boost","factor":50}}}}"#));
        list.push(format!(r#"{{"id":"never-live","condition":{{"and":[{{"==":[{{"var":"context.page"}},"/nope"]}},{cheap}]}},"action":{{"type":"exclude"}}}}"#));
        let text = format!(r#"{{"rules":[{}]}}"#, list.join(","));
        let e = engine(&text);
        let rules = match crate::rules::RuleSet::from_value(&v(&text)) {
            Ok(r) => r,
            Err(err) => panic!("{err}"),
        };
        let masks = ItemMasks::build(&rules, e.catalog());
        let scorer = LinearScorer::default();
        let picks = Vec::new();
        let now = T0 + 30_000.0;
        let req = match DecideRequest::from_value(&v(r#"{"slot":"home","k":30,"excludeCart":false,"excludePurchased":false}"#)) {
            Ok(r) => r,
            Err(err) => panic!("{err}"),
        };
        let no_rules = crate::rules::RuleSet::default();
        let run = |rules: &crate::rules::RuleSet, masks: &ItemMasks| {
            let inputs = Inputs {
                session: e.session(),
                catalog: e.catalog(),
                rules,
                masks,
                scorer: &scorer,
                model_picks: &picks,
                model_version: None,
                now_ms: now,
                diversity_cap: Some(30),
                cart_json: None,
                holdout: false,
            };
            decide(&inputs, &req, "d".to_string())
        };
        let (with, without, base) = (run(&rules, &masks), run(&rules, &ItemMasks::default()), run(&no_rules, &ItemMasks::default()));
        assert_eq!(with, without);
        assert_eq!(with.rule_failures.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(), ["fails-a", "fails-b"]);
        let view = SessionView::new(e.session(), now);
        let context = v("{}");
        let mut compared = 0;
        for item in &with.items {
            assert!(!item.id.starts_with("hat-"), "{item:?}");
            let Some(plain) = base.items.iter().find(|b| b.id == item.id) else { continue };
            let Some(it) = e.catalog().get(&item.id) else { continue };
            let scope = DecisionScope { view: &view, slot: "home", context: &context, item: Some(&it.value) };
            let holding: Vec<&crate::rules::Rule> = rules
                .rules
                .iter()
                .filter(|r| r.active("home", now) && r.session_part.iter().chain(&r.item_part).all(|p| p.matches(&scope) == Ok(true)))
                .collect();
            let mut multiplier = 1.0;
            for r in &holding {
                if let crate::rules::Action::Scale(f) = r.action {
                    multiplier *= f;
                }
            }
            assert_eq!(item.score.to_bits(), (plain.score * multiplier).to_bits(), "{}", item.id);
            let mut reasons = plain.reasons.clone();
            reasons.extend(holding.iter().map(|r| format!("rule:{}", r.id)));
            reasons.truncate(4);
            assert_eq!(item.reasons, reasons, "{}", item.id);
            for r in &holding {
                assert!(with.rules_fired.contains(&r.id), "{} for {}", r.id, item.id);
            }
            compared += 1;
        }
        assert!(compared >= 10, "{compared} items compared");
        let mut fired = with.rules_fired.clone();
        fired.sort();
        fired.dedup();
        assert_eq!(fired.len(), with.rules_fired.len());
        assert!(with.rules_fired.iter().any(|r| matches!(r.as_str(), "r64" | "r65" | "r66" | "r67" | "r68" | "r69")), "{:?}", with.rules_fired);
        assert!(!with.rules_fired.iter().any(|r| r == "pdp-only" || r == "never-live"), "{:?}", with.rules_fired);
        // Answered at load: every item-only rule, none that reads the session or fails.
        let answered: Vec<&str> = rules.rules.iter().enumerate().filter(|(ri, _)| masks.answered(e.catalog(), *ri)).map(|(_, r)| r.id.as_str()).collect();
        assert!(answered.contains(&"r0") && answered.contains(&"r2") && answered.contains(&"r69") && answered.contains(&"pdp-only"), "{answered:?}");
        assert!(!answered.iter().any(|id| matches!(*id, "r1" | "r4" | "fails-a" | "fails-b")), "{answered:?}");
    }

    #[test]
    fn only_parts_reading_nothing_but_the_cart_get_a_slot() {
        let table = [
            (r#"{">":[{"reduce":[{"var":"session.cart"},{"+":[{"var":"accumulator"},{"var":"current.price"}]},0]},100]}"#, true),
            (r#"{">=":[{"var":"session.cart.length"},2]}"#, true),
            (r#"{"in_cart":["sock-2"]}"#, true),
            (r#"{"some":[{"var":"session.cart"},{"==":[{"var":"item"},"sock-2"]}]}"#, true),
            (r#"{">":[{"var":"session.counters.add_to_cart"},0]}"#, false),
            (r#"{"or":[{"var":"session.cart.0"},{"==":[{"var":"context.device"},"mobile"]}]}"#, false),
            (r#"{"!!":[{"var":"session"}]}"#, false),
            (r#"{"==":[{"var":"session.cart"},{"var":"session.id"}]}"#, false),
            (r#"{"<":[{"var":"now"},{"var":"session.cart.length"}]}"#, false),
            (r#"{"in_cart":[{"var":"context.item"}]}"#, false),
            (r#"{"some":[{"var":"session.recent"},{"==":[{"var":"type"},"add_to_cart"]}]}"#, false),
            (r#"{"purchased":["sock-2"]}"#, false),
            (r#"{"viewed_within":["sock-2",60]}"#, false),
            (r#"{"==":[{"var":"slot"},"home"]}"#, false),
        ];
        let rules: Vec<String> =
            table.iter().enumerate().map(|(i, (c, _))| format!(r#"{{"id":"r{i}","condition":{c},"action":{{"type":"boost","factor":2}}}}"#)).collect();
        let text = format!(r#"{{"rules":[{}]}}"#, rules.join(","));
        let set = match crate::rules::RuleSet::from_value(&v(&text)) {
            Ok(r) => r,
            Err(err) => panic!("{err}"),
        };
        let masks = ItemMasks::build(&set, &crate::catalog::Catalog::default());
        let mut slots = 0;
        for (ri, rule) in set.rules.iter().enumerate() {
            // Equal priorities keep the file's order.
            let want = table.get(ri).map(|t| t.1);
            assert_eq!(rule.id, format!("r{ri}"));
            assert_eq!(rule.session_part.len(), 1, "{}", rule.id);
            assert_eq!(Some(masks.cart_slot(ri, 0).is_some()), want, "{}", rule.id);
            slots += usize::from(masks.cart_slot(ri, 0).is_some());
        }
        assert_eq!(masks.cart_parts(), slots);
        // Another build of the same rules is another generation.
        assert_ne!(ItemMasks::build(&set, &crate::catalog::Catalog::default()).generation(), masks.generation());
    }
}
