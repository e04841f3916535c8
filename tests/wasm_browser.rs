//! The facade in headless Chromium, including the browser storage adapter.
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod wasm_common;

use edge_personalize::wasm::Personalizer;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn jsonlogic_baseline_passes_in_chromium() {
    assert_eq!(run_conformance(), 278);
    wasm_bindgen_test::console_log!("jsonlogic conformance in Chromium wasm: 278/278");
}

#[wasm_bindgen_test]
fn compiled_conditions_pass_the_baseline_in_chromium() {
    assert_eq!(run_conformance_compiled(), 278);
}

#[wasm_bindgen_test]
fn track_then_decide_in_chromium() {
    track_then_decide();
}

#[wasm_bindgen_test]
fn every_error_code_surfaces_as_a_js_error_in_chromium() {
    every_error_code_is_a_js_error();
}

#[wasm_bindgen_test]
fn snapshot_survives_in_local_storage_across_instances() {
    let key = "ep-test-session";
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten()).expect("localStorage");
    storage.remove_item(key).expect("clear");

    let mut first = loaded_personalizer();
    assert!(!first.restore_from_storage(key).expect("nothing stored yet"));
    for id in ["shoe-1", "shoe-2"] {
        first
            .track(js(&format!(r#"{{"type":"product_view","item":{{"id":"{id}","category":"shoes"}}}}"#)))
            .expect("track");
    }
    first.save_to_storage(key).expect("save");
    let session = first.session_id();
    let want = back(first.decide(js(r#"{"slot":"home","k":5}"#)).expect("decide"));
    drop(first);

    // A new engine instance, as after a page reload.
    let mut second: Personalizer = seeded_personalizer(43);
    assert_ne!(second.session_id(), session);
    assert!(second.restore_from_storage(key).expect("restore"));
    assert_eq!(second.session_id(), session);
    let got = back(second.decide(js(r#"{"slot":"home","k":5}"#)).expect("decide"));
    assert_eq!(got.get("items"), want.get("items"));

    // A corrupted stored value: typed error, fresh session, nothing else lost.
    storage.set_item(key, "!!!not base64!!!").expect("set");
    assert_eq!(code_of(second.restore_from_storage(key)), "SNAPSHOT_CORRUPT");
    assert_ne!(second.session_id(), session);
    storage.remove_item(key).expect("clear");
}

#[wasm_bindgen_test]
fn corrupt_restore_keeps_the_engine_usable_in_chromium() {
    corrupt_restore_keeps_engine_usable();
}

#[wasm_bindgen_test]
fn model_ranks_like_native_in_chromium() {
    let n = model_agrees_with_native();
    assert_eq!(n, 300);
    wasm_bindgen_test::console_log!("model agreement in chromium wasm: {n}/300 sessions, top 20 bit for bit");
}

#[wasm_bindgen_test]
fn decide_uses_the_loaded_model_in_chromium() {
    decide_uses_the_loaded_model();
}

// The hostile-input corpus (tests/hostile/cases.json), class by class.
hostile_tests!("chromium");

#[wasm_bindgen_test]
fn unseeded_engines_seed_from_crypto_in_browser() {
    unseeded_engines_seed_from_crypto();
}
