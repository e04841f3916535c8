//! The hostile-input corpus (`tests/hostile/cases.json`), run natively.
//!
//! For every concrete input: build an engine holding a known good state
//! (catalog, rules, model, a few tracked events), make the hostile call and
//! compare its outcome with the case's expected code; then check the engine
//! still answers a normal `decide()` exactly as a reference engine fed the same
//! good state does (plus the hostile call itself when the case says it must be
//! accepted), and that its session counters, ring and cart equal the
//! reference's. The same corpus runs in wasm (tests/wasm_common/mod.rs).
#![cfg(not(target_arch = "wasm32"))]

#[path = "hostile/corpus.rs"]
mod corpus;

use std::sync::OnceLock;

use corpus::{Case, Input, Platform, Sources};
use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{parse, to_json_string, Value};
use edge_personalize::outbox::{Outbox, OutboxConfig};
use edge_personalize::{logic, Error};

const CATALOG: &str = include_str!("fixtures/catalog.json");
const RULES: &str = include_str!("fixtures/rules.json");
const MODEL: &[u8] = include_bytes!("model-fixtures/small.epm");
/// The runner's clock: 2026-11-26.
const T0: f64 = 1_795_651_200_000.0;
const CALL_AT: f64 = T0 + 1_000.0;
const DECIDE_AT: f64 = T0 + 2_000.0;

/// The requests the health check asks after every case: a home slot and a
/// product page.
const HEALTH_REQUESTS: [&str; 2] = [r#"{"slot":"home","k":8}"#, r#"{"slot":"pdp","k":5,"item":"shoe-2"}"#];

fn v(text: &str) -> Value {
    parse(text).expect("runner JSON")
}

/// The good events every case starts from; ids are given so duplicates can be aimed at them.
fn good_events() -> Vec<String> {
    [
        r#"{"id":"good-1","type":"page_view","ts":TS,"context":{"page":"/"}}"#,
        r#"{"id":"good-2","type":"product_view","ts":TS,"item":{"id":"shoe-1","category":"shoes","brand":"zoom","price":65}}"#,
        r#"{"id":"good-3","type":"product_view","ts":TS,"item":{"id":"shoe-3","category":"shoes","brand":"acme","price":80}}"#,
        r#"{"id":"good-4","type":"add_to_cart","ts":TS,"item":{"id":"bag-1","category":"bags","price":120}}"#,
        r#"{"id":"good-5","type":"search","ts":TS,"query":"running shoes"}"#,
    ]
    .iter()
    .enumerate()
    .map(|(i, e)| e.replace("TS", &format!("{}", T0 - 60_000.0 + i as f64 * 5_000.0)))
    .collect()
}

/// An engine with the good state; `with_events` false gives the state a
/// failed restore leaves (catalog, rules and model kept, a fresh session).
fn good_engine(with_events: bool) -> Engine {
    let mut e = Engine::new(Config { seed: 11, ..Config::default() }, T0 - 120_000.0);
    e.load_catalog(&v(CATALOG)).expect("catalog");
    e.load_rules(&v(RULES)).expect("rules");
    e.load_model(MODEL).expect("model");
    if with_events {
        for ev in good_events() {
            e.track(&v(&ev), T0).expect("good event");
        }
    }
    e
}

fn code(e: Error) -> String {
    e.code.as_str().to_string()
}

/// A value as it reaches the engine: through JSON text and the core's parser,
/// as the wasm boundary takes it through `from_js`, except values holding
/// non-finite numbers, which no JSON text carries: they go in as they are.
fn arrive(input: &Input) -> Result<Value, String> {
    match input {
        Input::Value(val) if corpus::has_non_finite(val) => Ok(val.clone()),
        Input::Value(val) => parse(&to_json_string(val)).map_err(code),
        Input::Text(t) => parse(t).map_err(code),
        Input::Bytes(_) => Err("a byte input for a value target".into()),
    }
}

fn condition_part(input: &Input, part: &str) -> Result<Value, String> {
    match input {
        Input::Value(val) => arrive(&Input::Value(val.get(part).cloned().unwrap_or(Value::Null))),
        _ => Err("a condition case takes an input {rule, data}".into()),
    }
}

fn bytes(input: &Input) -> &[u8] {
    match input {
        Input::Bytes(b) => b,
        _ => &[],
    }
}

fn joined(list: Vec<String>) -> String {
    list.join(",")
}

/// Makes the call a case names; returns its outcome as the corpus spells it.
/// `only` limits sequences to the listed positions (the reference replays
/// only the parts the case says are accepted).
fn call(e: &mut Engine, target: &str, input: &Input, only: Option<&[bool]>) -> String {
    let single = |r: Result<(), Error>| r.map(|_| "ok".to_string()).unwrap_or_else(code);
    match target {
        "restore" => single(e.restore(bytes(input), CALL_AT)),
        "load_model" => single(e.load_model(bytes(input)).map(|_| ())),
        _ => {
            // A condition's rule and data arrive separately, as the two
            // arguments of `evalCondition`.
            let val = match if target == "condition" { condition_part(input, "rule") } else { arrive(input) } {
                Ok(val) => val,
                Err(c) => return c,
            };
            match target {
                "track" => single(e.track(&val, CALL_AT).map(|_| ())),
                "track_after_roundtrip" => {
                    let snap = e.snapshot();
                    if let Err(err) = e.restore(&snap, CALL_AT) {
                        return format!("roundtrip failed: {err}");
                    }
                    single(e.track(&val, CALL_AT).map(|_| ()))
                }
                "track_sequence" => {
                    let list = val.as_array().unwrap_or(&[]);
                    joined(
                        list.iter()
                            .enumerate()
                            .filter(|(i, _)| only.is_none_or(|o| o.get(*i).copied().unwrap_or(false)))
                            .map(|(_, ev)| single(e.track(ev, CALL_AT).map(|_| ())))
                            .collect(),
                    )
                }
                "validate_batch" => match e.validate_batch(&val, CALL_AT) {
                    Err(err) => code(err),
                    Ok(results) => joined(results.into_iter().map(|r| r.map(|_| "ok".to_string()).unwrap_or_else(code)).collect()),
                },
                "load_rules" => single(e.load_rules(&val).map(|_| ())),
                "load_catalog" => single(e.load_catalog(&val).map(|_| ())),
                "decide" => single(e.decide(&val, CALL_AT).map(|_| ())),
                "config" => single(Config::from_value(&val).map(|_| ())),
                "condition" => match condition_part(input, "data") {
                    Ok(data) => single(logic::eval_json(&val, &data).map(|_| ())),
                    Err(c) => c,
                },
                "outbox_enqueue" => {
                    let mut ob = Outbox::new(OutboxConfig::default(), 3);
                    let list = val.as_array().unwrap_or(&[]);
                    joined(
                        list.iter()
                            .map(|ev| {
                                let text = match ev {
                                    Value::String(s) => s.clone(),
                                    other => to_json_string(other),
                                };
                                match ob.enqueue(&text, false, CALL_AT) {
                                    Ok(r) if r.duplicate => "duplicate".to_string(),
                                    Ok(_) => "ok".to_string(),
                                    Err(err) => code(err),
                                }
                            })
                            .collect(),
                    )
                }
                other => format!("unknown target {other}"),
            }
        }
    }
}

/// Targets whose accepted calls change the engine; the reference replays them.
fn mutates(target: &str) -> bool {
    matches!(target, "restore" | "load_model" | "track" | "track_after_roundtrip" | "track_sequence" | "load_rules" | "load_catalog")
}

/// What a decision is compared on: item ids, scores and reasons, the rules
/// that fired and failed, and the fallback flag (not the decision id, which
/// comes from the id generator the hostile call may have advanced).
fn decision_key(e: &mut Engine, request: &str) -> Result<String, String> {
    let d = e.decide(&v(request), DECIDE_AT).map_err(|err| format!("decide failed: {err}"))?;
    if d.items.is_empty() {
        return Err("decide returned no items".into());
    }
    if let Some(bad) = d.items.iter().find(|it| !it.score.is_finite()) {
        return Err(format!("non-finite score for {}", bad.id));
    }
    let mut value = d.to_value();
    if let Value::Object(m) = &mut value {
        m.insert("decisionId", Value::Null);
    }
    Ok(to_json_string(&value))
}

/// What the health check compares: the decisions for [`HEALTH_REQUESTS`] and
/// the session's counters, ring and cart.
#[derive(Clone)]
struct Observed {
    decisions: Vec<String>,
    counters: String,
    ring_and_cart: String,
}

impl Observed {
    fn of(e: &mut Engine) -> Result<Observed, String> {
        let decisions = HEALTH_REQUESTS.iter().map(|r| decision_key(e, r)).collect::<Result<_, _>>()?;
        let s = e.session();
        Ok(Observed {
            decisions,
            counters: format!("{:?}", s.counters),
            ring_and_cart: format!("{:?} {:?}", s.recent, s.cart),
        })
    }

    fn differs_from(&self, want: &Observed) -> Option<(String, String, String)> {
        for ((got, wanted), request) in self.decisions.iter().zip(&want.decisions).zip(HEALTH_REQUESTS) {
            if got != wanted {
                return Some((format!("decide({request})"), got.clone(), wanted.clone()));
            }
        }
        if self.counters != want.counters {
            return Some(("session counters".into(), self.counters.clone(), want.counters.clone()));
        }
        if self.ring_and_cart != want.ring_and_cart {
            return Some(("session ring and cart".into(), self.ring_and_cart.clone(), want.ring_and_cart.clone()));
        }
        None
    }
}

/// Runs one concrete input: the call, its outcome, then the health check.
fn run_input(case: &Case, input: &Input) -> Result<(), String> {
    let mut engine = good_engine(true);
    let got = call(&mut engine, &case.target, input, None);
    if got != case.expect {
        return Err(format!("outcome {got}, expected {}", case.expect));
    }
    // The reference: a fresh engine fed the same good state, plus the call
    // itself where the case says it is accepted (a failed restore leaves a
    // fresh session by design, so its reference has no events).
    let failed_restore = case.target == "restore" && case.expect != "ok";
    let want = if mutates(&case.target) && case.expect.split(',').any(|o| o == "ok") {
        let mut reference = good_engine(true);
        let accepted: Vec<bool> = case.expect.split(',').map(|o| o == "ok").collect();
        let replay = call(&mut reference, &case.target, input, Some(&accepted));
        if !replay.split(',').all(|o| o == "ok") {
            return Err(format!("the reference refused the accepted parts: {replay}"));
        }
        Observed::of(&mut reference)?
    } else {
        // Refused calls leave the good state: its observation is the same for
        // every such input, so it is made once.
        static GOOD: OnceLock<Result<Observed, String>> = OnceLock::new();
        static FRESH: OnceLock<Result<Observed, String>> = OnceLock::new();
        let cell = if failed_restore { &FRESH } else { &GOOD };
        cell.get_or_init(|| Observed::of(&mut good_engine(!failed_restore))).clone()?
    };
    let mine = Observed::of(&mut engine)?;
    if let Some((what, got, wanted)) = mine.differs_from(&want) {
        return Err(format!("{what} after the case differs from the reference:\n  got  {got}\n  want {wanted}"));
    }
    Ok(())
}

fn load_cases() -> Vec<Case> {
    let snapshot = good_engine(true).snapshot();
    corpus::load(Platform::Native, &Sources { snapshot: &snapshot, model: MODEL, now_ms: CALL_AT }).expect("cases.json loads")
}

/// Runs `f` on a thread with a big stack: the runner itself builds, clones,
/// serializes and drops the deep inputs recursively (the engine refuses them
/// at depth 80 before recursing), and test threads get 2 MB by default.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    let t = std::thread::Builder::new().stack_size(512 << 20).spawn(f).expect("spawn");
    if let Err(panic) = t.join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn hostile_corpus_passes_natively() {
    with_big_stack(run_corpus);
}

fn run_corpus() {
    let cases = load_cases();
    let mut failures = Vec::new();
    let mut per_class: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for case in &cases {
        for (i, input) in case.inputs.iter().enumerate() {
            if let Err(why) = run_input(case, input) {
                failures.push(format!("[{}] {} (input {i} of {}): {why}", case.class, case.name, case.inputs.len()));
            }
        }
        let entry = per_class.entry(case.class.as_str()).or_default();
        entry.0 += 1;
        entry.1 += case.inputs.len();
    }
    let (n_cases, n_inputs, n_classes) = corpus::counts(&cases);
    for (class, (c, i)) in &per_class {
        println!("hostile native: {class:<22} {c:>3} cases {i:>5} inputs");
    }
    println!("hostile native: {n_cases} cases, {n_inputs} inputs, {n_classes} classes, {} failures", failures.len());
    assert!(failures.is_empty(), "{} hostile inputs failed:\n{}", failures.len(), failures.join("\n"));
    corpus::check_coverage(&cases).expect("every required class has cases");
}

/// The runner can fail: the same case with a wrong expected code, or an
/// accepting expectation for an input that must be refused, is reported.
#[test]
fn the_runner_fails_on_a_wrong_code() {
    with_big_stack(wrong_codes_fail);
}

fn wrong_codes_fail() {
    let cases = load_cases();
    let mut checked = 0;
    for case in cases.iter().filter(|c| !c.expect.contains("ok") && !c.expect.contains(',')) {
        let mut wrong = case.clone();
        wrong.expect = if case.expect == "INVALID_VALUE" { "WRONG_TYPE".into() } else { "INVALID_VALUE".into() };
        let input = wrong.inputs.first().expect("an input");
        assert!(run_input(&wrong, input).is_err(), "{} passed with the wrong code {}", case.name, wrong.expect);
        wrong.expect = "ok".into();
        assert!(run_input(&wrong, input).is_err(), "{} passed when expected to be accepted", case.name);
        checked += 1;
    }
    assert!(checked > 50, "only {checked} refusing cases");
}

fn counters(e: &Engine) -> [u32; 9] {
    e.session().counters
}

/// The de-duplication window: the last `MAX_SEEN_EVENT_IDS` ids are refused
/// without touching the session, older ones have left the window, and the
/// window travels in the snapshot to another engine.
#[test]
fn duplicate_ids_are_refused_within_the_window_and_across_restore() {
    use edge_personalize::limits::MAX_SEEN_EVENT_IDS;
    use edge_personalize::session::AffinityKind;
    let total = MAX_SEEN_EVENT_IDS + 44;
    let mut e = good_engine(false);
    let event = |i: usize| v(&format!(r#"{{"id":"win-{i}","type":"product_view","item":{{"id":"shoe-{}","category":"shoes"}}}}"#, 1 + i % 10));
    for i in 0..total {
        e.track(&event(i), CALL_AT).expect("first delivery");
    }
    let before = counters(&e);
    let affinity = e.session().affinity(AffinityKind::Category, "shoes", CALL_AT);
    for i in (total - MAX_SEEN_EVENT_IDS..total).step_by(17) {
        let err = e.track(&event(i), CALL_AT).expect_err("re-delivery");
        assert_eq!(err.code.as_str(), "DUPLICATE_EVENT", "win-{i}");
        assert_eq!(err.path, "id");
    }
    assert_eq!(counters(&e), before, "a refused duplicate counted");
    assert_eq!(e.session().affinity(AffinityKind::Category, "shoes", CALL_AT), affinity);

    // The window survives a snapshot restored into another engine.
    let mut other = good_engine(false);
    other.restore(&e.snapshot(), CALL_AT).expect("restore");
    assert_eq!(other.track(&event(total - 1), CALL_AT).expect_err("re-delivery").code.as_str(), "DUPLICATE_EVENT");
    assert_eq!(counters(&other), before);
    // The oldest ids have left the window: accepted (and counted) again.
    other.track(&event(0), CALL_AT).expect("an id older than the window");
    assert_eq!(counters(&other).iter().sum::<u32>(), before.iter().sum::<u32>() + 1);
}
