//! What the host JS engine already does exactly and the core would otherwise
//! ship: number <-> shortest decimal text (see `crate::json::num`).

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `String(n)`: ECMAScript's Number::toString, the shortest round-trip digits.
    #[wasm_bindgen(js_name = String)]
    pub fn number_to_string(n: f64) -> String;

    /// `parseFloat(text)`: correctly rounded (callers pass a checked decimal literal).
    #[wasm_bindgen(js_name = parseFloat)]
    pub fn parse_float(text: &str) -> f64;
}
