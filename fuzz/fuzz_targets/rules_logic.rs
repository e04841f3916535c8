//! Rule-set loading and JsonLogic evaluation with bounded steps.
//!
//! Every input is tried three ways:
//! - as a rule set (`{"rules": [...]}` or a bare array): when it loads, the
//!   engine decides with it against the fixture catalog and session; when it
//!   does not, the previous rules stay and decisions are unchanged;
//! - as one JsonLogic condition, compiled and evaluated against fixed
//!   session-like data, and also after `specialize` (constant folding), which
//!   must evaluate to the same result, as must the data projected to what
//!   the condition reads (`Condition::reads`);
//! - as `[condition, data]`: the condition evaluated against arbitrary data.
//!
//! Evaluation must end (step budget) and errors carry codes. libFuzzer's
//! `-timeout` turns an evaluation that runs away into a reported crash.
#![no_main]

use std::sync::OnceLock;

use edge_personalize::json::Value;
use edge_personalize::logic::{truthy, values_equal, Condition};
use edge_personalize::Result;
use ep_fuzz::{check_error, check_still_decides, check_unchanged, fixed, parse_input, restore_fixture_rules, with_busy_engine};
use libfuzzer_sys::fuzz_target;

/// Data shaped like what rule conditions read during a decision.
const CONDITION_DATA: &str = r#"{
 "item": {"id": "shoe-1", "category": "shoes", "brand": "acme", "price": 60, "tags": ["run", "sale"]},
 "session": {"recent": [{"item": "shoe-2", "category": "shoes", "brand": "zoom", "ageSeconds": 12, "type": "product_view"},
                        {"item": "hat-1", "category": "hats", "ageSeconds": 400, "type": "add_to_cart"}],
             "affinity": {"category": {"shoes": 1.5, "hats": 0.2}, "brand": {"acme": 0.7}},
             "cart": [{"item": "hat-1", "quantity": 2, "price": 25}], "purchased": ["bag-1"],
             "counters": {"product_view": 3}},
 "context": {"page": "/p/shoe-1", "device": "mobile", "country": "DE"},
 "slot": "home", "now": 1795651200000
}"#;

fn condition_data() -> &'static Value {
    static DATA: OnceLock<Value> = OnceLock::new();
    DATA.get_or_init(|| fixed(CONDITION_DATA))
}

/// Both evaluations succeed with equal values, or both fail with one code.
fn same_outcome(a: &Result<Value>, b: &Result<Value>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => values_equal(x, y),
        (Err(x), Err(y)) => x.code == y.code,
        _ => false,
    }
}

fn evaluate(condition: &Value, data: &Value) {
    let compiled = match Condition::compile(condition) {
        Ok(c) => c,
        Err(e) => return check_error(&e),
    };
    let full = compiled.eval(data);
    match &full {
        Ok(v) => {
            let matched = compiled.matches(data);
            assert!(
                matches!(matched, Ok(m) if m == truthy(v)),
                "matches() disagrees with truthy(eval()): {matched:?} vs {v:?}"
            );
        }
        Err(e) => check_error(e),
    }
    // `evalCondition` from JS converts only what the condition reads
    // (`Condition::reads`): the projected data must give the same outcome.
    let projected = compiled.reads().apply(data);
    let part = compiled.eval(&projected);
    assert!(same_outcome(&full, &part), "the projection changed the result: {full:?} vs {part:?}");
    if let Some(special) = compiled.specialize(data) {
        let folded = special.eval(data);
        assert!(same_outcome(&full, &folded), "specialize changed the result: {full:?} vs {folded:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(v) = parse_input(data) else { return };

    with_busy_engine(|engine| match engine.load_rules(&v) {
        Ok(n) => {
            assert!(n <= edge_personalize::limits::MAX_RULES, "{n} rules loaded");
            check_still_decides(engine);
            restore_fixture_rules(engine);
        }
        Err(e) => {
            check_error(&e);
            check_unchanged(engine);
        }
    });

    evaluate(&v, condition_data());
    if let Value::Array(pair) = &v {
        if let [condition, data] = pair.as_slice() {
            evaluate(condition, data);
        }
    }
});
