//! Model artifact loading: arbitrary bytes, and the same bytes with the
//! header's body length and checksum recomputed so mutations of the seed
//! artifact reach the body decoder. When an artifact loads, a session prefix
//! taken from the input is scored and the engine decides with the model.
//!
//! Invariants: a refused artifact is `ModelCorrupt`, `ModelVersion` or
//! `TooLarge` and leaves the engine's previous model in place; a loaded model
//! re-encodes to an artifact that loads to the same encoding; `recommend`
//! returns at most k known items, best first, with positive finite scores.
#![no_main]

use edge_personalize::model::SessionModel;
use edge_personalize::ErrorCode;
use ep_fuzz::{
    check_error, check_still_decides, check_unchanged, model_with_fixed_header, with_busy_engine, with_model_engine,
};
use libfuzzer_sys::fuzz_target;

fn score_prefix(model: &SessionModel, seed: &[u8]) {
    let n = model.len() as u32;
    if n == 0 {
        return;
    }
    // Item indices from the input's last bytes, plus one out of range,
    // which recommend must ignore.
    let mut prefix: Vec<u32> = seed.iter().rev().take(12).map(|&b| u32::from(b) % n).collect();
    prefix.push(n.saturating_add(7));
    let k = 1 + seed.first().copied().unwrap_or(0) as usize % 40;
    let mut out = Vec::new();
    model.recommend(&prefix, k, &mut out);
    assert!(out.len() <= k, "recommend returned {} items for k={k}", out.len());
    for pair in out.windows(2) {
        if let [a, b] = pair {
            assert!(a.1 > b.1 || (a.1 == b.1 && a.0 < b.0), "recommend is not sorted: {a:?} before {b:?}");
        }
    }
    for (idx, score) in &out {
        assert!(*idx < n, "recommend returned index {idx} of {n} items");
        assert!(score.is_finite() && *score > 0.0, "recommend returned score {score}");
        assert!(model.item_id(*idx).is_some(), "recommended index {idx} has no id");
    }
}

/// `engine_check`: also load into an engine (the costly part), once per input.
fn load(bytes: &[u8], engine_check: bool) {
    match SessionModel::from_bytes(bytes) {
        Ok(model) => {
            score_prefix(&model, bytes);
            let encoded = model.to_bytes();
            match SessionModel::from_bytes(&encoded) {
                Ok(again) => assert!(again.to_bytes() == encoded, "model encoding is not stable across a load"),
                Err(e) => panic!("a loaded model's own artifact does not load: {e:?}"),
            }
            if !engine_check {
                return;
            }
            with_model_engine(|engine| {
                if let Err(e) = engine.load_model(bytes) {
                    panic!("the engine refused an artifact SessionModel accepted: {e:?}");
                }
                // The busy session's history (shoe-1, shoe-2) gives the model a prefix.
                check_still_decides(engine);
            });
        }
        Err(e) => {
            check_error(&e);
            assert!(
                matches!(e.code, ErrorCode::ModelCorrupt | ErrorCode::ModelVersion | ErrorCode::TooLarge),
                "model refused with an unexpected code: {e:?}"
            );
            if !engine_check {
                return;
            }
            with_busy_engine(|engine| {
                assert!(engine.load_model(bytes).is_err(), "the engine accepted an artifact SessionModel refused");
                check_unchanged(engine);
            });
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // The fixed-up variant gets further into the decoder; the raw bytes
    // check that header damage is refused.
    match model_with_fixed_header(data) {
        Some(fixed_up) if fixed_up != data => {
            load(&fixed_up, true);
            load(data, false);
        }
        _ => load(data, true),
    }
});
