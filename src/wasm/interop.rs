//! Conversions between JS values and the core's types, in one place.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::{Error, ErrorCode};
use crate::json::{self, Value};

/// A core error as a JS `Error` with stable `code` and `path` properties.
pub fn to_js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("EdgePersonalizeError");
    let obj: &JsValue = err.as_ref();
    // Reflect::set only fails on frozen or proxy targets; a fresh Error is neither.
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str("code"), &JsValue::from_str(e.code.as_str()));
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str("path"), &JsValue::from_str(&e.path));
    err.into()
}

pub fn js_err(e: Error) -> JsValue {
    to_js_error(&e)
}

/// A JS value (plain object, array, string, number...) as a core value.
/// Anything JSON cannot express (functions, symbols, BigInt, cycles beyond
/// the depth limit) becomes a typed error, not a panic.
pub fn from_js(v: JsValue, path: &str) -> Result<Value, JsValue> {
    from_js_at_depth(v, path, 0)
}

/// [`from_js`] for a value found `depth` arrays/objects deep in the value
/// being converted: the nesting limit counts from the outer value's root.
pub fn from_js_at_depth(v: JsValue, path: &str, depth: usize) -> Result<Value, JsValue> {
    if v.is_undefined() {
        return Ok(Value::Null);
    }
    json::deserialize_at_depth(serde_wasm_bindgen::Deserializer::from(v), depth).map_err(|e| {
        let msg = e.to_string();
        // The value deserializer's only depth error starts with "nesting deeper".
        // (serde-wasm-bindgen shows it as a JS Error: "Error: nesting deeper...").
        let text = msg.strip_prefix("Error: ").unwrap_or(&msg);
        // A JS NaN or ±Infinity is "JSON with NaN/Infinity where a number
        // belongs" (INVALID_JSON), as the same value in JSON text is; the
        // value visitor's only message for it ends "is not a JSON number".
        let code = if text.starts_with("nesting deeper") {
            ErrorCode::TooDeep
        } else if text.ends_with("is not a JSON number") {
            ErrorCode::InvalidJson
        } else {
            ErrorCode::WrongType
        };
        // The message names what was wrong with the input, not how the JS error was spelled.
        to_js_error(&Error::new(code, path, format!("not a JSON-compatible value: {text}")))
    })
}

pub(super) fn has_proto_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => map_has_proto_key(m),
        Value::Array(a) => a.iter().any(has_proto_key),
        _ => false,
    }
}

/// [`has_proto_key`] for an object's members (e.g. an event's `properties`).
pub(super) fn map_has_proto_key(m: &crate::json::Map) -> bool {
    m.iter().any(|(k, v)| k == "__proto__" || has_proto_key(v))
}

/// A failure of serde-wasm-bindgen writing a value to JS, as the engine's
/// typed error (it does not happen for values the core produced; kept typed
/// so the facade never panics or throws a bare string).
pub(super) fn ser_err(e: impl core::fmt::Display) -> JsValue {
    to_js_error(&Error::new(ErrorCode::InvalidValue, "", e.to_string()))
}

/// Like [`from_js`], but a string is parsed as JSON text first (for rules,
/// catalogs and configs that arrive as fetched text).
pub fn from_js_or_text(v: JsValue, path: &str) -> Result<Value, JsValue> {
    match v.as_string() {
        Some(text) => json::parse(&text).map_err(|e| to_js_error(&e.at(path))),
        None => from_js(v, path),
    }
}

/// A core value as a plain JS value (objects, not Maps).
pub fn to_js(v: &Value) -> Result<JsValue, JsValue> {
    // serde-wasm-bindgen sets object keys with `obj[key] = value`. For the key
    // "__proto__" that calls the prototype setter instead of making a key:
    // the key is lost, or an object value becomes the result's prototype (a
    // rule's data or an event's properties coming back altered). JSON.parse
    // makes it an own property, as JS callers' JSON has it; such values are
    // rare, so the common path stays the direct one.
    if has_proto_key(v) {
        return js_sys::JSON::parse(&json::to_json_string(v))
            .map_err(|_| to_js_error(&Error::new(ErrorCode::InvalidValue, "", "value not representable in JS")));
    }
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(ser_err)
}
