//! Event validation: raw bytes -> the core's JSON parser -> `Event::from_value`
//! (one event), `Engine::validate_batch` (a batch: a bare array or the
//! collector's `{"events": [...]}`) and `Engine::track`.
//!
//! Invariants: every error has a stable code and a message; an accepted
//! event written back to JSON validates again to the same event (the outbox
//! and the collector re-validate what the page produced); a batch answers
//! one result per event; the engine decides normally afterwards.
#![no_main]

use edge_personalize::event::Event;
use edge_personalize::json::{to_json_string, Value};
use ep_fuzz::{check_error, check_still_decides, check_unchanged, parse_input, with_busy_engine, NOW_MS};
use libfuzzer_sys::fuzz_target;

fn check_revalidates(ev: &Event) {
    let stored = ev.to_value();
    let text = to_json_string(&stored);
    let back = ep_fuzz::fixed(&text);
    match Event::from_value(&back, NOW_MS) {
        Ok(again) => assert!(again.to_value() == stored, "an accepted event changed on re-validation:\n{text}"),
        Err(e) => panic!("an accepted event was rejected on re-validation: {e:?}\n{text}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(v) = parse_input(data) else { return };

    match Event::from_value(&v, NOW_MS) {
        Ok(ev) => check_revalidates(&ev),
        Err(e) => check_error(&e),
    }

    with_busy_engine(|collector| {
        let batch = match &v {
            Value::Object(o) => o.get("events").cloned(),
            Value::Array(_) => Some(v.clone()),
            _ => None,
        };
        let Some(batch) = batch else { return };
        match collector.validate_batch(&batch, NOW_MS) {
            Ok(results) => {
                let n = batch.as_array().map_or(0, <[Value]>::len);
                assert_eq!(results.len(), n, "validate_batch answered {} results for {n} events", results.len());
                for r in &results {
                    match r {
                        Ok(ev) => {
                            assert!(ev.id.is_some() && ev.ts.is_some(), "a collected event lacks its id or time");
                            assert!(ev.session_id.is_some(), "a collected event without a session was accepted");
                            check_revalidates(ev);
                        }
                        Err(e) => check_error(e),
                    }
                }
            }
            Err(e) => check_error(&e),
        }
    });

    with_busy_engine(|engine| match engine.track(&v, NOW_MS) {
        Ok(ev) => {
            assert!(ev.id.is_some() && ev.session_id.is_some(), "a tracked event lacks its id or session");
            check_still_decides(engine);
        }
        Err(e) => {
            check_error(&e);
            check_unchanged(engine);
        }
    });
});
