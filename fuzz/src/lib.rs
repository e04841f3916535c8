//! Shared pieces of the fuzz targets: a small fixed shop (catalog, rules,
//! session) to decide against, the invariants every target checks, and the
//! checksum fix-ups that let mutated snapshots and models reach the decoders
//! behind their checksums.
//!
//! The harness panics on purpose when an invariant breaks: libFuzzer records
//! a panic as a crash and saves the input. The library under test must never
//! panic; this crate must, when the library misbehaves.

use std::cell::RefCell;

use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{parse, to_json_string, Value};
use edge_personalize::{Error, ErrorCode};

/// A fixed "now" (2026-11-26T00:00:00Z), so timestamps in seeds stay valid.
pub const NOW_MS: f64 = 1_795_651_200_000.0;

/// Eight items over three categories and two brands, with relations, so
/// rules that include related items, boost, bury and pin all have material.
pub const SMALL_CATALOG: &str = r#"{"version":"fuzz-1","items":[
 {"id":"shoe-1","category":"shoes","brand":"acme","price":60,"tags":["run"],
  "related":[{"id":"shoe-2","weight":0.9}],"accessories":[{"id":"sock-1","weight":1}]},
 {"id":"shoe-2","category":"shoes","brand":"zoom","price":80,"related":[{"id":"shoe-1","weight":0.8}],
  "similar":[{"id":"shoe-3","weight":0.5}]},
 {"id":"shoe-3","category":"shoes","brand":"acme","price":120},
 {"id":"sock-1","category":"care","brand":"acme","price":5,"popularity":0.4},
 {"id":"sock-2","category":"care","brand":"zoom","price":6},
 {"id":"hat-1","category":"hats","brand":"zoom","price":25,"popularity":0.9},
 {"id":"hat-2","category":"hats","brand":"acme","price":30,"accessories":[{"id":"sock-2","weight":0.4}]},
 {"id":"bag-1","category":"bags","brand":"acme","price":200,"popularity":0.99}
]}"#;

/// Rules touching every action type, used where a target needs rules but
/// does not fuzz them.
pub const SMALL_RULES: &str = r#"{"version":"fuzz-rules-1","rules":[
 {"id":"acc","priority":100,"condition":{"<=":[{"var":"session.recent.0.ageSeconds"},300]},
  "action":{"type":"include_related","of":{"var":"session.recent.0.item"},"relation":"accessories","limit":2}},
 {"id":"bury-care","priority":10,"slots":["home"],"condition":{"==":[{"var":"item.category"},"care"]},
  "action":{"type":"bury","factor":0.1}},
 {"id":"boost-acme","priority":5,"condition":{"and":[{"affinity_above":["brand","acme",0.5]},
  {"==":[{"var":"item.brand"},"acme"]}]},"action":{"type":"boost","factor":1.5}},
 {"id":"no-hats","priority":1,"slots":["cart"],"condition":{"==":[{"var":"item.category"},"hats"]},
  "action":{"type":"exclude"}}
]}"#;

/// A few events that give the session history, affinities and a cart.
pub const SMALL_EVENTS: &[&str] = &[
    r#"{"type":"page_view","context":{"page":"/"}}"#,
    r#"{"type":"product_view","item":{"id":"shoe-1","category":"shoes","brand":"acme","price":60}}"#,
    r#"{"type":"product_view","item":{"id":"shoe-2","category":"shoes","brand":"zoom","price":80}}"#,
    r#"{"type":"add_to_cart","item":{"id":"shoe-1","category":"shoes","brand":"acme","price":60}}"#,
    r#"{"type":"search","query":"hat"}"#,
];

/// The decision requests every "still works" check asks. One request, with
/// an item so the include-related rules fire: the check runs on every input,
/// and each decision costs more than most inputs.
pub const PROBE_REQUESTS: &[&str] = &[r#"{"slot":"home","k":4,"item":"shoe-1"}"#];

/// Parses text the harness itself wrote; a failure is a harness bug.
pub fn fixed(text: &str) -> Value {
    match parse(text) {
        Ok(v) => v,
        Err(e) => panic!("harness fixture does not parse: {e:?}"),
    }
}

/// An engine with `config` and the small catalog and rules loaded.
pub fn fixture_engine(config: Config) -> Engine {
    let mut e = Engine::new(config, NOW_MS);
    FIXTURE_VALUES.with(|(catalog, rules)| {
        if let Err(err) = e.load_catalog(catalog) {
            panic!("fixture catalog rejected: {err:?}");
        }
        if let Err(err) = e.load_rules(rules) {
            panic!("fixture rules rejected: {err:?}");
        }
    });
    e
}

/// An engine with the small catalog and rules loaded and no history.
pub fn empty_engine() -> Engine {
    fixture_engine(Config { seed: 42, session_id: Some("fuzz-session".into()), ..Config::default() })
}

/// An engine with the small catalog and rules and a short shopping history.
pub fn busy_engine() -> Engine {
    let mut e = empty_engine();
    for (i, text) in SMALL_EVENTS.iter().enumerate() {
        if let Err(err) = e.track(&fixed(text), NOW_MS - 60_000.0 + i as f64 * 1_000.0) {
            panic!("fixture event rejected: {err:?}");
        }
    }
    e
}

/// Every error the library returns must carry one of the stable codes and a
/// message that says what is wrong (JS callers switch on the code and show
/// the message).
pub fn check_error(e: &Error) {
    assert!(ErrorCode::ALL.contains(&e.code), "error code outside ErrorCode::ALL: {e:?}");
    assert!(!e.code.as_str().is_empty(), "error code without a string form: {e:?}");
    assert!(!e.message.is_empty(), "error without a message: {e:?}");
}

/// Asks the probe decisions and returns their item ids. Whatever the input
/// did to the engine, a normal `decide()` must still succeed, return at most
/// `k` items, only items of the catalog, with finite scores.
pub fn probe(engine: &mut Engine) -> Vec<Vec<String>> {
    PROBE_REQUESTS
        .iter()
        .map(|req| {
            let request = fixed(req);
            match engine.decide(&request, NOW_MS + 1_000.0) {
                Ok(d) => {
                    let k = request.get("k").and_then(Value::as_f64).unwrap_or(10.0) as usize;
                    assert!(d.items.len() <= k, "decision returned {} items for k={k}", d.items.len());
                    for it in &d.items {
                        assert!(engine.catalog().index_of(&it.id).is_some(), "decided an item not in the catalog: {}", it.id);
                        assert!(it.score.is_finite(), "non-finite score {} for {}", it.score, it.id);
                    }
                    d.items.into_iter().map(|it| it.id).collect()
                }
                Err(e) => panic!("a normal decide() failed after fuzz input: {e:?}"),
            }
        })
        .collect()
}

/// After input that changed the engine, it still decides normally.
pub fn check_still_decides(engine: &mut Engine) {
    probe(engine);
}

/// After input the engine refused, it decides exactly as the busy engine
/// that never saw that input (a refused input leaves no trace).
pub fn check_unchanged(engine: &mut Engine) {
    let got = probe(engine);
    let want = BUSY_PROBE.with(|want| want.clone());
    assert_eq!(got, want, "a refused input changed later decisions");
}

thread_local! {
    /// Engines shared by the inputs of one fuzzing thread: building the
    /// catalog and rules costs more than most inputs, so they are built once
    /// and the session is reset from a snapshot before each input. `ENGINE`
    /// never holds a model (it answers as the busy fixture engine); models
    /// that load go into `MODEL_ENGINE`, since the engine cannot unload one.
    static ENGINE: RefCell<Engine> = RefCell::new(busy_engine());
    static MODEL_ENGINE: RefCell<Engine> = RefCell::new(busy_engine());
    static BUSY_SNAPSHOT: Vec<u8> = busy_engine().snapshot();
    static SMALL_RULES_VALUE: Value = fixed(SMALL_RULES);
    /// The fixture catalog and rules, parsed once.
    static FIXTURE_VALUES: (Value, Value) = (fixed(SMALL_CATALOG), fixed(SMALL_RULES));
    static BUSY_PROBE: Vec<Vec<String>> = {
        let want = probe(&mut busy_engine());
        assert!(want.iter().all(|items| !items.is_empty()), "the fixture engine decided nothing");
        want
    };
}

fn reset_session(engine: &mut Engine) {
    BUSY_SNAPSHOT.with(|snap| {
        if let Err(e) = engine.restore(snap, NOW_MS) {
            panic!("the fixture snapshot does not restore: {e:?}");
        }
    });
}

/// The shared model-free engine, its session reset to the busy one.
/// Whoever loads other rules into it puts the fixture rules back
/// ([`restore_fixture_rules`]). Returns what `f` returns.
pub fn with_busy_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    ENGINE.with(|cell| {
        let mut engine = cell.borrow_mut();
        reset_session(&mut engine);
        f(&mut engine)
    })
}

/// The shared engine for models that load, its session reset to the busy one.
pub fn with_model_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    MODEL_ENGINE.with(|cell| {
        let mut engine = cell.borrow_mut();
        reset_session(&mut engine);
        f(&mut engine)
    })
}

/// Loads the fixture rules again (after a fuzzed rule set replaced them).
pub fn restore_fixture_rules(engine: &mut Engine) {
    SMALL_RULES_VALUE.with(|rules| {
        if let Err(e) = engine.load_rules(rules) {
            panic!("fixture rules rejected: {e:?}");
        }
    });
}

/// The busy session's snapshot (a valid snapshot to mutate).
pub fn busy_snapshot() -> Vec<u8> {
    BUSY_SNAPSHOT.with(Clone::clone)
}

/// The JSON writer and parser agree: writing a parsed value and parsing it
/// again gives the same value (what storage and the network do to events).
pub fn check_json_round_trip(v: &Value) {
    let text = to_json_string(v);
    match parse(&text) {
        Ok(back) => assert!(back == *v, "JSON round trip changed the value:\n{text}"),
        Err(e) => panic!("the writer produced JSON the parser rejects: {e:?}\n{text}"),
    }
}

/// Parses fuzz bytes as JSON text the way a JS caller's string arrives:
/// always valid UTF-8 (JS strings cannot carry invalid bytes into the core).
pub fn parse_input(data: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(data).ok()?;
    match parse(text) {
        Ok(v) => {
            check_json_round_trip(&v);
            Some(v)
        }
        Err(e) => {
            check_error(&e);
            None
        }
    }
}

/// FNV-1a 64, the checksum both the snapshot and the model artifact use.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A snapshot's trailing checksum recomputed, so a mutated snapshot is
/// judged by the decoder rather than stopped at the checksum. None when too
/// short to carry one.
pub fn snapshot_with_fixed_checksum(bytes: &[u8]) -> Option<Vec<u8>> {
    let body_len = bytes.len().checked_sub(8)?;
    let mut out = bytes.get(..body_len)?.to_vec();
    let sum = fnv1a64(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// Byte offsets of the model artifact header (see `src/model/mod.rs`):
/// magic 8 | version u16 | reserved u16 | items u32 | bodyLength u32 | checksum u64.
const MODEL_BODY_LEN_AT: usize = 16;
const MODEL_CHECKSUM_AT: usize = 20;
const MODEL_HEADER_LEN: usize = 28;

/// A model artifact with its body length and checksum recomputed, so a
/// mutated body reaches the body decoder. None when shorter than a header.
pub fn model_with_fixed_header(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < MODEL_HEADER_LEN {
        return None;
    }
    let mut out = bytes.to_vec();
    let body_len = u32::try_from(out.len() - MODEL_HEADER_LEN).ok()?;
    out.get_mut(MODEL_BODY_LEN_AT..MODEL_CHECKSUM_AT)?.copy_from_slice(&body_len.to_le_bytes());
    let mut covered = out.get(..MODEL_CHECKSUM_AT)?.to_vec();
    covered.extend_from_slice(out.get(MODEL_HEADER_LEN..)?);
    let sum = fnv1a64(&covered);
    out.get_mut(MODEL_CHECKSUM_AT..MODEL_HEADER_LEN)?.copy_from_slice(&sum.to_le_bytes());
    Some(out)
}
