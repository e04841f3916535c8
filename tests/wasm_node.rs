//! The facade in Node (wasm-bindgen-test's default environment).
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod wasm_common;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;
use edge_personalize::json::{self, Value};
use wasm_common::*;

#[wasm_bindgen_test]
fn jsonlogic_baseline_passes_in_node() {
    assert_eq!(run_conformance(), 278);
    wasm_bindgen_test::console_log!("jsonlogic conformance in Node wasm: 278/278");
}

#[wasm_bindgen_test]
fn compiled_conditions_pass_the_baseline_in_node() {
    assert_eq!(run_conformance_compiled(), 278);
}

#[wasm_bindgen_test]
fn track_then_decide_in_node() {
    track_then_decide();
}

#[wasm_bindgen_test]
fn every_error_code_surfaces_as_a_js_error_in_node() {
    every_error_code_is_a_js_error();
    // Node has no localStorage: the storage adapter says so with NOT_FOUND.
    let p = loaded_personalizer();
    assert_eq!(code_of(p.save_to_storage("ep")), "NOT_FOUND");
}

#[wasm_bindgen_test]
fn corrupt_restore_keeps_the_engine_usable_in_node() {
    corrupt_restore_keeps_engine_usable();
}

#[wasm_bindgen_test]
fn error_codes_cover_every_case() {
    let listed: Vec<String> = edge_personalize::wasm::error_codes().iter().filter_map(JsValue::as_string).collect();
    let mut tested: Vec<&str> = error_code_cases().iter().map(|c| c.0).collect();
    tested.push("NOT_FOUND");
    for code in &listed {
        assert!(tested.contains(&code.as_str()), "no wasm test for error code {code}");
    }
}

#[wasm_bindgen_test]
fn model_ranks_like_native_in_node() {
    let n = model_agrees_with_native();
    assert_eq!(n, 300);
    wasm_bindgen_test::console_log!("model agreement in node wasm: {n}/300 sessions, top 20 bit for bit");
}

#[wasm_bindgen_test]
fn decide_uses_the_loaded_model_in_node() {
    decide_uses_the_loaded_model();
}

/// The wasm build formats and parses numbers through the host (`String(n)`,
/// `parseFloat`) instead of core's float code. Both must agree with core bit
/// for bit: the shortest digits that round-trip, and correctly rounded parsing.
#[wasm_bindgen_test]
fn host_number_text_matches_core_bit_for_bit() {
    use edge_personalize::json::{number_text, parse_decimal};
    let mut rng = fastrand::Rng::with_seed(11);
    let (mut checked, mut ties) = (0, 0);
    for i in 0..20_000 {
        let n = match i % 3 {
            0 => f64::from_bits(rng.u64(..)),
            1 => f64::from(rng.u32(..)) / 100.0,
            _ => rng.f64() * 10f64.powi(rng.i32(-30..30)),
        };
        if !n.is_finite() || n == 0.0 {
            continue;
        }
        let text = number_text(n);
        // Round trip through core's parser and through ours.
        assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(n.to_bits()), "{n:e} -> {text}");
        assert_eq!(parse_decimal(&text).map(f64::to_bits), Some(n.to_bits()), "{text}");
        // Shortest: as many significant digits as core's `{:e}`, and the same
        // ones except where two shortest candidates are exactly as close to n:
        // ECMAScript then takes the even last digit, core rounds half up
        // (2110819655532947.25 is "2110819655532947.2" in JS, "...47.3" in core).
        let core = format!("{:e}", n.abs());
        let core_digits: String = core.split('e').next().unwrap_or("").chars().filter(char::is_ascii_digit).collect();
        let core_digits = core_digits.trim_end_matches('0');
        let mantissa = text.split('e').next().unwrap_or("");
        let ours: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let ours = ours.trim_start_matches('0').trim_end_matches('0');
        assert_eq!(ours.len(), core_digits.len(), "{n:e} -> {text}");
        if ours != core_digits {
            ties += 1;
            let last = ours.bytes().last().unwrap_or(b'1');
            assert!(last % 2 == 0, "{n:e} -> {text}: differs from core without being the even tie");
            assert_eq!(ours.get(..ours.len() - 1), core_digits.get(..core_digits.len() - 1), "{n:e} -> {text}");
        }
        checked += 1;
    }
    assert!(checked > 15_000);
    assert!(ties < checked / 100, "{ties} ties of {checked}");
    for (n, want) in [(1e21, "1e+21"), (1e-7, "1e-7"), (1.2345e-7, "1.2345e-7"), (0.000001, "0.000001"), (-2.5, "-2.5")] {
        assert_eq!(number_text(n), want);
    }
}

#[wasm_bindgen_test]
fn host_parse_decimal_matches_core_bit_for_bit() {
    use edge_personalize::json::parse_decimal;
    let mut rng = fastrand::Rng::with_seed(12);
    for _ in 0..20_000 {
        let mut s = String::new();
        if rng.bool() {
            s.push('-');
        }
        let digits = rng.usize(1..=30);
        let point = rng.usize(0..=digits);
        for i in 0..digits {
            if i == point && i > 0 {
                s.push('.');
            }
            s.push(char::from(b'0' + rng.u8(0..10)));
        }
        if rng.bool() {
            s.push('e');
            s.push_str(&rng.i32(-340..330).to_string());
        }
        assert_eq!(parse_decimal(&s).map(f64::to_bits), s.parse::<f64>().ok().map(f64::to_bits), "{s}");
    }
    for bad in ["", ".", "-", "1e", "Infinity", "1x", "NaN", "inf"] {
        assert_eq!(parse_decimal(bad), None, "{bad:?}");
    }
}

// The hostile-input corpus (tests/hostile/cases.json), class by class.
hostile_tests!("node");

/// Values cross the boundary through serde-wasm-bindgen: what it accepts, what
/// the facade refuses (with which code), and that a value comes back out
/// unchanged, `__proto__` included.
#[wasm_bindgen_test]
fn js_values_convert_like_json() {
    use edge_personalize::json;
    use edge_personalize::wasm::interop::{from_js, to_js};
    let build = |body: &str| js_sys::Function::new_no_args(body).call0(&JsValue::NULL).expect("test JS");
    let stringify = |v: &JsValue| js_sys::JSON::stringify(v).map(String::from).unwrap_or_default();

    let text = r#"{"a":[1,2.5,-0.125,true,null,"é\n",{"b":{}}],"c":"x","__proto__":{"d":1}}"#;
    let v = from_js(js_sys::JSON::parse(text).expect("JSON"), "").expect("plain JSON converts");
    assert_eq!(v, json::parse(text).expect("JSON"));
    assert_eq!(stringify(&to_js(&v).expect("back")), text);

    // undefined (property or hole) is null; safe BigInts and Maps with string keys convert.
    let v = from_js(build("return {u: undefined, h: [1,,3], n: 5n, m: new Map([['k', 2]])}"), "").expect("converts");
    assert_eq!(v, json::parse(r#"{"u":null,"h":[1,null,3],"n":5,"m":{"k":2}}"#).expect("JSON"));

    for (body, code) in [
        ("return NaN", "INVALID_JSON"),
        ("return [-Infinity]", "INVALID_JSON"),
        ("return {f() {}}", "WRONG_TYPE"),
        ("return Symbol('s')", "WRONG_TYPE"),
        ("return new Uint8Array(2)", "WRONG_TYPE"),
        ("return new ArrayBuffer(2)", "WRONG_TYPE"),
        ("return new Set([1])", "WRONG_TYPE"),
        ("return new Map([[1, 2]])", "WRONG_TYPE"),
        ("return 2n ** 70n", "WRONG_TYPE"),
        ("const o = {}; o.self = o; return o", "TOO_DEEP"),
        ("let a = []; for (let i = 0; i < 1000; i++) a = [a]; return a", "TOO_DEEP"),
    ] {
        assert_eq!(code_of(from_js(build(body), "x")), code, "{body}");
    }
}

/// `evalCondition` converts only what the condition can read: on every
/// value the whole conversion accepts it answers as the whole conversion
/// would (odd objects included), and a bad value it never reads no longer
/// fails the call, while one it reads still does.
#[wasm_bindgen_test]
fn eval_condition_reads_only_what_the_condition_reads() {
    use edge_personalize::json;
    use edge_personalize::logic::eval_json;
    use edge_personalize::wasm::eval_condition;
    use edge_personalize::wasm::interop::{from_js, to_js};
    let build = |body: &str| js_sys::Function::new_no_args(body).call0(&JsValue::NULL).expect("test JS");
    let data = build(
        "const d = {n: 1, s: 'x', m: new Map([['k', 2]]), inst: new (class { constructor() { this.x = 3 } })(), \
         bare: Object.assign(Object.create(null), {x: 4}), inherits: Object.create({x: 5}), \
         get g() { return {x: 6} }, proto: JSON.parse('{\"__proto__\": {\"x\": 7}}'), \
         list: [1, , {x: 8, y: [9]}, new Map([['x', 10]])], big: []}; \
         d.big[20000] = {x: 11}; Object.defineProperty(d, 'hidden', {value: 12, enumerable: false}); return d",
    );
    let whole = from_js(data.clone(), "data").expect("the whole data converts");
    let rules = [
        r#"{"var":"n"}"#, r#"{"var":"s.length"}"#, r#"{"var":"m.k"}"#, r#"{"var":"m"}"#, r#"{"var":"inst.x"}"#,
        r#"{"var":"bare.x"}"#, r#"{"var":"inherits.x"}"#, r#"{"var":"g.x"}"#, r#"{"var":"proto.__proto__.x"}"#,
        r#"{"var":"list.1"}"#, r#"{"var":"list.2.y.0"}"#, r#"{"var":"list.3.x"}"#, r#"{"var":"list.length"}"#,
        r#"{"var":"big.20000.x"}"#, r#"{"var":"hidden"}"#, r#"{"var":"toString"}"#, r#"{"var":"nope.x"}"#,
        r#"{"map":[{"var":"list"},{"var":"x"}]}"#, r#"{"some":[{"var":"list"},{"==":[{"var":"x"},8]}]}"#,
        r#"{"filter":[{"var":"list"},{"var":"x"}]}"#, r#"{"reduce":[{"var":"list"},{"cat":[{"var":"accumulator"},{"var":"current.x"}]},""]}"#,
        r#"{"var":""}"#, r#"{"missing":["n","zz"]}"#,
    ];
    for rule in rules {
        let rule_v = json::parse(rule).expect("rule");
        let want = eval_json(&rule_v, &whole).map(|v| json::to_json_string(&v)).map_err(|e| e.code.as_str().to_string());
        let got = eval_condition(to_js(&rule_v).expect("rule to JS"), data.clone())
            .map(|v| json::to_json_string(&back(v)))
            .map_err(|e| code_of::<()>(Err(e)));
        assert_eq!(got, want, "{rule}");
    }
    let bad = build("return {ok: {x: 1}, nan: NaN, f() {}}");
    let x = eval_condition(js(r#"{"var":"ok.x"}"#), bad.clone()).map(back);
    assert_eq!(x.ok(), Some(json::Value::Number(1.0)));
    assert_eq!(code_of(eval_condition(js(r#"{"var":"nan"}"#), bad.clone())), "INVALID_JSON");
    assert_eq!(code_of(eval_condition(js(r#"{"var":"f"}"#), bad.clone())), "WRONG_TYPE");
    assert_eq!(code_of(eval_condition(js(r#"{"var":""}"#), bad)), "INVALID_JSON");
}

/// The shipped allocator (src/wasm/alloc.rs, size classes with free lists):
/// blocks never overlap, contents survive reallocation, every alignment is
/// honoured, and a repeated workload reuses freed blocks instead of growing
/// linear memory.
#[wasm_bindgen_test]
fn allocator_reuses_blocks_and_keeps_contents() {
    use wasm_bindgen::JsCast;
    let memory_bytes = || wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length();
    let mut after_first_round = 0;
    for round in 0..8 {
        // The same workload every round: after the first, every request finds
        // a freed block of its class.
        let mut rng = fastrand::Rng::with_seed(5);
        // Each block with the byte it was filled with: a block that another
        // allocation overlapped and refilled entirely is caught too.
        let mut held: Vec<(u8, Vec<u8>)> = Vec::new();
        for i in 0..3000usize {
            let len = match i % 10 {
                0 => rng.usize(4096..70_000),
                1..=3 => rng.usize(100..2048),
                _ => rng.usize(0..100),
            };
            let mut v = vec![(i % 251) as u8; len];
            if i % 7 == 0 {
                v.extend(std::iter::repeat_n((i % 251) as u8, rng.usize(0..5000)));
            }
            held.push(((i % 251) as u8, v));
            if i % 3 == 0 {
                // Free some early, so lists fill and refill within the round.
                let victim = rng.usize(0..held.len());
                held.swap_remove(victim);
            }
        }
        for (want, v) in &held {
            assert!(v.iter().all(|b| b == want), "a block was overwritten by another");
        }
        let aligned: Vec<Box<[u128; 3]>> = (0..100).map(|i| Box::new([i as u128; 3])).collect();
        assert!(aligned.iter().all(|b| (b.as_ptr() as usize) % std::mem::align_of::<u128>() == 0));
        drop(held);
        drop(aligned);
        if round == 0 {
            after_first_round = memory_bytes();
        }
    }
    assert_eq!(memory_bytes(), after_first_round, "linear memory grew although every round frees what it took");
}

#[wasm_bindgen_test]
fn unseeded_engines_seed_from_crypto_in_node() {
    unseeded_engines_seed_from_crypto();
}

/// The event `track` returns to JS is serialized straight from the stored
/// event; it must be `Event::to_value` exactly (fields, order, numbers), as
/// the native engine stores the same events: every optional field,
/// properties, item lists with quantities, and a `__proto__` property key
/// (which takes `to_js`'s detour).
#[wasm_bindgen_test]
fn track_returns_the_stored_event_in_node() {
    use edge_personalize::engine::{Config, Engine};
    use edge_personalize::json;
    let now = js_sys::Date::now();
    let config = r#"{"seed":11,"sessionId":"s-track"}"#;
    let mut p = edge_personalize::wasm::Personalizer::new(js(config)).expect("personalizer");
    let mut native = Engine::new(Config::from_value(&json::parse(config).expect("config")).expect("config"), now);
    let events = [
        r#"{"id":"e1","type":"product_view","ts":TS,"userId":"u-1","decisionId":"d-9","item":{"id":"a","category":"c","brand":"b","price":9.5},"context":{"page":"/p/a","slot":"pdp","device":"mobile"},"properties":{"z":"y","n":-0.25,"t":true,"u":null}}"#,
        r#"{"id":"e2","type":"add_to_cart","ts":TS,"item":{"id":"a","quantity":3}}"#,
        r#"{"id":"e3","type":"purchase","ts":TS,"items":[{"id":"a","quantity":2,"price":1e21},{"id":"b"}],"context":{"device":"desktop"}}"#,
        r#"{"id":"e4","type":"search","ts":TS,"query":"red shoes"}"#,
        r#"{"id":"e5","type":"custom","ts":TS,"name":"quiz","properties":{"__proto__":"p","k":"v"}}"#,
        r#"{"id":"e6","type":"page_view","ts":TS,"receivedAt":TS,"country":"DE","colo":"FRA","group":"holdout","sessionId":"s-other"}"#,
        r#"{"type":"impression","ts":TS,"decisionId":"d-1","items":[{"id":"x"}],"context":{"slot":"home"}}"#,
    ];
    for text in events {
        let text = text.replace("TS", &format!("{}", now - 1000.0));
        let wasm_side = p.track(js(&text)).map(|v| json::to_json_string(&back(v)));
        let native_side = native.track(&json::parse(&text).expect("event"), now).map(|e| json::to_json_string(&e.to_value()));
        match (wasm_side, native_side) {
            (Ok(w), Ok(n)) if text.contains(r#""id":"e"#) => assert_eq!(w, n, "{text}"),
            // A generated id carries the clock: compare all but the id.
            (Ok(w), Ok(n)) => assert_eq!(w.split_once(',').map(|x| x.1), n.split_once(',').map(|x| x.1), "{text}"),
            (w, n) => panic!("{text}: wasm {:?}, native {:?}", w.map_err(|_| ()), n),
        }
    }
}

/// `trackMany` is `track` event by event: the same events counted (equal
/// snapshots), and at each failing position the error `track` threw (code,
/// path, message); a batch that is not an array is WRONG_TYPE and tracks nothing.
#[wasm_bindgen_test]
fn track_many_tracks_as_track_does_in_node() {
    use wasm_bindgen::JsCast;
    let now = js_sys::Date::now();
    let config = r#"{"seed":5,"sessionId":"s-many"}"#;
    let events = [
        r#"{"id":"m1","type":"product_view","ts":TS,"item":{"id":"a","category":"c","price":3}}"#,
        r#"{"id":"m2","type":"add_to_cart","ts":TS,"item":{"id":"a","quantity":2}}"#,
        r#"{"id":"m1","type":"page_view","ts":TS}"#,
        r#"{"id":"m3","type":"teleport","ts":TS}"#,
        r#"{"id":"m4","type":"product_view","ts":TS,"item":{"id":5}}"#,
        r#""not an event""#,
        r#"{"id":"m5","type":"purchase","ts":TS,"items":[{"id":"a","quantity":2}],"colour":"red"}"#,
        r#"{"id":"m6","type":"purchase","ts":TS,"items":[{"id":"a","quantity":2}]}"#,
    ]
    .map(|e| js(&e.replace("TS", &format!("{}", now - 500.0))));
    let describe = |e: &JsValue| -> String {
        let get = |k: &str| js_sys::Reflect::get(e, &JsValue::from_str(k)).ok().and_then(|v| v.as_string()).unwrap_or_default();
        assert!(e.is_instance_of::<js_sys::Error>(), "not a JS Error: {e:?}");
        format!("{} at {:?}: {}", get("code"), get("path"), get("message"))
    };
    let mut one_by_one = edge_personalize::wasm::Personalizer::new(js(config)).expect("personalizer");
    let mut batched = edge_personalize::wasm::Personalizer::new(js(config)).expect("personalizer");
    // The same session (its start time is in the snapshot), so the snapshots compare.
    batched.restore(&one_by_one.snapshot()).expect("restore");
    let expected: Vec<Option<String>> = events.iter().map(|e| one_by_one.track(e.clone()).err().map(|e| describe(&e))).collect();
    let list: js_sys::Array = events.iter().collect();
    let outcomes = batched.track_many(list.into()).expect("an array");
    let got: Vec<Option<String>> = outcomes.iter().map(|o| if o.is_null() { None } else { Some(describe(&o)) }).collect();
    assert_eq!(got, expected);
    assert_eq!(expected.iter().filter(|o| o.is_none()).count(), 3, "three events tracked: {expected:?}");
    assert_eq!(batched.snapshot(), one_by_one.snapshot());
    assert_eq!(code_of(batched.track_many(js(r#"{"type":"page_view"}"#))), "WRONG_TYPE");
    assert_eq!(batched.snapshot(), one_by_one.snapshot(), "a refused batch tracks nothing");
}

/// The decision JS receives is serialized straight from the core's
/// `Decision`; it keeps `Decision::to_value`'s fields, order and rounding,
/// with `ruleErrors` only when a rule failed and `modelVersion` null without a model.
#[wasm_bindgen_test]
fn decide_returns_the_documented_fields_in_node() {
    let mut p = loaded_personalizer();
    p.track(js(r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"acme","price":80}}"#)).expect("track");
    let keys = |v: &edge_personalize::Value| -> Vec<String> { v.as_object().map(|o| o.keys().map(str::to_string).collect()).unwrap_or_default() };
    let d = back(p.decide(js(r#"{"slot":"home","k":4}"#)).expect("decide"));
    assert_eq!(keys(&d), ["decisionId", "slot", "items", "rulesFired", "fallbackUsed", "group", "modelVersion"]);
    assert_eq!(d.get("modelVersion"), Some(&edge_personalize::Value::Null));
    let items = d.get("items").and_then(edge_personalize::Value::as_array).expect("items");
    assert_eq!(items.len(), 4);
    for it in items {
        assert_eq!(keys(it), ["id", "score", "reasons"]);
        let score = it.get("score").and_then(edge_personalize::Value::as_f64).expect("a number");
        assert_eq!(score, (score * 1e4).round() / 1e4, "four decimals");
    }
    let big: Vec<String> = (0..2000).map(|i| i.to_string()).collect();
    let arr = format!("[{}]", big.join(","));
    let rules = format!(
        r#"{{"rules":[{{"id":"bomb","condition":{{"some":[{arr},{{"some":[{arr},{{"==":[{{"var":""}},-1]}}]}}]}},"action":{{"type":"exclude"}}}}]}}"#
    );
    p.load_rules(JsValue::from_str(&rules)).expect("rules");
    let d = back(p.decide(js(r#"{"slot":"home","k":4}"#)).expect("decide"));
    assert_eq!(keys(&d), ["decisionId", "slot", "items", "rulesFired", "ruleErrors", "fallbackUsed", "group", "modelVersion"]);
    let errors = d.get("ruleErrors").and_then(edge_personalize::Value::as_array).expect("ruleErrors");
    assert_eq!(errors.len(), 1);
    assert_eq!(keys(&errors[0]), ["rule", "code", "message"]);
    assert_eq!(errors[0].get("code").and_then(edge_personalize::Value::as_str), Some("STEP_LIMIT"));
}

/// One shopper twice: the wasm facade and the native engine, given the same
/// loads and events, so a test can compare what they decide.
struct WasmAndNative {
    wasm: edge_personalize::wasm::Personalizer,
    native: edge_personalize::engine::Engine,
    /// When both were made: tests place event times before it.
    t0: f64,
}

impl WasmAndNative {
    fn new(config: &str) -> Self {
        use edge_personalize::engine::{Config, Engine};
        let wasm = edge_personalize::wasm::Personalizer::new(js(config)).expect("personalizer");
        let t0 = js_sys::Date::now();
        let native = Engine::new(Config::from_value(&json::parse(config).expect("config")).expect("config"), t0);
        WasmAndNative { wasm, native, t0 }
    }
    fn load_catalog(&mut self, text: &str) {
        self.wasm.load_catalog(JsValue::from_str(text)).expect("catalog");
        self.native.load_catalog(&json::parse(text).expect("catalog")).expect("catalog");
    }
    fn load_rules(&mut self, text: &str) {
        self.wasm.load_rules(JsValue::from_str(text)).expect("rules");
        self.native.load_rules(&json::parse(text).expect("rules")).expect("rules");
    }
    fn track(&mut self, event: &str) {
        self.wasm.track(js(event)).expect("track");
        self.native.track(&json::parse(event).expect("event"), js_sys::Date::now()).expect("track");
    }
    /// (wasm's decision, native's decision), as values.
    fn decide(&mut self, request: &str) -> (Value, Value) {
        let wasm_side = back(self.wasm.decide(js(request)).expect("decide"));
        let native_side = self.native.decide(&json::parse(request).expect("request"), js_sys::Date::now()).expect("decide").to_value();
        (wasm_side, native_side)
    }
}

/// Each decided item as "id reasons" (JSON texts).
fn item_texts(d: &Value) -> Vec<String> {
    d.get("items").and_then(Value::as_array).map_or_else(Vec::new, |items| {
        items.iter().map(|it| format!("{} {}", it.get("id").map(json::to_json_string).unwrap_or_default(), it.get("reasons").map(json::to_json_string).unwrap_or_default())).collect()
    })
}

/// Each decided item's score.
fn item_scores(d: &Value) -> Vec<f64> {
    d.get("items").and_then(Value::as_array).map_or_else(Vec::new, |items| items.iter().map(|it| it.get("score").and_then(Value::as_f64).unwrap_or(f64::NAN)).collect())
}

/// The decision JS receives says what the native engine's `Decision` says
/// (it is serialized from the decision's borrowed form, with each reason
/// written into a shared buffer): the same items in order, the same reasons
/// (rule, relation, category and brand reasons, and the best-seller fill's
/// fixed text), fired rules, flags and slot. Scores agree to the rounding
/// (the two engines read the clock a moment apart); the ids carry the clock.
#[wasm_bindgen_test]
fn decide_says_what_the_native_engine_says_in_node() {
    let mut both = WasmAndNative::new(r#"{"seed":42,"halfLifeSeconds":1800}"#);
    both.load_catalog(CATALOG);
    both.load_rules(RULES);
    let requests = [r#"{"slot":"home","k":6}"#, r#"{"slot":"pdp","k":4,"item":"shoe-1","excludeCart":false}"#, r#"{"k":50}"#];
    let events = [
        r#"{"type":"product_view","ts":TS,"item":{"id":"shoe-1","category":"shoes","brand":"acme","price":80}}"#,
        r#"{"type":"product_view","ts":TS,"item":{"id":"shoe-3","category":"shoes","brand":"acme","price":95}}"#,
        r#"{"type":"add_to_cart","ts":TS,"item":{"id":"sock-2","category":"socks","price":9,"quantity":2}}"#,
        r#"{"type":"search","ts":TS,"query":"laces"}"#,
    ];
    let mut compared = 0;
    // Before any event (best-seller fills), then after each.
    for step in 0..=events.len() {
        if let Some(text) = step.checked_sub(1).and_then(|i| events.get(i)) {
            both.track(&text.replace("TS", &format!("{}", both.t0 - 60_000.0)));
        }
        for req in requests {
            let (wasm_side, native_side) = both.decide(req);
            for key in ["slot", "rulesFired", "ruleErrors", "fallbackUsed", "group", "modelVersion"] {
                assert_eq!(wasm_side.get(key), native_side.get(key), "{key} of {req} after {step} events");
            }
            let (w, n) = (item_texts(&wasm_side), item_texts(&native_side));
            assert!(!w.is_empty(), "{req} after {step} events decided nothing");
            assert_eq!(w, n, "{req} after {step} events");
            for (a, b) in item_scores(&wasm_side).iter().zip(&item_scores(&native_side)) {
                assert!((a - b).abs() <= 2e-4, "{req} after {step} events: scores {a} and {b}");
            }
            compared += w.len();
        }
    }
    wasm_bindgen_test::console_log!("decide in Node = native: {compared} items compared");
}

/// The decision's texts that repeat (fired rule ids, `rule:…` reasons) are
/// handed to JS from strings kept between decisions. They must follow the
/// rules: 30 reloads of 40 boosts whose ids differ only at the end and keep
/// their length (so a look-up by length, prefix or a reused allocation would
/// hand out the previous load's text: it fails without the rule-set
/// generation check), 2,400 distinct texts through 512 kept slots, then the
/// first load again. Each decision equals
/// the native engine's: fired rules and every item's id and reasons.
#[wasm_bindgen_test]
fn decision_texts_follow_reloaded_rules_in_node() {
    let mut both = WasmAndNative::new(r#"{"seed":7}"#);
    both.load_catalog(CATALOG);
    both.track(&format!(r#"{{"type":"product_view","ts":{},"item":{{"id":"shoe-1","category":"shoes","price":65}}}}"#, both.t0 - 30_000.0));
    let rules_of = |load: usize| {
        let rules: Vec<String> = (0..40)
            .map(|i| {
                // Every item gets the first few as reasons; the session-level one fires on its own.
                let condition = if i % 3 == 0 { r#"{">=":[{"var":"item.price"},0]}"# } else { r#"{">=":[{"var":"session.counters.product_view"},1]}"# };
                format!(r#"{{"id":"boost-{i:02}-load-{load:02}","priority":{},"condition":{condition},"action":{{"type":"boost","factor":1.01}}}}"#, 100 - i)
            })
            .collect();
        format!(r#"{{"version":"v{load}","rules":[{}]}}"#, rules.join(","))
    };
    let mut compared = 0;
    for load in (0..30).chain([0]) {
        both.load_rules(&rules_of(load));
        let (wasm_side, native_side) = both.decide(r#"{"slot":"home","k":8}"#);
        let fired = wasm_side.get("rulesFired").map(json::to_json_string).unwrap_or_default();
        assert_eq!(fired, native_side.get("rulesFired").map(json::to_json_string).unwrap_or_default(), "load {load}");
        assert!(fired.contains(&format!("-load-{load:02}\"")), "load {load}: {fired}");
        let (w, n) = (item_texts(&wasm_side), item_texts(&native_side));
        assert_eq!(w, n, "load {load}");
        assert!(w.iter().any(|t| t.contains(&format!("rule:boost-00-load-{load:02}"))), "load {load}: {w:?}");
        compared += w.len();
    }
    wasm_bindgen_test::console_log!("decision texts after rule reloads = native: {compared} items compared");
}

/// Item ids and relation reasons (`related:<id>`) are handed to JS from
/// strings kept by catalog index and by the id's address in the catalog. They
/// must follow the catalog: reloads alternate the fixture catalog with copies
/// whose ids are renamed in place (same length, same indices), so texts kept
/// from the previous catalog would come back. After each load the shopper
/// views the first shoe under its name there, so relation reasons are shown.
/// Each decision equals the native engine's: items in order, reasons.
#[wasm_bindgen_test]
fn decision_item_texts_follow_reloaded_catalogs_in_node() {
    let mut both = WasmAndNative::new(r#"{"seed":11}"#);
    // The second letter of every id changed: `bag-1` -> `bXg-1`, `shoe-1` -> `sXoe-1`, ...
    let renamed = |tag: char| {
        ["bag-", "hat-", "shirt-", "shoe-", "sock-", "lace-", "polish-"].iter().fold(CATALOG.to_string(), |text, prefix| {
            let renamed_prefix: String = prefix.chars().enumerate().map(|(i, c)| if i == 1 { tag } else { c }).collect();
            text.replace(&format!("\"{prefix}"), &format!("\"{renamed_prefix}"))
        })
    };
    let (mut compared, mut relation_reasons) = (0, 0);
    for (load, (catalog, shoe)) in [(CATALOG.to_string(), "shoe-1"), (renamed('X'), "sXoe-1"), (CATALOG.to_string(), "shoe-1"), (renamed('Z'), "sZoe-1"), (renamed('Z'), "sZoe-1")].iter().enumerate() {
        both.load_catalog(catalog);
        for viewed in [false, true] {
            if viewed {
                both.track(&format!(r#"{{"type":"product_view","ts":{},"item":{{"id":"{shoe}"}}}}"#, both.t0 - 10_000.0));
            }
            let (wasm_side, native_side) = both.decide(r#"{"slot":"home","k":6}"#);
            let (w, n) = (item_texts(&wasm_side), item_texts(&native_side));
            assert!(!w.is_empty(), "load {load} decided nothing");
            assert_eq!(w, n, "load {load}, viewed {viewed}");
            if viewed {
                assert!(w.iter().any(|t| t.contains(&format!("related:{shoe}"))), "load {load}: no relation reason: {w:?}");
            }
            relation_reasons += w.iter().filter(|t| t.contains("related:")).count();
            compared += w.len();
        }
    }
    let all_renamed = renamed('X');
    assert!(!all_renamed.contains("\"bag-") && all_renamed.contains("\"bXg-1\""), "the renamed catalog must rename");
    wasm_bindgen_test::console_log!("item texts after catalog reloads = native: {compared} items compared, {relation_reasons} with relation reasons");
}
