//! The Worker's request parsing in the core: what `worker/src` hands to the
//! wasm core for one request body, natively. The body's JSON is parsed by
//! the core's parser (in the Worker, `JSON.parse`; the value then crosses
//! into the core unchanged) and used as both routes would use it:
//!
//! - `POST /v1/collect` (collect.js): the events (`[...]` or `{"events": [...]}`)
//!   go through `validateEvents` (`Engine::validate_batch`); every accepted
//!   event, enriched as the edge enriches it (`receivedAt`, `country`,
//!   `colo`), is tracked in its session's engine, as the SessionDO does.
//! - `POST /v1/decide` (decide.js, session.js): `new Personalizer({sessionId})`
//!   (`Config::from_value`), then `decide` with the request's decision fields
//!   (`k` capped at the Worker's `DECIDE_MAX_K`).
//!
//! Invariants: errors carry codes; the session object accepts every event
//! the collector accepted, except a repeat of an id it already tracked
//! (`DUPLICATE_EVENT`: a replayed event counts once); a refused decision
//! request leaves the engine deciding normally.
#![no_main]

use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{Map, Value};
use edge_personalize::ErrorCode;
use ep_fuzz::{check_error, check_still_decides, fixture_engine, parse_input, NOW_MS};
use libfuzzer_sys::fuzz_target;

/// worker/src/decide.js: the fields copied from the body into the request.
const DECIDE_FIELDS: [&str; 7] = ["slot", "k", "context", "item", "exclude", "excludeCart", "excludePurchased"];
/// wrangler.toml's DECIDE_MAX_K.
const DECIDE_MAX_K: f64 = 20.0;
/// wrangler.toml's MAX_EVENTS_PER_BATCH: the Worker refuses longer batches before the core.
const MAX_EVENTS_PER_BATCH: usize = 500;
/// Sessions tracked per input (each costs a catalog load).
const MAX_SESSIONS: usize = 3;

/// The SessionDO's Personalizer: `new Personalizer({ sessionId })` plus the published assets.
fn session_engine(session_id: &str) -> Option<Engine> {
    let mut cfg = Map::with_capacity(1);
    cfg.insert("sessionId", Value::from(session_id));
    let config = match Config::from_value(&Value::Object(cfg)) {
        Ok(c) => c,
        Err(e) => {
            check_error(&e);
            return None;
        }
    };
    Some(fixture_engine(config))
}

/// collect.js `enrich`: the edge's own fields replace the client's.
fn enrich(event: &Value) -> Value {
    let mut out = event.clone();
    if let Value::Object(m) = &mut out {
        let kept: Map = m.iter().filter(|(k, _)| !matches!(*k, "country" | "colo")).map(|(k, v)| (k.to_string(), v.clone())).collect();
        *m = kept;
        m.insert("receivedAt", Value::Number(NOW_MS));
        m.insert("country", Value::from("DE"));
        m.insert("colo", Value::from("FRA"));
    }
    out
}

fn collect(body: &Value) {
    let events = match body {
        Value::Array(_) => body,
        Value::Object(o) => match o.get("events") {
            Some(list @ Value::Array(_)) => list,
            _ => return,
        },
        _ => return,
    };
    if events.as_array().map_or(0, <[Value]>::len) > MAX_EVENTS_PER_BATCH {
        return;
    }
    let mut collector = Engine::new(Config { seed: 1, ..Config::default() }, NOW_MS);
    let results = match collector.validate_batch(events, NOW_MS) {
        Ok(r) => r,
        Err(e) => return check_error(&e),
    };
    // Per session: its engine and the event ids it has tracked.
    let mut sessions: Vec<(String, Engine, Vec<String>)> = Vec::new();
    for r in results {
        let ev = match r {
            Ok(ev) => ev,
            Err(e) => {
                check_error(&e);
                continue;
            }
        };
        let Some(sid) = ev.session_id.clone() else { panic!("collected an event without a session") };
        let pos = match sessions.iter().position(|(s, _, _)| *s == sid) {
            Some(p) => p,
            None if sessions.len() < MAX_SESSIONS => {
                let Some(engine) = session_engine(&sid) else { panic!("the collector accepted session id {sid:?} the session object refuses") };
                sessions.push((sid.clone(), engine, Vec::new()));
                sessions.len() - 1
            }
            None => continue,
        };
        let Some((_, engine, seen)) = sessions.get_mut(pos) else { continue };
        let Some(id) = ev.id.clone() else { panic!("a collected event without an id") };
        let enriched = enrich(&ev.to_value());
        match engine.track(&enriched, NOW_MS) {
            Ok(_) => seen.push(id),
            // The collector does not de-duplicate a batch; the session object
            // refuses an id it already tracked (a replay counts once).
            Err(e) if e.code == ErrorCode::DuplicateEvent && seen.contains(&id) => {}
            Err(e) => panic!("the session object refused an event the collector accepted: {e:?}"),
        }
    }
    for (_, engine, _) in sessions.iter_mut() {
        check_still_decides(engine);
    }
}

fn decide(body: &Value) {
    let Value::Object(o) = body else { return };
    // decide.js checks the id's length in UTF-16 units, as JavaScript counts.
    let session_id = match o.get("sessionId") {
        Some(Value::String(s)) if !s.is_empty() && s.encode_utf16().count() <= 128 => s.as_str(),
        _ => "fuzz-session",
    };
    // A session id the core refuses makes the SessionDO fail to build its Personalizer.
    let Some(mut engine) = session_engine(session_id) else { return };
    let mut req = Map::with_capacity(DECIDE_FIELDS.len());
    for f in DECIDE_FIELDS {
        if let Some(v) = o.get(f) {
            let v = match v {
                Value::Number(k) if f == "k" && *k > DECIDE_MAX_K => Value::Number(DECIDE_MAX_K),
                other => other.clone(),
            };
            req.insert(f, v);
        }
    }
    match engine.decide(&Value::Object(req), NOW_MS) {
        Ok(d) => assert!(d.items.len() <= DECIDE_MAX_K as usize, "{} items over the Worker's cap", d.items.len()),
        Err(e) => check_error(&e),
    }
    check_still_decides(&mut engine);
}

fuzz_target!(|data: &[u8]| {
    let Some(body) = parse_input(data) else { return };
    collect(&body);
    decide(&body);
});
