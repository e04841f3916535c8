//! A JsonLogic condition compiled once in wasm, evaluated many times: what
//! rules do inside the engine, offered to JS for testing rule sets and for
//! comparing like with like. `evalCondition` compiles and converts both
//! arguments per call; here the rule is compiled once and the data can be
//! converted once (`ConditionData`) and evaluated against many conditions.

use wasm_bindgen::prelude::*;

use super::interop::{from_js, js_err, to_js};
use crate::json::Value;
use crate::logic::Condition;

/// `new CompiledCondition(condition)`: compiles (throws `UNKNOWN_OPERATOR`,
/// `BAD_ARITY`, `TOO_DEEP`, `TOO_LARGE` with the path in the rule).
#[wasm_bindgen]
pub struct CompiledCondition {
    condition: Condition,
}

/// `new ConditionData(data)`: plain data converted into wasm once.
#[wasm_bindgen]
pub struct ConditionData {
    data: Value,
}

#[wasm_bindgen]
impl ConditionData {
    #[wasm_bindgen(constructor)]
    pub fn new(data: JsValue) -> Result<ConditionData, JsValue> {
        Ok(ConditionData { data: from_js(data, "data")? })
    }
}

#[wasm_bindgen]
impl CompiledCondition {
    #[wasm_bindgen(constructor)]
    pub fn new(condition: JsValue) -> Result<CompiledCondition, JsValue> {
        let rule = from_js(condition, "condition")?;
        Ok(CompiledCondition { condition: Condition::compile(&rule).map_err(js_err)? })
    }

    /// The condition's value on plain JS data, as `evalCondition` gives it.
    pub fn evaluate(&self, data: JsValue) -> Result<JsValue, JsValue> {
        let data = from_js(data, "data")?;
        to_js(&self.condition.eval(&data).map_err(js_err)?)
    }

    /// Whether the condition holds (JsonLogic truthiness) on data converted
    /// once: no conversion per call.
    pub fn matches(&self, data: &ConditionData) -> Result<bool, JsValue> {
        self.condition.matches(&data.data).map_err(js_err)
    }

    /// The condition's value on data converted once.
    #[wasm_bindgen(js_name = evaluateOn)]
    pub fn evaluate_on(&self, data: &ConditionData) -> Result<JsValue, JsValue> {
        to_js(&self.condition.eval(&data.data).map_err(js_err)?)
    }
}
