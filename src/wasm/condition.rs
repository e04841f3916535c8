//! A JsonLogic condition compiled once in wasm, evaluated many times: what
//! rules do inside the engine, offered to JS for testing rule sets and for
//! comparing like with like. `evalCondition` compiles and converts both
//! arguments per call; here the rule is compiled once and the data can be
//! converted once (`ConditionData`) and evaluated against many conditions.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::interop::{from_js, from_js_at_depth, js_err, to_js};
use crate::json::{Map, Value};
use crate::limits::{MAX_EVAL_ARRAY, MAX_JSON_DEPTH};
use crate::logic::{Condition, Projection};

/// `new CompiledCondition(condition)`: compiles (throws `UNKNOWN_OPERATOR`,
/// `BAD_ARITY`, `TOO_DEEP`, `TOO_LARGE` with the path in the rule).
#[wasm_bindgen]
pub struct CompiledCondition {
    condition: Condition,
    /// What `condition` can read: fixed by the rule, so found once here,
    /// not on every `evaluate`.
    reads: Projection,
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
        let condition = Condition::compile(&rule).map_err(js_err)?;
        let reads = condition.reads();
        Ok(CompiledCondition { condition, reads })
    }

    /// The condition's value on plain JS data, as `evalCondition` gives it
    /// (converting only what the condition can read).
    pub fn evaluate(&self, data: JsValue) -> Result<JsValue, JsValue> {
        let data = project(&data, &self.reads, 0)?;
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

/// The part of JS `data` that `condition` can read, converted: the
/// condition evaluates on it exactly as on the whole data (see
/// [`Projection`]), and a rule reading three fields of a 200-event session no
/// longer converts the session (~470 µs through serde-wasm-bindgen).
/// The walk follows own enumerable properties of plain objects and elements
/// of arrays, as the whole conversion does; every value it keeps is
/// converted by serde-wasm-bindgen, and anything else (a `Map`, a class
/// instance, a huge sparse array) is converted whole, so errors in what the
/// condition reads are the same. Parts it cannot read are not converted and
/// cannot fail the call.
pub(crate) fn data_for(condition: &Condition, data: &JsValue) -> Result<Value, JsValue> {
    project(data, &condition.reads(), 0)
}

/// `v`, found `depth` objects/arrays deep in the data, projected by `p`.
fn project(v: &JsValue, p: &Projection, depth: usize) -> Result<Value, JsValue> {
    let whole = || from_js_at_depth(v.clone(), "data", depth);
    if p.is_whole() {
        return whole();
    }
    let inner = depth.saturating_add(1);
    if let Some(array) = v.dyn_ref::<js_sys::Array>() {
        let len = array.length() as usize;
        if len > MAX_EVAL_ARRAY || depth >= MAX_JSON_DEPTH {
            return whole();
        }
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            out.push(match p.element(i) {
                Some(ep) => project(&array.get(i as u32), &ep, inner)?,
                None => Value::Null,
            });
        }
        return Ok(Value::Array(out));
    }
    match plain_object(v) {
        Some(object) if depth < MAX_JSON_DEPTH => {
            let mut out = Map::new();
            for (key, fp) in p.fields() {
                let k = JsValue::from_str(key);
                if object.property_is_enumerable(&k) {
                    // A getter that throws: the whole conversion reports it.
                    let Ok(field) = js_sys::Reflect::get(object, &k) else {
                        return whole();
                    };
                    out.push_unique(key, project(&field, fp, inner)?);
                }
            }
            Ok(Value::Object(out))
        }
        // Not a plain object, or past the nesting limit: the whole
        // conversion decides (and reports TOO_DEEP as it would have).
        _ => whole(),
    }
}

/// `v` as an object whose prototype is `Object.prototype` or `null`: one
/// the whole conversion reads as its own enumerable properties.
fn plain_object(v: &JsValue) -> Option<&js_sys::Object> {
    let object = v.dyn_ref::<js_sys::Object>()?;
    if v.is_function() {
        return None;
    }
    let proto = js_sys::Object::get_prototype_of(v);
    if proto.is_null() || js_sys::Object::get_prototype_of(&proto).is_null() {
        Some(object)
    } else {
        None
    }
}
