//! End-to-end behaviour of the native engine: track -> decide -> snapshot,
//! on the same fixtures the wasm tests use.
#![cfg(not(target_arch = "wasm32"))]

use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{parse, to_json_string, Value};
use edge_personalize::ErrorCode;

const CATALOG: &str = include_str!("fixtures/catalog.json");
const RULES: &str = include_str!("fixtures/rules.json");
const T0: f64 = 1_795_651_200_000.0;

fn v(text: &str) -> Value {
    parse(text).expect("test JSON")
}

fn engine() -> Engine {
    let mut e = Engine::new(Config { seed: 7, ..Config::default() }, T0);
    e.load_catalog(&v(CATALOG)).expect("catalog");
    e.load_rules(&v(RULES)).expect("rules");
    e
}

fn view(e: &mut Engine, id: &str, category: &str, t: f64) {
    e.track(&v(&format!(r#"{{"type":"product_view","item":{{"id":"{id}","category":"{category}","brand":"acme","price":80}}}}"#)), t)
        .expect("track");
}

fn ids(d: &Value) -> Vec<String> {
    d.get("items")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|it| it.get("id").and_then(Value::as_str).map(str::to_string)).collect())
        .unwrap_or_default()
}

fn decide(e: &mut Engine, req: &str, t: f64) -> Value {
    e.decide(&v(req), t).expect("decide").to_value()
}

#[test]
fn an_empty_session_gets_bestsellers_as_fallback() {
    let mut e = engine();
    let d = decide(&mut e, r#"{"slot":"home","k":4}"#, T0);
    assert_eq!(ids(&d), ["bag-1", "hat-1", "bag-2", "hat-2"]);
    assert_eq!(d.get("fallbackUsed"), Some(&Value::Bool(true)));
    assert!(to_json_string(&d).contains("fallback:bestsellers"));
}

#[test]
fn browsing_a_category_makes_it_dominate() {
    let mut e = engine();
    for (i, id) in ["shoe-1", "shoe-4", "shoe-7"].iter().enumerate() {
        view(&mut e, id, "shoes", T0 + i as f64 * 1000.0);
    }
    // Past the 5-minute accessories window, so only affinity and relations speak.
    let d = decide(&mut e, r#"{"slot":"home","k":10}"#, T0 + 400_000.0);
    let got = ids(&d);
    let shoes = got.iter().filter(|id| id.starts_with("shoe-")).count();
    assert!(shoes >= 5, "{got:?}");
    assert_eq!(d.get("fallbackUsed"), Some(&Value::Bool(false)));
    assert!(!got.contains(&"shoe-sold-out".to_string()), "out of stock item shown");
    // The diversity cap (ceil(0.6 k) = 6) holds.
    assert!(shoes <= 6, "{got:?}");
}

#[test]
fn viewing_a_product_puts_its_accessories_first() {
    let mut e = engine();
    view(&mut e, "shoe-2", "shoes", T0);
    let d = decide(&mut e, r#"{"slot":"pdp","k":6,"item":"shoe-2"}"#, T0 + 60_000.0);
    let got = ids(&d);
    assert_eq!(&got[..3], ["sock-3", "lace-3", "polish-3"], "{}", to_json_string(&d));
    assert!(to_json_string(&d).contains("rule:accessories-after-view"));
    assert!(!got.contains(&"shoe-2".to_string()), "the page's own item was recommended");
    // Six minutes later the rule no longer fires.
    let d = decide(&mut e, r#"{"slot":"pdp","k":6,"item":"shoe-2"}"#, T0 + 360_000.0);
    assert!(!to_json_string(&d).contains("rule:accessories-after-view"));
}

#[test]
fn cart_and_purchased_items_are_excluded_by_default() {
    let mut e = engine();
    view(&mut e, "bag-2", "bags", T0);
    e.track(&v(r#"{"type":"add_to_cart","item":{"id":"bag-1","category":"bags"}}"#), T0 + 1.0).expect("cart");
    e.track(&v(r#"{"type":"purchase","items":[{"id":"hat-1","category":"hats"}]}"#), T0 + 2.0).expect("buy");
    let got = ids(&decide(&mut e, r#"{"slot":"home","k":10}"#, T0 + 400_000.0));
    assert!(!got.contains(&"bag-1".to_string()) && !got.contains(&"hat-1".to_string()), "{got:?}");
    let got = ids(&decide(&mut e, r#"{"slot":"home","k":10,"excludeCart":false}"#, T0 + 400_000.0));
    assert!(got.contains(&"bag-1".to_string()), "{got:?}");
}

#[test]
fn exclude_pin_and_bury_rules_apply() {
    let mut e = engine();
    e.load_rules(&v(r#"{"rules":[
        {"id":"pin-polish","action":{"type":"pin","position":0,"item":"polish-1"}},
        {"id":"no-bags","condition":{"==":[{"var":"item.category"},"bags"]},"action":{"type":"exclude"}},
        {"id":"hats-down","condition":{"==":[{"var":"item.category"},"hats"]},"action":{"type":"bury","factor":0.01}}]}"#))
        .expect("rules");
    view(&mut e, "hat-3", "hats", T0);
    let d = decide(&mut e, r#"{"slot":"home","k":5}"#, T0 + 1000.0);
    let got = ids(&d);
    assert_eq!(got.first().map(String::as_str), Some("polish-1"), "{got:?}");
    assert!(got.iter().all(|id| !id.starts_with("bag-")), "{got:?}");
    let fired = to_json_string(d.get("rulesFired").expect("fired"));
    assert!(fired.contains("pin-polish") && fired.contains("no-bags"), "{fired}");
}

#[test]
fn the_bestseller_fill_obeys_exclude_rules() {
    let mut e = engine();
    e.load_rules(&v(r#"{"rules":[{"id":"no-bags","condition":{"==":[{"var":"item.category"},"bags"]},"action":{"type":"exclude"}}]}"#))
        .expect("rules");
    // A fresh session asks for more than the non-bag best-sellers can fill.
    let got = ids(&decide(&mut e, r#"{"slot":"home","k":12}"#, T0));
    assert!(got.iter().all(|id| !id.starts_with("bag-")), "{got:?}");
}

#[test]
fn a_hostile_rule_is_reported_and_the_decision_goes_on() {
    let mut e = engine();
    let big: Vec<String> = (0..2000).map(|i| i.to_string()).collect();
    let arr = format!("[{}]", big.join(","));
    let rules = format!(
        r#"{{"rules":[{{"id":"bomb","condition":{{"some":[{arr},{{"some":[{arr},{{"==":[{{"var":""}},-1]}}]}}]}},"action":{{"type":"exclude"}}}}]}}"#
    );
    e.load_rules(&v(&rules)).expect("loads: it is valid JsonLogic");
    view(&mut e, "shoe-1", "shoes", T0);
    let d = decide(&mut e, r#"{"slot":"home","k":5}"#, T0 + 1000.0);
    assert_eq!(ids(&d).len(), 5);
    let errs = to_json_string(d.get("ruleErrors").expect("the failure is reported"));
    assert!(errs.contains("STEP_LIMIT"), "{errs}");
}

#[test]
fn snapshot_restores_the_same_decisions() {
    let mut a = engine();
    for (i, id) in ["shoe-3", "sock-2", "shoe-5"].iter().enumerate() {
        view(&mut a, id, if id.starts_with("shoe") { "shoes" } else { "socks" }, T0 + i as f64);
    }
    let bytes = a.snapshot();
    let mut b = engine();
    b.restore(&bytes, T0 + 10.0).expect("restore");
    assert_eq!(b.session().id, a.session().id);
    let req = r#"{"slot":"home","k":8}"#;
    assert_eq!(ids(&decide(&mut a, req, T0 + 5000.0)), ids(&decide(&mut b, req, T0 + 5000.0)));
}

#[test]
fn a_corrupted_snapshot_gives_a_typed_error_and_a_fresh_session() {
    let mut e = engine();
    view(&mut e, "shoe-1", "shoes", T0);
    let mut bytes = e.snapshot();
    bytes.truncate(bytes.len() - 3);
    let old = e.session().id.clone();
    let err = e.restore(&bytes, T0 + 1.0).expect_err("truncated");
    assert_eq!(err.code, ErrorCode::SnapshotCorrupt);
    assert_ne!(e.session().id, old);
    assert!(e.session().recent.is_empty());
}

#[test]
fn inactivity_starts_a_new_session() {
    let mut e = engine();
    view(&mut e, "shoe-1", "shoes", T0);
    let first = e.session().id.clone();
    view(&mut e, "shoe-2", "shoes", T0 + 29.0 * 60_000.0);
    assert_eq!(e.session().id, first);
    view(&mut e, "shoe-3", "shoes", T0 + 60.0 * 60_000.0);
    assert_ne!(e.session().id, first);
    assert_eq!(e.session().recent.len(), 1);
}

#[test]
fn tracked_events_get_ids_times_and_group() {
    let mut e = engine();
    let ev = e.track(&v(r#"{"type":"page_view"}"#), T0).expect("track");
    assert_eq!(ev.id.as_deref().map(str::len), Some(26));
    assert_eq!(ev.ts, Some(T0));
    assert_eq!(ev.session_id.as_deref(), Some(e.session().id.as_str()));
    assert_eq!(ev.group.as_deref(), Some("treatment"));
}

#[test]
fn holdout_gets_bestsellers_only() {
    let mut e = Engine::new(Config { seed: 1, holdout_share: 1.0, ..Config::default() }, T0);
    e.load_catalog(&v(CATALOG)).expect("catalog");
    view(&mut e, "shoe-1", "shoes", T0);
    let d = decide(&mut e, r#"{"slot":"home","k":3}"#, T0 + 1.0);
    assert_eq!(ids(&d), ["bag-1", "hat-1", "bag-2"]);
    assert_eq!(d.get("group").and_then(Value::as_str), Some("holdout"));
    // The split is deterministic per user and close to the configured share.
    let mut held = 0;
    for u in 0..2000 {
        let e = Engine::new(Config { user_id: Some(format!("user-{u}")), holdout_share: 0.1, ..Config::default() }, T0);
        held += (e.group() == "holdout") as usize;
    }
    assert!((150..250).contains(&held), "{held} of 2000 held out at 10%");
}

#[test]
fn bad_loads_keep_what_was_loaded() {
    let mut e = engine();
    assert_eq!(e.load_rules(&v(r#"{"rules":[{"id":"x","action":{"type":"nope"}}]}"#)).expect_err("bad").code, ErrorCode::InvalidValue);
    assert_eq!(e.load_catalog(&v(r#"{"items":[{"id":""}]}"#)).expect_err("bad").code, ErrorCode::InvalidValue);
    view(&mut e, "shoe-2", "shoes", T0);
    let d = decide(&mut e, r#"{"slot":"pdp","k":3,"item":"shoe-2"}"#, T0 + 1.0);
    assert_eq!(ids(&d), ["sock-3", "lace-3", "polish-3"], "old rules and catalog still in force");
}

#[test]
fn bad_requests_and_configs_are_typed_errors() {
    let mut e = engine();
    for (req, code) in [
        (r#"{"k":0}"#, ErrorCode::InvalidValue),
        (r#"{"k":"ten"}"#, ErrorCode::WrongType),
        (r#"{"slot":"a","colour":"red"}"#, ErrorCode::InvalidValue),
        (r#"[]"#, ErrorCode::WrongType),
    ] {
        assert_eq!(e.decide(&v(req), T0).expect_err(req).code, code, "{req}");
    }
    for cfg in [r#"{"halfLifeSeconds":0}"#, r#"{"holdoutShare":2}"#, r#"{"weights":{"magic":1}}"#, r#"{"x":1}"#, "7"] {
        assert_eq!(Config::from_value(&v(cfg)).expect_err(cfg).code, ErrorCode::InvalidConfig, "{cfg}");
    }
}

#[test]
fn collection_validates_each_event_on_its_own() {
    let mut e = engine();
    let batch = v(r#"[{"type":"page_view","sessionId":"s1"},{"type":"page_view"},{"type":"bogus","sessionId":"s1"},
                      {"id":"01KEEPMYID000000000000000","type":"search","query":"boots","sessionId":"s2","ts":1795651100000}]"#);
    let out = e.validate_batch(&batch, T0).expect("batch");
    let codes: Vec<Option<ErrorCode>> = out.iter().map(|r| r.as_ref().err().map(|e| e.code)).collect();
    assert_eq!(codes, [None, Some(ErrorCode::MissingField), Some(ErrorCode::InvalidValue), None]);
    let kept = out.get(3).and_then(|r| r.as_ref().ok()).expect("ok");
    assert_eq!(kept.id.as_deref(), Some("01KEEPMYID000000000000000"));
    assert!(out.first().and_then(|r| r.as_ref().ok()).and_then(|e| e.id.clone()).is_some());
}

/// The catalog with its items in reverse order (every index changes) and,
/// when `drop` is set, without that item.
fn reordered_catalog(drop: Option<&str>) -> Value {
    let mut c = v(CATALOG);
    let mut items: Vec<Value> = c.get("items").and_then(Value::as_array).map(|a| a.to_vec()).expect("items");
    items.reverse();
    items.retain(|it| drop.is_none_or(|d| it.get("id").and_then(Value::as_str) != Some(d)));
    if let Value::Object(o) = &mut c {
        o.insert("items", Value::Array(items));
    }
    c
}

/// A decision kept by the engine's catalog hints (filled a few entries at a
/// time, across catalog reloads) must be the decision a cold engine makes
/// from the same events: the hints are a cache, never a second source of truth.
#[test]
fn catalog_hints_decide_as_a_cold_engine() {
    let events = [
        r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
        r#"{"type":"product_view","item":{"id":"not-in-catalog","category":"shoes","price":10}}"#,
        r#"{"type":"add_to_cart","item":{"id":"sock-2","category":"socks","price":12}}"#,
        r#"{"type":"product_click","item":{"id":"shoe-3","category":"shoes","brand":"acme","price":80}}"#,
        r#"{"type":"product_view","item":{"id":"bag-6","category":"bags","brand":"acme","price":70}}"#,
        r#"{"type":"purchase","items":[{"id":"sock-2","category":"socks","price":12}]}"#,
        r#"{"type":"product_view","item":{"id":"hat-5","category":"hats","price":45}}"#,
        r#"{"type":"product_view","item":{"id":"shoe-3","category":"shoes","brand":"acme","price":80}}"#,
        r#"{"type":"add_to_cart","item":{"id":"bag-6","category":"bags","brand":"acme","price":70}}"#,
        r#"{"type":"product_view","item":{"id":"shoe-5","category":"shoes","brand":"zoom","price":90}}"#,
    ];
    // The catalog in force from each event on: the fixture, then every index
    // moved, then also without an item the session has seen.
    let catalog_at = |i: usize| match i {
        0..=3 => v(CATALOG),
        4..=6 => reordered_catalog(None),
        _ => reordered_catalog(Some("shoe-3")),
    };
    let req = v(r#"{"slot":"home","k":6,"excludePurchased":false}"#);
    let mut warm = engine();
    for (i, ev) in events.iter().enumerate() {
        if i == 4 || i == 7 {
            warm.load_catalog(&catalog_at(i)).expect("catalog");
        }
        let t = T0 + 20_000.0 * i as f64;
        warm.track(&v(ev), t).expect("track");
        let mut cold = Engine::new(Config { seed: 7, ..Config::default() }, T0);
        cold.load_catalog(&catalog_at(i)).expect("catalog");
        cold.load_rules(&v(RULES)).expect("rules");
        for (j, e) in events.iter().enumerate().take(i + 1) {
            cold.track(&v(e), T0 + 20_000.0 * j as f64).expect("track");
        }
        for now in [t + 1_000.0, t + 400_000.0] {
            let (a, b) = (warm.decide(&req, now).expect("decide"), cold.decide(&req, now).expect("decide"));
            assert!(!a.items.is_empty(), "after event {i}");
            assert_eq!(a.items, b.items, "after event {i}");
            assert_eq!(a.rules_fired, b.rules_fired, "after event {i}");
            assert_eq!(a.rule_failures, b.rule_failures, "after event {i}");
            assert_eq!(a.fallback_used, b.fallback_used, "after event {i}");
        }
    }
}

/// Rules reading `session.cart` read the JSON the engine keeps between
/// decisions until the cart changes: every change (a new line, a quantity,
/// a price, a removal, a purchase) must show in the next decision exactly as
/// a cold engine sees it.
#[test]
fn cart_rules_see_every_cart_change() {
    let rules = r#"{"version":"cart-rules","rules":[
        {"id":"big-cart","condition":{"and":[{">":[{"reduce":[{"var":"session.cart"},{"+":[{"var":"accumulator"},{"*":[{"var":"current.price"},{"var":"current.quantity"}]}]},0]},100]},{"==":[{"var":"item.category"},"socks"]}]},"action":{"type":"boost","factor":3}},
        {"id":"two-lines","condition":{"and":[{">=":[{"var":"session.cart.length"},2]},{"==":[{"var":"item.category"},"hats"]}]},"action":{"type":"boost","factor":2}}
    ]}"#;
    let events = [
        r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","price":65}}"#,
        r#"{"type":"add_to_cart","item":{"id":"sock-2","category":"socks","price":12}}"#,
        r#"{"type":"add_to_cart","item":{"id":"sock-2","category":"socks","price":12,"quantity":9}}"#,
        r#"{"type":"add_to_cart","item":{"id":"hat-5","category":"hats","price":45}}"#,
        r#"{"type":"remove_from_cart","item":{"id":"sock-2","quantity":8}}"#,
        r#"{"type":"add_to_cart","item":{"id":"hat-5","category":"hats","price":95}}"#,
        r#"{"type":"purchase","items":[{"id":"hat-5","category":"hats","price":95}]}"#,
        r#"{"type":"product_view","item":{"id":"bag-6","category":"bags","price":70}}"#,
    ];
    let with_rules = |e: &mut Engine| e.load_rules(&v(rules)).map(|_| ()).expect("rules");
    let req = v(r#"{"slot":"home","k":8}"#);
    let mut warm = engine();
    with_rules(&mut warm);
    let mut fired: Vec<Vec<String>> = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        let t = T0 + 10_000.0 * i as f64;
        warm.track(&v(ev), t).expect("track");
        let mut cold = engine();
        with_rules(&mut cold);
        for (j, e) in events.iter().enumerate().take(i + 1) {
            cold.track(&v(e), T0 + 10_000.0 * j as f64).expect("track");
        }
        let (a, b) = (warm.decide(&req, t + 1.0).expect("decide"), cold.decide(&req, t + 1.0).expect("decide"));
        assert_eq!((&a.items, &a.rules_fired), (&b.items, &b.rules_fired), "after event {i}");
        fired.push(a.rules_fired);
    }
    // The rules flip with the cart, so a stale cart would have shown.
    let has = |i: usize, id: &str| fired.get(i).is_some_and(|f| f.iter().any(|r| r == id));
    assert!(!has(1, "big-cart") && has(2, "big-cart") && !has(4, "big-cart"), "{fired:?}");
    assert!(!has(2, "two-lines") && has(3, "two-lines") && !has(6, "two-lines"), "{fired:?}");
}

/// The results of rule parts that read only the cart are kept between
/// decisions on an unchanged cart, and only for the rules they came from:
/// the same part slot under reloaded rules with another threshold, a
/// quantity change and a catalog reload each give the answer of a fresh
/// evaluation.
#[test]
fn kept_cart_results_follow_the_cart_and_the_rules() {
    let rules = |limit: u32| {
        v(&format!(
            r#"{{"rules":[{{"id":"big-cart","condition":{{"and":[{{">":[{{"reduce":[{{"var":"session.cart"}},{{"+":[{{"var":"accumulator"}},{{"*":[{{"var":"current.price"}},{{"var":"current.quantity"}}]}}]}},0]}},{limit}]}},{{"==":[{{"var":"item.category"}},"socks"]}}]}},"action":{{"type":"boost","factor":3}}}}]}}"#
        ))
    };
    let req = v(r#"{"slot":"home","k":10,"excludeCart":false}"#);
    let mut e = engine();
    view(&mut e, "shoe-1", "shoes", T0);
    e.track(&v(r#"{"type":"add_to_cart","item":{"id":"sock-2","category":"socks","price":12,"quantity":9}}"#), T0 + 1000.0).expect("track");
    let fires = |e: &mut Engine, t: f64| e.decide(&req, t).expect("decide").rules_fired.iter().any(|r| r == "big-cart");
    // The cart is worth 108.
    e.load_rules(&rules(100)).expect("rules");
    assert!(fires(&mut e, T0 + 2000.0) && fires(&mut e, T0 + 3000.0));
    e.load_rules(&rules(200)).expect("rules");
    assert!(!fires(&mut e, T0 + 4000.0) && !fires(&mut e, T0 + 5000.0));
    e.load_rules(&rules(100)).expect("rules");
    assert!(fires(&mut e, T0 + 6000.0));
    e.track(&v(r#"{"type":"remove_from_cart","item":{"id":"sock-2","quantity":5}}"#), T0 + 7000.0).expect("track");
    assert!(!fires(&mut e, T0 + 8000.0));
    e.track(&v(r#"{"type":"add_to_cart","item":{"id":"sock-2","category":"socks","price":12,"quantity":5}}"#), T0 + 9000.0).expect("track");
    assert!(fires(&mut e, T0 + 10_000.0));
    e.load_catalog(&v(include_str!("fixtures/catalog.json"))).expect("catalog");
    assert!(fires(&mut e, T0 + 11_000.0));
}

/// Fired rules are reported in the order they first fired, candidate by
/// candidate in pool order (each candidate meeting the rules by priority),
/// however the engine loops: here the first candidates (shoe-1's related
/// shoes) fire the lower-priority rule, the best-seller bags later fire the
/// higher one.
#[test]
fn fired_rules_are_reported_candidate_by_candidate() {
    let mut e = engine();
    e.load_rules(&v(r#"{"rules":[
        {"id":"bags-first","priority":10,"condition":{"==":[{"var":"item.category"},"bags"]},"action":{"type":"boost","factor":1.1}},
        {"id":"shoes-too","priority":5,"condition":{"==":[{"var":"item.category"},"shoes"]},"action":{"type":"boost","factor":1.1}},
        {"id":"never","priority":1,"condition":{"==":[{"var":"item.category"},"no-such"]},"action":{"type":"exclude"}}
    ]}"#))
    .expect("rules");
    view(&mut e, "shoe-1", "shoes", T0);
    let d = e.decide(&v(r#"{"slot":"home","k":10}"#), T0 + 1000.0).expect("decide");
    assert_eq!(d.rules_fired, ["shoes-too", "bags-first"]);
}
