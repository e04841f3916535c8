//! Test vectors shared by the Node and the headless-Chromium wasm tests.
//! Everything goes through the facade, as JS callers use it.

use edge_personalize::json::{self, Value};
use edge_personalize::wasm::interop::{from_js, to_js};
use edge_personalize::wasm::{eval_condition, CompiledCondition, ConditionData, Personalizer};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub const CONFORMANCE: &str = include_str!("../../../shared/conformance/jsonlogic/compatible.json");
pub const CATALOG: &str = include_str!("../fixtures/catalog.json");
pub const RULES: &str = include_str!("../fixtures/rules.json");

pub fn js(text: &str) -> JsValue {
    let v = json::parse(text).expect("test JSON");
    to_js(&v).expect("to JS")
}

pub fn back(v: JsValue) -> Value {
    from_js(v, "").expect("from JS")
}

/// The error code a failing facade call threw, checking it is a real JS Error.
pub fn code_of<T>(r: Result<T, JsValue>) -> String {
    let err = match r {
        Ok(_) => return "(no error)".to_string(),
        Err(e) => e,
    };
    assert!(err.is_instance_of::<js_sys::Error>(), "not a JS Error: {err:?}");
    let code = js_sys::Reflect::get(&err, &JsValue::from_str("code")).expect("code property");
    code.as_string().expect("code is a string")
}

/// Runs every JsonLogic baseline case through `evalCondition`; returns the count.
pub fn run_conformance() -> usize {
    let cases = edge_personalize::logic::conformance_cases(CONFORMANCE).expect("suite parses");
    let mut passed = 0;
    for (name, rule, data, expected) in &cases {
        let got = eval_condition(to_js(rule).expect("rule"), to_js(data).expect("data"))
            .unwrap_or_else(|e| panic!("{name}: threw {e:?}"));
        let got = back(got);
        assert!(
            edge_personalize::logic::values_equal(&got, expected),
            "{name}: got {}, want {}",
            json::to_json_string(&got),
            json::to_json_string(expected)
        );
        passed += 1;
    }
    passed
}

/// Runs every JsonLogic baseline case through `CompiledCondition`: compiled
/// once, evaluated on plain data (`evaluate`) and on data converted once
/// (`evaluateOn`, and `matches` giving the value's truthiness); returns the count.
pub fn run_conformance_compiled() -> usize {
    let cases = edge_personalize::logic::conformance_cases(CONFORMANCE).expect("suite parses");
    let mut passed = 0;
    for (name, rule, data, expected) in &cases {
        let c = CompiledCondition::new(to_js(rule).expect("rule")).unwrap_or_else(|e| panic!("{name}: threw {e:?}"));
        let d = ConditionData::new(to_js(data).expect("data")).unwrap_or_else(|e| panic!("{name}: threw {e:?}"));
        let plain = back(c.evaluate(to_js(data).expect("data")).unwrap_or_else(|e| panic!("{name}: threw {e:?}")));
        let once = back(c.evaluate_on(&d).unwrap_or_else(|e| panic!("{name}: threw {e:?}")));
        let holds = c.matches(&d).unwrap_or_else(|e| panic!("{name}: threw {e:?}"));
        for (how, got) in [("evaluate", &plain), ("evaluateOn", &once)] {
            assert!(
                edge_personalize::logic::values_equal(got, expected),
                "{name} ({how}): got {}, want {}",
                json::to_json_string(got),
                json::to_json_string(expected)
            );
        }
        assert_eq!(holds, edge_personalize::logic::truthy(expected), "{name} (matches)");
        passed += 1;
    }
    assert_eq!(code_of(CompiledCondition::new(js(r#"{"=~":[1,2]}"#))), "UNKNOWN_OPERATOR");
    assert_eq!(code_of(CompiledCondition::new(js(r#"{"in_cart":[]}"#))), "BAD_ARITY");
    passed
}

pub fn loaded_personalizer() -> Personalizer {
    seeded_personalizer(42)
}

pub fn seeded_personalizer(seed: u32) -> Personalizer {
    let mut p = Personalizer::new(js(&format!(r#"{{"seed": {seed}, "halfLifeSeconds": 1800}}"#))).expect("new");
    p.load_catalog(JsValue::from_str(CATALOG)).expect("catalog");
    p.load_rules(JsValue::from_str(RULES)).expect("rules");
    p
}

/// Browse three items of one category; the decision should follow.
pub fn track_then_decide() {
    let mut p = loaded_personalizer();
    for id in ["shoe-1", "shoe-2", "shoe-3"] {
        let ev = p
            .track(js(&format!(r#"{{"type":"product_view","item":{{"id":"{id}","category":"shoes","brand":"acme","price":80}}}}"#)))
            .expect("track");
        let ev = back(ev);
        assert_eq!(ev.get("id").and_then(Value::as_str).map(str::len), Some(26));
        assert_eq!(ev.get("group").and_then(Value::as_str), Some("treatment"));
    }
    let d = back(p.decide(js(r#"{"slot":"home","k":10}"#)).expect("decide"));
    let items = d.get("items").and_then(Value::as_array).expect("items");
    assert_eq!(items.len(), 10);
    // Viewed shoe-3 just now: its accessories lead (the fixture's accessories rule).
    let first: Vec<&str> = items.iter().take(3).filter_map(|it| it.get("id").and_then(Value::as_str)).collect();
    assert_eq!(first, ["sock-4", "lace-4", "polish-1"], "{}", json::to_json_string(&d));
    assert_eq!(d.get("fallbackUsed"), Some(&Value::Bool(false)));
    let shoes = items
        .iter()
        .filter(|it| it.get("id").and_then(Value::as_str).is_some_and(|id| id.starts_with("shoe-")))
        .count();
    assert!(shoes >= 5, "decision not led by the browsed category: {}", json::to_json_string(&d));
    for it in items {
        assert!(!it.get("reasons").and_then(Value::as_array).expect("reasons").is_empty());
    }
}

/// One failing input per stable error code (except the storage-only ones).
pub fn error_code_cases() -> Vec<(&'static str, Box<dyn Fn() -> String>)> {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    vec![
        ("INVALID_JSON", Box::new(|| code_of(loaded_personalizer().load_rules(JsValue::from_str("{\"rules\": [")))) as Box<dyn Fn() -> String>),
        ("TOO_LARGE", Box::new(|| {
            let id = "x".repeat(500);
            code_of(loaded_personalizer().track(js(&format!(r#"{{"type":"page_view","sessionId":"{id}"}}"#))))
        })),
        ("TOO_DEEP", Box::new(move || code_of(loaded_personalizer().load_rules(JsValue::from_str(&deep))))),
        ("MISSING_FIELD", Box::new(|| code_of(loaded_personalizer().track(js("{}"))))),
        ("WRONG_TYPE", Box::new(|| code_of(loaded_personalizer().track(js(r#"{"type":5}"#))))),
        ("INVALID_VALUE", Box::new(|| code_of(loaded_personalizer().track(js(r#"{"type":"teleport"}"#))))),
        ("BAD_TIMESTAMP", Box::new(|| code_of(loaded_personalizer().track(js(r#"{"type":"page_view","ts":99999999999999}"#))))),
        ("UNKNOWN_OPERATOR", Box::new(|| code_of(eval_condition(js(r#"{"=~":[1,2]}"#), JsValue::NULL)))),
        ("BAD_ARITY", Box::new(|| code_of(eval_condition(js(r#"{"in_cart":[]}"#), JsValue::NULL)))),
        ("STEP_LIMIT", Box::new(|| {
            // Nested maps over a large array: 10^3 · 10^3 steps.
            let big: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
            let arr = format!("[{}]", big.join(","));
            let rule = format!(r#"{{"map":[{arr},{{"map":[{arr},{{"+":[1,1]}}]}}]}}"#);
            code_of(eval_condition(js(&rule), JsValue::NULL))
        })),
        ("SNAPSHOT_CORRUPT", Box::new(|| code_of(loaded_personalizer().restore(b"not a snapshot at all")))),
        ("SNAPSHOT_VERSION", Box::new(|| {
            let p = loaded_personalizer();
            let mut bytes = p.snapshot();
            bytes[3] = 200;
            code_of(loaded_personalizer().restore(&bytes))
        })),
        ("MODEL_CORRUPT", Box::new(|| code_of(loaded_personalizer().load_model(b"definitely not a model")))),
        ("MODEL_VERSION", Box::new(|| {
            let mut bytes = edge_personalize::model::MAGIC.to_vec();
            bytes.extend_from_slice(&(edge_personalize::model::FORMAT_VERSION + 1).to_le_bytes());
            bytes.extend_from_slice(&[0; 64]);
            code_of(loaded_personalizer().load_model(&bytes))
        })),
        ("INVALID_CONFIG", Box::new(|| code_of(Personalizer::new(js(r#"{"halfLifeSeconds":"soon"}"#))))),
        ("DUPLICATE_EVENT", Box::new(|| {
            let mut p = loaded_personalizer();
            p.track(js(r#"{"id":"ev-1","type":"page_view"}"#)).expect("first delivery");
            code_of(p.track(js(r#"{"id":"ev-1","type":"page_view"}"#)))
        })),
    ]
}

/// A deeply nested JS object (not text) is stopped at the boundary.
pub fn deep_js_objects_are_too_deep() {
    let mut v = JsValue::from(1);
    for _ in 0..500 {
        let a = js_sys::Array::new();
        a.push(&v);
        v = a.into();
    }
    assert_eq!(code_of(loaded_personalizer().track(v)), "TOO_DEEP");
}

pub fn every_error_code_is_a_js_error() {
    deep_js_objects_are_too_deep();
    for (want, case) in error_code_cases() {
        assert_eq!(case(), want, "the case for {want}");
    }
    // The engine keeps working after every failure.
    track_then_decide();
}

/// A bad snapshot leaves a fresh, working session behind.
pub fn corrupt_restore_keeps_engine_usable() {
    let mut p = loaded_personalizer();
    p.track(js(r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes"}}"#)).expect("track");
    let mut bytes = p.snapshot();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    let before = p.session_id();
    assert_eq!(code_of(p.restore(&bytes)), "SNAPSHOT_CORRUPT");
    assert_ne!(p.session_id(), before);
    let d = back(p.decide(js(r#"{"slot":"home","k":3}"#)).expect("decide"));
    assert_eq!(d.get("fallbackUsed"), Some(&Value::Bool(true)));
}

pub const MODEL: &[u8] = include_bytes!("../model-fixtures/small.epm");
pub const MODEL_SESSIONS: &str = include_str!("../model-fixtures/small_sessions.txt");
pub const MODEL_TOP20: &str = include_str!("../model-fixtures/small_top20.txt");

/// The model compiled to wasm ranks every fixture session exactly as the
/// native build did when it wrote the fixture: same ids, same f32 bits.
pub fn model_agrees_with_native() -> usize {
    use edge_personalize::model::SessionModel;
    let model = SessionModel::from_bytes(MODEL).expect("fixture model loads");
    let mut top = Vec::new();
    let mut checked = 0;
    for (n, (session, want)) in MODEL_SESSIONS.lines().zip(MODEL_TOP20.lines()).enumerate() {
        let s: Vec<u32> = session.split_whitespace().filter_map(|id| model.item_index(id)).collect();
        top.clear();
        model.recommend(&s, 20, &mut top);
        let got: Vec<String> =
            top.iter().map(|&(i, sc)| format!("{}:{:08x}", model.item_id(i).unwrap_or("?"), sc.to_bits())).collect();
        assert_eq!(got.join(" "), want, "session {n}: {session}");
        checked += 1;
    }
    checked
}

/// `loadModel` plugs the artifact into `decide`: model picks show up with
/// their reason, and a bad artifact keeps the loaded one.
pub fn decide_uses_the_loaded_model() {
    let items: Vec<String> = (1..=400)
        .map(|i| format!(r#"{{"id":"sku-{i}","category":"c{}","price":{}}}"#, i % 7, 10 + i % 50))
        .collect();
    let mut p = Personalizer::new(js(r#"{"seed": 5}"#)).expect("new");
    p.load_catalog(JsValue::from_str(&format!(r#"{{"items":[{}]}}"#, items.join(",")))).expect("catalog");
    let loaded = back(p.load_model(MODEL).expect("model"));
    let version = loaded.get("version").and_then(Value::as_str).expect("version").to_string();
    assert_eq!(code_of(p.load_model(&MODEL[..MODEL.len() / 2])), "MODEL_CORRUPT");
    for id in ["sku-299", "sku-300", "sku-291"] {
        p.track(js(&format!(r#"{{"type":"product_view","item":{{"id":"{id}"}}}}"#))).expect("track");
    }
    let d = back(p.decide(js(r#"{"slot":"home","k":10}"#)).expect("decide"));
    assert_eq!(d.get("modelVersion").and_then(Value::as_str), Some(version.as_str()));
    let text = json::to_json_string(&d);
    assert!(text.contains(r#""model""#), "no item chosen by the model: {text}");
}
