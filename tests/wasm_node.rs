//! The facade in Node (wasm-bindgen-test's default environment).
#![cfg(target_arch = "wasm32")]

mod wasm_common;

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;
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
