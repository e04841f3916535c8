//! The thin `#[wasm_bindgen]` facade: each method converts its JS arguments,
//! calls the core once, and converts the result. No logic lives here.

pub(crate) mod alloc;
#[cfg(feature = "alloc-stats")]
mod alloc_stats;
mod condition;
pub(crate) mod host;
pub mod interop;
mod outbox;
mod personalizer;
mod storage;

use wasm_bindgen::prelude::*;

/// The shipped allocator (see `alloc`); `alloc-stats` builds wrap it in a counter.
#[cfg(not(feature = "alloc-stats"))]
#[global_allocator]
static ALLOCATOR: alloc::SizeClasses = alloc::SizeClasses::new();

use crate::json::Value;
use interop::{from_js, from_js_or_text, js_err, to_js};

pub use condition::{CompiledCondition, ConditionData};
pub use outbox::Outbox;
pub use personalizer::Personalizer;

/// A seed for the engine's generator (ids, session ids, holdout draws) when
/// the caller gives none: 64 bits from the host's CSPRNG (`crypto.getRandomValues`
/// in browsers, Node and workerd), so session ids minted in the page are not
/// predictable from `Math.random`'s recoverable state. `Math.random` remains
/// the fallback where there is no `crypto` or the host refuses the call (a
/// Worker's global scope does).
pub(crate) fn random_seed() -> u64 {
    use wasm_bindgen::JsCast;
    let words = js_sys::Uint32Array::new_with_length(2);
    let filled = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .ok()
        .filter(|crypto| crypto.is_object())
        .and_then(|crypto| {
            let fill = js_sys::Reflect::get(&crypto, &JsValue::from_str("getRandomValues")).ok()?;
            fill.dyn_ref::<js_sys::Function>()?.call1(&crypto, &words).ok()
        })
        .is_some();
    if filled {
        (u64::from(words.get_index(0)) << 32) | u64::from(words.get_index(1))
    } else {
        (js_sys::Math::random() * 9.0e15) as u64
    }
}

/// Evaluates a JsonLogic condition on plain data, exactly as rules are
/// evaluated, so merchants can test their conditions. Only the parts of
/// `data` the condition can read are converted (`condition::data_for`).
#[wasm_bindgen(js_name = evalCondition)]
pub fn eval_condition(condition: JsValue, data: JsValue) -> Result<JsValue, JsValue> {
    // A JS string is a JsonLogic string literal here, not JSON text.
    let rule = from_js(condition, "condition")?;
    let compiled = crate::logic::Condition::compile(&rule).map_err(js_err)?;
    let data = condition::data_for(&compiled, &data)?;
    to_js(&compiled.eval(&data).map_err(js_err)?)
}

/// Validates a batch of events for collection. Returns one result per event:
/// `{ok: true, event}` or `{ok: false, error: {code, path, message}}`.
#[wasm_bindgen(js_name = validateEvents)]
pub fn validate_events(batch: JsValue, now_ms: f64, seed: Option<f64>) -> Result<JsValue, JsValue> {
    let batch = from_js_or_text(batch, "")?;
    let config = crate::engine::Config { seed: seed.map_or_else(random_seed, f64::to_bits), ..Default::default() };
    let mut engine = crate::engine::Engine::new(config, now_ms);
    let results = engine.validate_batch(&batch, now_ms).map_err(js_err)?;
    let list = results
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut m = crate::json::Map::with_capacity(2);
            match r {
                Ok(ev) => {
                    m.insert("ok", Value::Bool(true));
                    m.insert("event", ev.to_value());
                }
                Err(e) => {
                    let e = e.at(&format!("[{i}]"));
                    let mut err = crate::json::Map::with_capacity(3);
                    err.insert("code", Value::from(e.code.as_str()));
                    err.insert("path", Value::from(e.path.as_str()));
                    err.insert("message", Value::from(e.message));
                    m.insert("ok", Value::Bool(false));
                    m.insert("error", Value::Object(err));
                }
            }
            Value::Object(m)
        })
        .collect();
    to_js(&Value::Array(list))
}

/// The engine's version and the formats it reads.
#[wasm_bindgen]
pub fn version() -> String {
    format!(
        "edge-personalize {} (snapshot v{})",
        env!("CARGO_PKG_VERSION"),
        crate::session::SNAPSHOT_VERSION
    )
}

/// Which build this wasm is: "size" (opt-level "z", what browsers download),
/// "speed" (opt-level 3, for Node and the Worker) or "dev" (a cargo build that
/// scripts/build-wasm.sh did not make, e.g. the wasm-bindgen tests). The same
/// engine either way; this lets a caller and the package's tests see which
/// build an entry point loaded.
#[wasm_bindgen(js_name = wasmBuild)]
pub fn wasm_build() -> String {
    option_env!("EP_WASM_BUILD").unwrap_or("dev").to_owned()
}

/// Every stable error code, for callers that switch on `error.code`.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<JsValue> {
    crate::error::ErrorCode::ALL.iter().map(|c| JsValue::from_str(c.as_str())).collect()
}
