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

// ---------------------------------------------------------------------------
// The hostile-input corpus (tests/hostile/cases.json) through the JS facade.
// Same cases as the native runner (tests/hostile.rs); here the inputs are
// real JS values: JSON.parse'd objects (so `__proto__` is an own key, as a JS
// caller's data has it), real NaN/Infinity numbers and strings with unpaired
// surrogates. After every input: the engine still decides like a reference
// engine fed the same good state, its counters, ring and cart are the
// reference's, and Object.prototype is untouched.

#[path = "../hostile/corpus.rs"]
pub mod hostile_corpus;

use hostile_corpus::{Case, Input, Platform, Sources};

const HOSTILE_HEALTH_REQUESTS: [&str; 2] = [r#"{"slot":"home","k":8}"#, r#"{"slot":"pdp","k":5,"item":"shoe-2"}"#];

fn hostile_now() -> f64 {
    js_sys::Date::now()
}

/// The same good events as the native runner (same ids, so duplicates aim at
/// them, and the same count, so the v1-snapshot case cuts the same bytes),
/// timed relative to the wall clock the facade uses.
fn hostile_good_personalizer(with_events: bool) -> Personalizer {
    let mut p = Personalizer::new(js(r#"{"seed": 11}"#)).expect("new");
    p.load_catalog(JsValue::from_str(CATALOG)).expect("catalog");
    p.load_rules(JsValue::from_str(RULES)).expect("rules");
    p.load_model(MODEL).expect("model");
    if with_events {
        let t0 = hostile_now();
        let events = [
            r#"{"id":"good-1","type":"page_view","ts":TS,"context":{"page":"/"}}"#,
            r#"{"id":"good-2","type":"product_view","ts":TS,"item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
            r#"{"id":"good-3","type":"product_view","ts":TS,"item":{"id":"shoe-3","category":"shoes","brand":"acme","price":80}}"#,
            r#"{"id":"good-4","type":"add_to_cart","ts":TS,"item":{"id":"bag-1","category":"bags","price":120}}"#,
            r#"{"id":"good-5","type":"search","ts":TS,"query":"running shoes"}"#,
        ];
        for (i, e) in events.iter().enumerate() {
            let ts = (t0 - 60_000.0 + i as f64 * 5_000.0).floor();
            p.track(js(&e.replace("TS", &format!("{ts}")))).expect("good event");
        }
    }
    p
}

/// Replaces the corpus markers inside a JSON.parse'd value with what JSON
/// text cannot carry: NaN, ±Infinity, strings with an unpaired surrogate.
fn revive(v: &JsValue) -> JsValue {
    if let Some(s) = v.as_string() {
        return match s.as_str() {
            hostile_corpus::NAN_MARK => JsValue::from_f64(f64::NAN),
            hostile_corpus::INF_MARK => JsValue::from_f64(f64::INFINITY),
            hostile_corpus::NEG_INF_MARK => JsValue::from_f64(f64::NEG_INFINITY),
            _ => match s.strip_prefix(hostile_corpus::LONE_SURROGATE_MARK) {
                Some(prefix) => {
                    let mut units: Vec<u16> = prefix.encode_utf16().collect();
                    units.push(0xD800);
                    js_sys::JsString::from_char_code(&units).into()
                }
                None => v.clone(),
            },
        };
    }
    if js_sys::Array::is_array(v) {
        let a: &js_sys::Array = v.unchecked_ref();
        for i in 0..a.length() {
            a.set(i, revive(&a.get(i)));
        }
    } else if v.is_object() {
        let o: &js_sys::Object = v.unchecked_ref();
        for key in js_sys::Object::keys(o).iter() {
            // The key is an own data property (JSON.parse made it), so this
            // sets its value even for "__proto__".
            let inner = js_sys::Reflect::get(o, &key).expect("own key");
            js_sys::Reflect::set(o, &key, &revive(&inner)).expect("set own key");
        }
    }
    v.clone()
}

/// A corpus value as a JS caller would hold it.
fn hostile_js(v: &Value) -> JsValue {
    let text = json::to_json_string(v);
    let parsed = js_sys::JSON::parse(&text).expect("JSON.parse of a corpus value");
    if text.contains("\\u0001$") {
        revive(&parsed)
    } else {
        parsed
    }
}

/// A JSON text handed to a call that takes a value: JSON.parse'd as a JS
/// caller would; text JS cannot parse gets the core parser's verdict.
fn hostile_js_from_text(text: &str) -> Result<JsValue, String> {
    js_sys::JSON::parse(text).map_err(|_| match json::parse(text) {
        Err(e) => e.code.as_str().to_string(),
        Ok(_) => "INVALID_JSON".to_string(),
    })
}

fn hostile_outcome<T>(r: Result<T, JsValue>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(_) => code_of(r),
    }
}

fn hostile_value_input(input: &Input) -> Result<JsValue, String> {
    match input {
        Input::Value(v) => Ok(hostile_js(v)),
        Input::Text(t) => hostile_js_from_text(t),
        Input::Bytes(_) => Err("a byte input for a value target".into()),
    }
}

/// Rules, catalogs, configs and batches also take JSON text: text goes as a JS string.
fn hostile_value_or_text(input: &Input) -> Result<JsValue, String> {
    match input {
        Input::Text(t) => Ok(JsValue::from_str(t)),
        other => hostile_value_input(other),
    }
}

/// Checks that an accepted event came back with the `properties` it was
/// given as own keys, and with plain prototypes.
fn hostile_check_returned_event(input: &Input, returned: &JsValue) -> Result<(), String> {
    let Input::Value(v) = input else { return Ok(()) };
    let Some(Value::Object(props)) = v.get("properties") else { return Ok(()) };
    let got = js_sys::Reflect::get(returned, &JsValue::from_str("properties")).map_err(|_| "no properties".to_string())?;
    let got_obj: &js_sys::Object = got.unchecked_ref();
    if js_sys::Object::get_prototype_of(&got) != js_sys::Object::get_prototype_of(&js_sys::Object::new()) {
        return Err("the returned properties object has a foreign prototype".into());
    }
    let keys: Vec<String> = js_sys::Object::keys(got_obj).iter().filter_map(|k| k.as_string()).collect();
    for (k, _) in props.iter() {
        if !keys.iter().any(|g| g == k) {
            return Err(format!("the returned event lost its own property {k:?} (has {keys:?})"));
        }
    }
    Ok(())
}

/// Makes the call a case names through the facade; returns its outcome.
fn hostile_call(p: &mut Personalizer, target: &str, input: &Input, only: Option<&[bool]>) -> String {
    let bytes: &[u8] = match input {
        Input::Bytes(b) => b,
        _ => &[],
    };
    let track = |p: &mut Personalizer, ev: JsValue, check: Option<&Input>| -> String {
        match p.track(ev) {
            Ok(returned) => match check.map(|i| hostile_check_returned_event(i, &returned)) {
                Some(Err(why)) => why,
                _ => "ok".to_string(),
            },
            Err(e) => hostile_outcome::<()>(Err(e)),
        }
    };
    let value = match target {
        "restore" => return hostile_outcome(p.restore(bytes)),
        "load_model" => return hostile_outcome(p.load_model(bytes)),
        "load_rules" | "load_catalog" | "config" | "validate_batch" => hostile_value_or_text(input),
        "condition" => Ok(JsValue::NULL),
        _ => hostile_value_input(input),
    };
    let value = match value {
        Ok(v) => v,
        Err(code) => return code,
    };
    match target {
        "track" => track(p, value, Some(input)),
        "track_after_roundtrip" => {
            let snap = p.snapshot();
            if let Err(e) = p.restore(&snap) {
                return format!("roundtrip failed: {e:?}");
            }
            track(p, value, Some(input))
        }
        "track_sequence" => {
            let list: js_sys::Array = value.unchecked_into();
            (0..list.length())
                .filter(|i| only.is_none_or(|o| o.get(*i as usize).copied().unwrap_or(false)))
                .map(|i| track(p, list.get(i), None))
                .collect::<Vec<_>>()
                .join(",")
        }
        "validate_batch" => match edge_personalize::wasm::validate_events(value, hostile_now(), Some(0.5)) {
            Err(e) => hostile_outcome::<()>(Err(e)),
            Ok(results) => back(results)
                .as_array()
                .unwrap_or(&[])
                .iter()
                .map(|r| match r.get("ok") {
                    Some(Value::Bool(true)) => "ok".to_string(),
                    _ => r.get("error").and_then(|e| e.get("code")).and_then(Value::as_str).unwrap_or("?").to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        },
        "load_rules" => hostile_outcome(p.load_rules(value)),
        "load_catalog" => hostile_outcome(p.load_catalog(value)),
        "decide" => hostile_outcome(p.decide(value)),
        "config" => hostile_outcome(Personalizer::new(value)),
        "condition" => {
            let Input::Value(v) = input else { return "a condition case takes an input {rule, data}".into() };
            let rule = hostile_js(v.get("rule").unwrap_or(&Value::Null));
            let data = hostile_js(v.get("data").unwrap_or(&Value::Null));
            match eval_condition(rule, data) {
                Err(e) => hostile_outcome::<()>(Err(e)),
                // What comes back must be what the core computed: compare
                // with the core's own evaluation of the same JSON.
                Ok(got) => {
                    let want = edge_personalize::logic::eval_json(
                        v.get("rule").unwrap_or(&Value::Null),
                        v.get("data").unwrap_or(&Value::Null),
                    );
                    match (got.as_f64(), &want) {
                        // JsonLogic arithmetic gives NaN/Infinity as in JS
                        // (json-logic-js does the same); they come back as JS numbers.
                        (Some(g), Ok(Value::Number(w))) if !w.is_finite() => {
                            return if g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()) {
                                "ok".to_string()
                            } else {
                                format!("evalCondition returned {g}, the core computes {w}")
                            };
                        }
                        _ => {}
                    }
                    match (from_js(got, ""), want) {
                        (Ok(g), Ok(w)) if edge_personalize::logic::values_equal(&g, &w) => "ok".to_string(),
                        (g, w) => format!("evalCondition returned {:?}, the core computes {:?}", g.map(|g| json::to_json_string(&g)), w.map(|w| json::to_json_string(&w))),
                    }
                }
            }
        }
        "outbox_enqueue" => {
            let mut ob = edge_personalize::wasm::Outbox::new(JsValue::UNDEFINED).expect("outbox");
            let Input::Value(Value::Array(list)) = input else { return "outbox cases list events".into() };
            list.iter()
                .map(|ev| {
                    let text = match ev {
                        Value::String(s) => s.clone(),
                        other => json::to_json_string(other),
                    };
                    match ob.enqueue(&text, false, Some(hostile_now())) {
                        Ok(r) if back(r.clone()).get("duplicate") == Some(&Value::Bool(true)) => "duplicate".to_string(),
                        Ok(_) => "ok".to_string(),
                        Err(e) => hostile_outcome::<()>(Err(e)),
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        }
        other => format!("unknown target {other}"),
    }
}

fn hostile_mutates(target: &str) -> bool {
    matches!(target, "restore" | "load_model" | "track" | "track_after_roundtrip" | "track_sequence" | "load_rules" | "load_catalog")
}

/// What the health check compares. Decisions are compared on item ids,
/// reasons, fired rules and the fallback flag; scores are checked finite but
/// not compared, because the facade reads the wall clock and the two engines
/// decide a few milliseconds apart (affinities decay in between).
fn hostile_observe(p: &mut Personalizer) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for request in HOSTILE_HEALTH_REQUESTS {
        let d = back(p.decide(js(request)).map_err(|e| format!("decide({request}) failed: {e:?}"))?);
        let items = d.get("items").and_then(Value::as_array).unwrap_or(&[]);
        if items.is_empty() {
            return Err(format!("decide({request}) returned no items"));
        }
        let mut key = Vec::new();
        for it in items {
            if !it.get("score").and_then(Value::as_f64).is_some_and(f64::is_finite) {
                return Err(format!("decide({request}): a score is not a finite number"));
            }
            key.push(format!(
                "{} {}",
                it.get("id").and_then(Value::as_str).unwrap_or("?"),
                it.get("reasons").map(json::to_json_string).unwrap_or_default()
            ));
        }
        out.push(format!(
            "decide({request}): {} rules {} fallback {}",
            key.join(" | "),
            d.get("rulesFired").map(json::to_json_string).unwrap_or_default(),
            d.get("fallbackUsed").map(json::to_json_string).unwrap_or_default()
        ));
    }
    let state = back(p.state().map_err(|e| format!("state failed: {e:?}"))?);
    out.push(format!("counters {}", state.get("counters").map(json::to_json_string).unwrap_or_default()));
    out.push(format!("cart {}", state.get("cart").map(json::to_json_string).unwrap_or_default()));
    let ring: Vec<String> = state
        .get("recent")
        .and_then(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .map(|i| format!("{}:{}", i.get("item").and_then(Value::as_str).unwrap_or("?"), i.get("type").and_then(Value::as_str).unwrap_or("?")))
        .collect();
    out.push(format!("ring {}", ring.join(" ")));
    Ok(out)
}

/// Own property names of Object.prototype, to see that nothing was added.
fn object_prototype_keys() -> u32 {
    js_sys::Object::get_own_property_names(&js_sys::Object::get_prototype_of(&js_sys::Object::new())).length()
}

fn hostile_run_input(case: &Case, input: &Input, proto_keys: u32) -> Result<(), String> {
    let mut engine = hostile_good_personalizer(true);
    let got = hostile_call(&mut engine, &case.target, input, None);
    if got != case.expect {
        return Err(format!("outcome {got}, expected {}", case.expect));
    }
    let polluted = js_sys::Reflect::get(&js_sys::Object::new(), &JsValue::from_str("polluted")).unwrap_or(JsValue::NULL);
    if !polluted.is_undefined() || object_prototype_keys() != proto_keys {
        return Err("Object.prototype was polluted".into());
    }
    let failed_restore = case.target == "restore" && case.expect != "ok";
    let mut reference = hostile_good_personalizer(!failed_restore);
    if hostile_mutates(&case.target) && case.expect.split(',').any(|o| o == "ok") {
        let accepted: Vec<bool> = case.expect.split(',').map(|o| o == "ok").collect();
        let replay = hostile_call(&mut reference, &case.target, input, Some(&accepted));
        if !replay.split(',').all(|o| o == "ok") {
            return Err(format!("the reference refused the accepted parts: {replay}"));
        }
    }
    let (mine, want) = (hostile_observe(&mut engine)?, hostile_observe(&mut reference)?);
    if let Some((g, w)) = mine.iter().zip(&want).find(|(g, w)| g != w) {
        return Err(format!("after the case:\n  got  {g}\n  want {w}"));
    }
    Ok(())
}

pub fn hostile_cases() -> Vec<Case> {
    let snapshot = hostile_good_personalizer(true).snapshot();
    hostile_corpus::load(Platform::Wasm, &Sources { snapshot: &snapshot, model: MODEL, now_ms: hostile_now() })
        .expect("cases.json loads")
}

/// Runs the cases `pick` selects; returns (cases, inputs) run. Panics with
/// every failure listed.
pub fn run_hostile(env: &str, pick: impl Fn(&Case) -> bool) -> (usize, usize) {
    let cases: Vec<Case> = hostile_cases().into_iter().filter(|c| pick(c)).collect();
    let proto_keys = object_prototype_keys();
    let mut failures = Vec::new();
    let mut inputs = 0;
    for case in &cases {
        for (i, input) in case.inputs.iter().enumerate() {
            inputs += 1;
            if let Err(why) = hostile_run_input(case, input, proto_keys) {
                failures.push(format!("[{}] {} (input {i} of {}): {why}", case.class, case.name, case.inputs.len()));
            }
        }
    }
    assert!(failures.is_empty(), "{env}: {} hostile inputs failed:\n{}", failures.len(), failures.join("\n"));
    (cases.len(), inputs)
}

/// The corpus's counts, checked against the required classes; printed.
pub fn hostile_counts(env: &str) -> (usize, usize, usize) {
    let cases = hostile_cases();
    hostile_corpus::check_coverage(&cases).expect("every required class has cases");
    let counts = hostile_corpus::counts(&cases);
    wasm_bindgen_test::console_log!("hostile {env}: {} cases, {} inputs, {} classes", counts.0, counts.1, counts.2);
    counts
}

/// The runner can fail: a wrong expected code, or "ok" for an input that
/// must be refused, is reported for every refusing single-input case.
pub fn hostile_runner_fails_on_wrong_codes() -> usize {
    let proto_keys = object_prototype_keys();
    let mut checked = 0;
    for case in hostile_cases().iter().filter(|c| !c.expect.contains("ok") && !c.expect.contains(',') && c.inputs.len() == 1) {
        let mut wrong = case.clone();
        wrong.expect = if case.expect == "INVALID_VALUE" { "WRONG_TYPE".into() } else { "INVALID_VALUE".into() };
        let input = wrong.inputs.first().expect("an input");
        assert!(hostile_run_input(&wrong, input, proto_keys).is_err(), "{} passed with a wrong code", case.name);
        wrong.expect = "ok".into();
        assert!(hostile_run_input(&wrong, input, proto_keys).is_err(), "{} passed as accepted", case.name);
        checked += 1;
    }
    checked
}

/// The hostile-corpus tests, one per class (the corrupt-bytes sweeps split in
/// four: about 3,000 inputs) so each stays well within the runner's per-test
/// timeout (60 s; each takes under 15 s on a loaded 2-core machine); `$env` names the
/// environment in the output.
macro_rules! hostile_tests {
    ($env:literal) => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn hostile_corpus_counts() {
            let (cases, inputs, classes) = hostile_counts($env);
            assert_eq!(classes, hostile_corpus::REQUIRED_CLASSES.len());
            assert!(cases >= 150 && inputs > cases, "{cases} cases, {inputs} inputs");
        }

        #[wasm_bindgen_test::wasm_bindgen_test]
        fn hostile_runner_can_fail() {
            let n = hostile_runner_fails_on_wrong_codes();
            assert!(n > 50, "only {n} refusing cases");
        }

        hostile_tests!(@class $env, hostile_deep_json, |c| c.class == "deep_json");
        hostile_tests!(@class $env, hostile_huge, |c| c.class == "huge");
        hostile_tests!(@class $env, hostile_non_finite, |c| c.class == "non_finite");
        hostile_tests!(@class $env, hostile_timestamps, |c| c.class == "timestamps");
        hostile_tests!(@class $env, hostile_duplicate_ids, |c| c.class == "duplicate_ids");
        hostile_tests!(@class $env, hostile_unicode, |c| c.class == "unicode");
        hostile_tests!(@class $env, hostile_prototype_keys, |c| c.class == "prototype_keys");
        hostile_tests!(@class $env, hostile_runaway_rules, |c| c.class == "runaway_rules");
        hostile_tests!(@class $env, hostile_corrupt_snapshot_flips, |c| c.class == "corrupt_bytes" && c.target == "restore" && c.name.contains("flip"));
        hostile_tests!(@class $env, hostile_corrupt_snapshot_cuts, |c| c.class == "corrupt_bytes" && c.target == "restore" && !c.name.contains("flip"));
        hostile_tests!(@class $env, hostile_corrupt_model_flips, |c| c.class == "corrupt_bytes" && c.target == "load_model" && c.name.contains("flip"));
        hostile_tests!(@class $env, hostile_corrupt_model_cuts, |c| c.class == "corrupt_bytes" && c.target == "load_model" && !c.name.contains("flip"));
        hostile_tests!(@class $env, hostile_wrong_version, |c| c.class == "wrong_version");
    };
    (@class $env:literal, $name:ident, $pick:expr) => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn $name() {
            let pick: fn(&hostile_corpus::Case) -> bool = $pick;
            let (cases, inputs) = run_hostile($env, pick);
            assert!(cases > 0, "no case selected");
            wasm_bindgen_test::console_log!("{} {}: {cases} cases, {inputs} inputs passed", stringify!($name), $env);
        }
    };
}

/// A Personalizer made without a seed draws it from `crypto.getRandomValues`:
/// with the host's generator swapped for a constant one, two new engines mint
/// session ids with the same random part (the last 16 of 26 characters; the
/// first 10 are the clock), so the seed came from there, not from `Math.random`;
/// with the real one back, the random parts differ.
pub fn unseeded_engines_seed_from_crypto() {
    let swap = js_sys::Function::new_no_args(
        "const c = globalThis.crypto; const real = c.getRandomValues; \
         c.getRandomValues = (words) => words.fill(7); \
         return () => { c.getRandomValues = real; };",
    );
    let restore: js_sys::Function = swap.call0(&JsValue::NULL).expect("swap crypto").unchecked_into();
    let random_part = |id: String| id.get(10..).map(str::to_owned).expect("a 26-character id");
    let first = random_part(Personalizer::new(js("{}")).expect("new").session_id());
    let second = random_part(Personalizer::new(js("{}")).expect("new").session_id());
    restore.call0(&JsValue::NULL).expect("restore crypto");
    assert_eq!(first, second, "a constant CSPRNG gives a constant seed");
    let third = random_part(Personalizer::new(js("{}")).expect("new").session_id());
    let fourth = random_part(Personalizer::new(js("{}")).expect("new").session_id());
    assert_ne!(third, fourth);
    assert_ne!(third, first);
}
