#![cfg(not(target_arch = "wasm32"))]
//! `Condition::reads`: a condition evaluates the same on the projected data
//! (only what it can read) as on the whole data, for the conformance cases,
//! the merchant rules and conditions written to stress the projection.

use edge_personalize::json::{parse, to_json_string, Value};
use edge_personalize::logic::{conformance_cases, values_equal, Condition};

const COMPATIBLE: &str = include_str!("../../shared/conformance/jsonlogic/compatible.json");
const RULES: &str = include_str!("fixtures/rules.json");

fn json(text: &str) -> Value {
    match parse(text) {
        Ok(v) => v,
        Err(e) => panic!("test JSON {text:?}: {e}"),
    }
}

/// Evaluates `rule` on `data` and on its projection; fails when they differ.
fn same_on_projection(rule: &Value, data: &Value) -> Value {
    let c = match Condition::compile(rule) {
        Ok(c) => c,
        Err(e) => panic!("{}: {e}", to_json_string(rule)),
    };
    let projected = c.reads().apply(data);
    let full = c.eval(data);
    let part = c.eval(&projected);
    let agree = match (&full, &part) {
        (Ok(a), Ok(b)) => values_equal(a, b),
        (Err(a), Err(b)) => a.code == b.code,
        _ => false,
    };
    assert!(
        agree,
        "{}: whole data {:?}, projected {:?} (projected data {})",
        to_json_string(rule),
        full.map(|v| to_json_string(&v)),
        part.map(|v| to_json_string(&v)),
        to_json_string(&projected)
    );
    projected
}

fn session_data() -> Value {
    let mut recent = Vec::new();
    let cats = ["tents", "headlamps", "socks", "backpacks"];
    let brands = ["acme", "northpeak", "trailco"];
    let types = ["product_view", "add_to_cart", "click", "purchase"];
    for i in 0..40usize {
        let item = if i % 7 == 3 { format!("{}", 1000 + i) } else { format!("\"sku-{:05}\"", i * 37 % 101) };
        recent.push(format!(
            r#"{{"item":{item},"category":"{}","brand":"{}","type":"{}","ageSeconds":{},"price":{},"tags":["x","sale"]}}"#,
            cats[i % 4],
            brands[i % 3],
            types[i % 4],
            i * 30,
            10.5 + i as f64
        ));
    }
    json(&format!(
        r#"{{
        "session": {{
            "sessionId": "s-1", "ageSeconds": 900,
            "recent": [{}],
            "cart": [{{"item":"sku-00037","quantity":2,"price":19.5}},{{"item":"sku-00074","quantity":0,"price":5}},{{"item":1010,"price":7}}],
            "purchased": ["sku-00012", 1017],
            "affinity": {{"category": {{"tents": 2.5, "socks": 0.5}}, "brand": {{"acme": 1.5}}, "item": {{"sku-00037": 3}}}},
            "counters": {{"events": 40, "product_view": 10, "add_to_cart": 10, "search": 0, "purchase": 1}}
        }},
        "item": {{"id": "sku-00037", "category": "socks", "brand": "acme", "price": 12, "inStock": true, "tags": ["sale"], "popularity": 0.4}},
        "context": {{"device": "mobile", "page": "/c/tents", "weather": "rain"}},
        "slot": "home", "now": 1700000000000, "k": "counters", "n": null
    }}"#,
        recent.join(",")
    ))
}

const STRESS: &[&str] = &[
    r#"{"some":[{"var":"session.recent"},{"==":[{"var":"category"},"tents"]}]}"#,
    r#"{"filter":[{"var":"session.recent"},{"==":[{"var":"type"},"add_to_cart"]}]}"#,
    r#"{"map":[{"var":"session.recent"},{"var":"category"}]}"#,
    r#"{"map":[{"var":"session.recent"},{"var":""}]}"#,
    r#"{"all":[{"var":"session.recent"},{"some":[{"var":"tags"},{"==":[{"var":""},"sale"]}]}]}"#,
    r#"{"none":[{"var":"session.recent"},{"<":[{"var":"ageSeconds"},{"var":"price"}]}]}"#,
    r#"{"reduce":[{"var":"session.cart"},{"+":[{"var":"accumulator"},{"*":[{"var":"current.price"},{"var":"current.quantity"}]}]},0]}"#,
    r#"{"reduce":[{"var":"session.cart"},{"merge":[{"var":"accumulator"},[{"var":"current"}]]},[]]}"#,
    r#"{"reduce":[{"var":"session.cart"},{"var":""},null]}"#,
    r#"{"reduce":[{"var":"session.recent"},{"cat":[{"var":"accumulator"},{"var":"current.brand"}]},{"var":"slot"}]}"#,
    r#"{"reduce":[{"var":"session.recent"},{"if":[{"some":[{"var":"current.tags"},{"==":[{"var":""},"x"]}]},{"+":[{"var":"accumulator"},1]},{"var":"accumulator"}]},0]}"#,
    r#"{"var":"session.recent.0.item"}"#,
    r#"{"var":"session.recent.length"}"#,
    r#"{"var":"session.recent.3"}"#,
    r#"{"var":"session.recent.03"}"#,
    r#"{"var":"session.recent.0.item.length"}"#,
    r#"{"and":[{"some":[{"var":"session.recent"},{"==":[{"var":"brand"},"acme"]}]},{"==":[{"var":"session.recent.0.category"},"tents"]},{"var":"session.recent.1"}]}"#,
    r#"{"some":[{"var":"session.recent"},{"in_cart":[{"var":"item"}]}]}"#,
    r#"{"some":[{"var":"session.recent"},{"purchased":[{"var":"item"}]}]}"#,
    r#"{"viewed_within":[{"var":"item.id"},120]}"#,
    r#"{"viewed_within":[1003,10000]}"#,
    r#"{"viewed_category_within":["socks",600]}"#,
    r#"{"affinity":["category",{"var":"item.category"}]}"#,
    r#"{"affinity_above":["brand","acme",1]}"#,
    r#"{"in_cart":[{"var":"item.id"}]}"#,
    r#"{"in_cart":["sku-00074"]}"#,
    r#"{"in_cart":[1010]}"#,
    r#"{"purchased":[1017]}"#,
    r#"{"var":[{"cat":["session.",{"var":"k"}]}]}"#,
    r#"{"missing":["session.sessionId","item.price","item.nope"]}"#,
    r#"{"missing_some":[1,["session.nope","item.id"]]}"#,
    r#"{"map":[{"filter":[{"var":"session.recent"},{"==":[{"var":"type"},"product_view"]}]},{"var":"item"}]}"#,
    r#"{"some":[{"map":[{"var":"session.recent"},{"var":"brand"}]},{"==":[{"var":""},"acme"]}]}"#,
    r#"{"==":[{"var":"session.recent"},{"var":"session.recent"}]}"#,
    r#"{"==":[{"var":"session.recent.0"},{"var":"session.recent.0"}]}"#,
    r#"{"var":["nope",{"var":"session.counters"}]}"#,
    r#"{"some":[{"var":["session.nope",[1,2]]},{"==":[{"var":""},2]}]}"#,
    r#"{"some":[{"var":["session.nope",{"var":"session.recent"}]},{"==":[{"var":"brand"},"acme"]}]}"#,
    r#"{"some":[{"var":"session.counters"},{"var":"x"}]}"#,
    r#"{"map":[[1,2],{"var":"session.recent.0.item"}]}"#,
    r#"{"map":[[{"a":1,"b":2}],{"var":"a"}]}"#,
    r#"{"in":[{"var":"item.id"},{"var":"session.purchased"}]}"#,
    r#"{"cat":[{"var":"session.recent.0"},{"var":"session.cart"}]}"#,
    r#"{"var":""}"#,
    r#"{"var":"session"}"#,
    r#"{"some":[{"var":""},{"var":"x"}]}"#,
    r#"{"some":[{"var":"item.tags"},{"==":[{"var":""},"sale"]}]}"#,
    r#"{"map":[{"var":"session.recent"},{"var":[{"var":"k"}]}]}"#,
    r#"{"map":[{"var":"session.recent"},{"missing":["item","nope"]}]}"#,
    r#"{"map":[{"var":"session.recent"},{"map":[{"var":"tags"},{"cat":[{"var":""},"!"]}]}]}"#,
    r#"{"merge":[{"var":"session.purchased"},{"var":"session.recent.2.tags"}]}"#,
    r#"{"if":[{"var":"n"},{"var":"session.recent"},{"var":"session.counters.events"}]}"#,
];

/// The 25 merchant rules of the benchmark workload (bench/workload.mjs).
const BENCH_RULES: &[&str] = &[
    r#"{"viewed_within":[{"var":"session.recent.0.item"},300]}"#,
    r#"{"!":{"var":"item.inStock"}}"#,
    r#"{"purchased":[{"var":"item.id"}]}"#,
    r#"{"and":[{">":[{"affinity":["category","running-shoes"]},0]},{"==":[{"var":"item.category"},"socks"]}]}"#,
    r#"{"and":[{"some":[{"var":"session.recent"},{"and":[{"==":[{"var":"category"},"tents"]},{"==":[{"var":"type"},"add_to_cart"]}]}]},{"==":[{"var":"item.category"},"sleeping-bags"]}]}"#,
    r#"{"in":["sale",{"var":"item.tags"}]}"#,
    r#"{"and":[{">=":[{"var":"session.counters.product_view"},3]},{"==":[{"var":"session.counters.add_to_cart"},0]},{">":[{"var":"item.price"},300]}]}"#,
    r#"{"==":[{"var":"session.counters.events"},0]}"#,
    r#"{"and":[{"==":[{"var":"context.device"},"mobile"]},{"<":[{"var":"item.price"},50]}]}"#,
    r#"{"and":[{">":[{"affinity":["brand","northpeak"]},1]},{"==":[{"var":"item.brand"},"northpeak"]}]}"#,
    r#"{"and":[{">":[{"var":"session.counters.purchase"},0]},{"==":[{"var":"item.category"},"tents"]}]}"#,
    r#"{"and":[{"in":["sale",{"var":"item.tags"}]},{"<":[{"var":"item.popularity"},0.2]}]}"#,
    r#"{"and":[{">":[{"reduce":[{"var":"session.cart"},{"+":[{"var":"accumulator"},{"*":[{"var":"current.price"},{"var":"current.quantity"}]}]},0]},150]},{"<":[{"var":"item.price"},30]}]}"#,
    r#"{"and":[{">=":[{"var":"session.counters.search"},2]},{"in":["waterproof",{"var":"item.tags"}]}]}"#,
    r#"{"and":[{"some":[{"var":"session.recent"},{"and":[{"==":[{"var":"category"},"headlamps"]},{"<=":[{"var":"ageSeconds"},600]}]}]},{"in":[{"var":"item.category"},["backpacks","tents"]]}]}"#,
    r#"{">":[{"var":"session.counters.add_to_cart"},0]}"#,
    r#"{">=":[{"var":"session.recent.length"},2]}"#,
    r#"{"and":[{"==":[{"var":"context.page"},"/c/tents"]},{"==":[{"var":"item.category"},"socks"]}]}"#,
    r#"{"<=":[{"var":"item.price"},{"*":[2,{"var":"session.recent.0.price"}]}]}"#,
    r#"{"==":[{"var":"item.brand"},{"var":"session.recent.0.brand"}]}"#,
    r#"{"and":[{"<":[{"var":"session.counters.events"},5]},{">":[{"var":"item.popularity"},0.8]}]}"#,
    r#"{"in_cart":[{"var":"item.id"}]}"#,
    r#"{"viewed_within":[{"var":"item.id"},120]}"#,
    r#"{"and":[{"in":[{"var":"context.weather"},["rain","storm"]]},{"in":[{"var":"item.category"},["rain-jackets","backpacks"]]}]}"#,
    r#"{"!!":[{"var":"context.item"}]}"#,
];

#[test]
fn stress_conditions_agree_on_projected_data() {
    let data = session_data();
    // The same conditions on odd shapes: a missing session, `recent` as an
    // object, strings where arrays are expected, scalars as the data.
    let odd = [
        json(r#"{"session":{"recent":{"0":{"item":"a"},"length":3},"cart":"sku-1","purchased":{"0":"x"},"affinity":[1]}}"#),
        json(r#"{"session":{"recent":[null,1,"s",[1],{"item":"sku-00037","ageSeconds":"5"}],"cart":[null,{"item":"sku-00037"}]}}"#),
        json(r#""session""#),
        json("[1,2,3]"),
        Value::Null,
    ];
    for rule in STRESS.iter().chain(BENCH_RULES) {
        let rule = json(rule);
        same_on_projection(&rule, &data);
        for d in &odd {
            same_on_projection(&rule, d);
        }
    }
}

#[test]
fn conformance_cases_agree_on_projected_data() {
    let cases = match conformance_cases(COMPATIBLE) {
        Ok(c) => c,
        Err(e) => panic!("conformance file: {e}"),
    };
    for (_, rule, data, _) in &cases {
        same_on_projection(rule, data);
    }
    assert_eq!(cases.len(), 278);
}

#[test]
fn merchant_rules_agree_on_projected_data() {
    let rules = json(RULES);
    let list = rules.get("rules").and_then(Value::as_array).unwrap_or_default();
    assert!(list.len() >= 4, "fixture rules");
    let data = session_data();
    for r in list {
        if let Some(c) = r.get("condition") {
            same_on_projection(c, &data);
        }
    }
}

#[test]
fn projections_leave_out_what_is_not_read() {
    let data = session_data();
    let text = |rule: &str| to_json_string(&same_on_projection(&json(rule), &data));
    assert_eq!(text(r#"{"==":[{"var":"session.counters.events"},0]}"#), r#"{"session":{"counters":{"events":40}}}"#);
    assert_eq!(text(r#"{"<":[{"var":"item.price"},50]}"#), r#"{"item":{"price":12}}"#);
    assert_eq!(text(r#"{"==":[1,1]}"#), "{}");
    // Index reads keep the array's length, with null elsewhere.
    let first = text(r#"{"var":"session.recent.1.brand"}"#);
    assert!(first.starts_with(r#"{"session":{"recent":[null,{"brand":"northpeak"},null,"#), "{first}");
    // An iteration keeps of each element what its body reads.
    let some = text(r#"{"some":[{"var":"session.recent"},{"==":[{"var":"category"},"tents"]}]}"#);
    assert!(some.starts_with(r#"{"session":{"recent":[{"category":"tents"},{"category":"headlamps"},"#), "{some}");
    let reduce = text(r#"{"reduce":[{"var":"session.cart"},{"+":[{"var":"accumulator"},{"var":"current.price"}]},0]}"#);
    assert_eq!(reduce, r#"{"session":{"cart":[{"price":19.5},{"price":5},{"price":7}]}}"#);
    // Merchant operators read their part of the session through the scope's defaults.
    let cart = text(r#"{"in_cart":["x"]}"#);
    assert!(cart.starts_with(r#"{"session":{"cart":[{"item":"sku-00037","quantity":2},"#), "{cart}");
    assert_eq!(text(r#"{"purchased":["x"]}"#), r#"{"session":{"purchased":["sku-00012",1017]}}"#);
    let recent = text(r#"{"viewed_within":["x",1]}"#);
    assert!(recent.starts_with(r#"{"session":{"recent":[{"item":"sku-00000","category":"tents","ageSeconds":0},"#), "{recent}");
    // What cannot be known before evaluation takes everything.
    assert_eq!(text(r#"{"var":[{"cat":["session.",{"var":"k"}]}]}"#), to_json_string(&data));
    assert_eq!(text(r#"{"missing":["a"]}"#), to_json_string(&data));
    assert_eq!(text(r#"{"filter":[{"var":"session.cart"},{"var":"quantity"}]}"#), to_json_string(&json(&format!(
        r#"{{"session":{{"cart":{}}}}}"#,
        to_json_string(data.get("session").and_then(|s| s.get("cart")).unwrap_or(&Value::Null))
    ))));
}

/// Random conditions over the session data, built from the operators and
/// paths the projection treats differently: each must evaluate the same on
/// its projection as on the whole data.
#[test]
fn random_conditions_agree_on_projected_data() {
    let data = session_data();
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..4000 {
        let rule = random_rule(&mut rng, 0, false);
        same_on_projection(&json(&rule), &data);
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from.get(rng.usize(..from.len())).copied().unwrap_or("")
}

/// A random condition as JSON text; `in_body`: paths read an element of
/// `session.recent` (or `current`/`accumulator` of a reduce body).
fn random_rule(rng: &mut fastrand::Rng, depth: usize, in_body: bool) -> String {
    const ROOT_PATHS: &[&str] = &[
        "session.recent", "session.recent.0", "session.recent.0.item", "session.recent.2.category", "session.recent.length",
        "session.cart", "session.cart.0.quantity", "session.purchased", "session.affinity.category.tents", "session.counters.events",
        "session", "item.id", "item.price", "item.tags", "item", "context.device", "slot", "n", "", "nope.x", "session.recent.01",
    ];
    const BODY_PATHS: &[&str] = &["item", "category", "type", "ageSeconds", "price", "tags", "tags.0", "", "nope", "current.price", "accumulator"];
    const LISTS: &[&str] = &["session.recent", "session.cart", "item.tags", "session.purchased", "session.counters", "nope"];
    let var = |rng: &mut fastrand::Rng| {
        let p = if in_body { pick(rng, BODY_PATHS) } else { pick(rng, ROOT_PATHS) };
        if rng.u8(..8) == 0 {
            format!(r#"{{"var":["{p}",{{"var":"{}"}}]}}"#, pick(rng, ROOT_PATHS))
        } else {
            format!(r#"{{"var":"{p}"}}"#)
        }
    };
    if depth >= 3 {
        return match rng.u8(..4) {
            0 => "1".into(),
            1 => r#""tents""#.into(),
            _ => var(rng),
        };
    }
    let sub = |rng: &mut fastrand::Rng| random_rule(rng, depth + 1, in_body);
    let body = |rng: &mut fastrand::Rng| random_rule(rng, depth + 1, true);
    let list = |rng: &mut fastrand::Rng| match rng.u8(..7) {
        0 => r#"[1,"tents",{"item":"sku-00037","quantity":1}]"#.to_string(),
        1 => format!(r#"{{"filter":[{{"var":"{}"}},{}]}}"#, pick(rng, LISTS), random_rule(rng, depth + 1, true)),
        2 => format!(r#"{{"map":[{{"var":"{}"}},{}]}}"#, pick(rng, LISTS), random_rule(rng, depth + 1, true)),
        3 => format!(r#"{{"var":["{}",{{"var":"{}"}}]}}"#, pick(rng, LISTS), pick(rng, LISTS)),
        _ => format!(r#"{{"var":"{}"}}"#, pick(rng, LISTS)),
    };
    match rng.u8(..18) {
        0 | 1 => var(rng),
        2 => format!(r#"{{"==":[{},{}]}}"#, sub(rng), sub(rng)),
        3 => format!(r#"{{"<":[{},{}]}}"#, sub(rng), sub(rng)),
        4 => format!(r#"{{"and":[{},{}]}}"#, sub(rng), sub(rng)),
        5 => format!(r#"{{"if":[{},{},{}]}}"#, sub(rng), sub(rng), sub(rng)),
        6 => format!(r#"{{"in":[{},{}]}}"#, sub(rng), sub(rng)),
        7 => format!(r#"{{"some":[{},{}]}}"#, list(rng), body(rng)),
        8 => format!(r#"{{"all":[{},{}]}}"#, list(rng), body(rng)),
        9 => format!(r#"{{"map":[{},{}]}}"#, list(rng), body(rng)),
        10 => format!(r#"{{"filter":[{},{}]}}"#, list(rng), body(rng)),
        11 => format!(r#"{{"reduce":[{},{},{}]}}"#, list(rng), body(rng), sub(rng)),
        12 => format!(r#"{{"cat":[{},{}]}}"#, sub(rng), sub(rng)),
        13 => format!(r#"{{"missing":["{}","item.id"]}}"#, pick(rng, ROOT_PATHS)),
        14 => format!(r#"{{"var":[{{"cat":["session.",{}]}}]}}"#, sub(rng)),
        15 => format!(r#"{{"merge":[{},{}]}}"#, sub(rng), sub(rng)),
        16 => match rng.u8(..4) {
            0 => format!(r#"{{"viewed_within":[{},600]}}"#, sub(rng)),
            1 => format!(r#"{{"in_cart":[{}]}}"#, sub(rng)),
            2 => format!(r#"{{"purchased":[{}]}}"#, sub(rng)),
            _ => format!(r#"{{"affinity":["category",{}]}}"#, sub(rng)),
        },
        _ => format!(r#"{{"!!":[{}]}}"#, sub(rng)),
    }
}
