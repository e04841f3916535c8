//! Conversions between JS values and the core's types, in one place.
//!
//! A direct walk over the JS value (typeof checks, `Object.entries`, array
//! indexing) rather than serde-wasm-bindgen: the same values in and out, for
//! about a tenth of the code (serde's generic deserializer machinery, its
//! `invalid type` messages and the float formatting they pull in are not in
//! the shipped wasm).

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::{Error, ErrorCode};
use crate::json::{self, Map, Value};
use crate::limits::MAX_JSON_DEPTH;

/// A core error as a JS `Error` with stable `code` and `path` properties.
pub fn to_js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("EdgePersonalizeError");
    let obj: &JsValue = err.as_ref();
    // Reflect::set only fails on frozen or proxy targets; a fresh Error is neither.
    let _ = Reflect::set(obj, &JsValue::from_str("code"), &JsValue::from_str(e.code.as_str()));
    let _ = Reflect::set(obj, &JsValue::from_str("path"), &JsValue::from_str(&e.path));
    err.into()
}

pub fn js_err(e: Error) -> JsValue {
    to_js_error(&e)
}

/// A JS value (plain object, array, string, number...) as a core value.
///
/// `null` and `undefined` (also as object properties and array holes) are
/// null; safe-range BigInts are numbers; `Map`s with string keys are objects.
/// `NaN` and infinities are `INVALID_JSON` (as in JSON text); anything else
/// JSON cannot express (functions, symbols, byte arrays, other iterables,
/// BigInts beyond 64 bits) is `WRONG_TYPE`, and nesting deeper than
/// `MAX_JSON_DEPTH` (which every cycle reaches) is `TOO_DEEP`: never a panic.
pub fn from_js(v: JsValue, path: &str) -> Result<Value, JsValue> {
    value_from_js(&v, 0).map_err(|(code, msg)| to_js_error(&Error::new(code, path, format!("not a JSON-compatible value: {msg}"))))
}

type WalkError = (ErrorCode, String);

/// Containers are pre-sized from the JS length, but never beyond this, so a
/// huge (or proxied) array cannot make us allocate gigabytes up front.
const MAX_PREALLOC: usize = 4096;

fn wrong(what: &str) -> WalkError {
    (ErrorCode::WrongType, format!("{what} is not a JSON value"))
}

fn value_from_js(v: &JsValue, depth: usize) -> Result<Value, WalkError> {
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return if n.is_finite() {
            Ok(Value::Number(n))
        } else {
            // JSON with NaN/Infinity where a number belongs (INVALID_JSON), as
            // the same value in JSON text is.
            let text = if n.is_nan() { "NaN" } else if n > 0.0 { "Infinity" } else { "-Infinity" };
            Err((ErrorCode::InvalidJson, format!("{text} is not a JSON number")))
        };
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::String(s));
    }
    if v.is_bigint() {
        return match i64::try_from(v.clone()) {
            Ok(n) => Ok(Value::Number(n as f64)),
            Err(v) => u64::try_from(v).map(|n| Value::Number(n as f64)).map_err(|_| wrong("a BigInt outside i64..u64")),
        };
    }
    if !v.is_object() {
        return Err(wrong(if v.is_function() { "a function" } else { "a symbol" }));
    }
    if depth >= MAX_JSON_DEPTH {
        return Err((ErrorCode::TooDeep, format!("nesting deeper than {MAX_JSON_DEPTH} levels")));
    }
    let inner = depth.saturating_add(1);
    if Array::is_array(v) {
        let list: &Array = v.unchecked_ref();
        let mut items = Vec::with_capacity((list.length() as usize).min(MAX_PREALLOC));
        for i in 0..list.length() {
            items.push(value_from_js(&list.get(i), inner)?);
        }
        return Ok(Value::Array(items));
    }
    // A Map's entries, or a plain object's own enumerable string-keyed ones.
    let entries = if v.is_instance_of::<js_sys::Map>() {
        Array::from(v)
    } else if Reflect::has(v, &js_sys::Symbol::iterator()).unwrap_or(true) || v.is_instance_of::<js_sys::ArrayBuffer>() {
        return Err(wrong("an iterable or binary object other than an array or Map"));
    } else {
        Object::entries(v.unchecked_ref())
    };
    let mut map = Map::with_capacity((entries.length() as usize).min(MAX_PREALLOC));
    for i in 0..entries.length() {
        let pair: Array = entries.get(i).unchecked_into();
        let key = pair.get(0).as_string().ok_or_else(|| wrong("a Map key that is not a string"))?;
        map.insert(key, value_from_js(&pair.get(1), inner)?);
    }
    Ok(Value::Object(map))
}

/// Like [`from_js`], but a string is parsed as JSON text first (for rules,
/// catalogs and configs that arrive as fetched text).
pub fn from_js_or_text(v: JsValue, path: &str) -> Result<Value, JsValue> {
    match v.as_string() {
        Some(text) => json::parse(&text).map_err(|e| to_js_error(&e.at(path))),
        None => from_js(v, path),
    }
}

/// A core value as a plain JS value (objects, not Maps). Values are at most
/// `MAX_JSON_DEPTH` deep (the parser and [`from_js`] refuse deeper ones), so
/// the recursion is bounded.
pub fn to_js(v: &Value) -> Result<JsValue, JsValue> {
    Ok(value_to_js(v))
}

#[wasm_bindgen]
extern "C" {
    /// A fresh plain object that results are written into.
    #[wasm_bindgen(extends = Object)]
    type PlainObject;

    /// `obj[key] = value`: a plain assignment, without the try/catch wrapper
    /// `Reflect.set` gets (twice as fast for large results such as `state()`).
    #[wasm_bindgen(method, structural, indexing_setter)]
    fn set(this: &PlainObject, key: &str, value: JsValue);
}

fn value_to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => JsValue::from_f64(*n),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => {
            let list = Array::new();
            for item in items {
                list.push(&value_to_js(item));
            }
            list.into()
        }
        Value::Object(map) => {
            let obj: PlainObject = Object::new().unchecked_into();
            for (k, item) in map.iter() {
                let item = value_to_js(item);
                if k == "__proto__" {
                    // Assignment would replace the object's prototype; JSON.parse
                    // makes an own property, and so do we.
                    let field = Object::new();
                    for flag in ["writable", "enumerable", "configurable"] {
                        let _ = Reflect::set(&field, &JsValue::from_str(flag), &JsValue::TRUE);
                    }
                    let _ = Reflect::set(&field, &JsValue::from_str("value"), &item);
                    Object::define_property(&obj, &JsValue::from_str(k), &field);
                } else {
                    obj.set(k, item);
                }
            }
            obj.into()
        }
    }
}
