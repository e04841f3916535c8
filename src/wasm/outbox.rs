//! `Outbox`: the core's outbox state machine (`crate::outbox`) as JS sees it.
//! The browser adapter (`pkg-template/src/sync/`) does storage, transport and
//! tab coordination, and asks this object what to send and what each answer
//! settled. Each method converts, calls the core once, converts back.

use wasm_bindgen::prelude::*;

use super::interop::{from_js_or_text, js_err, to_js};
use crate::json::Value;
use crate::outbox::{Outbox as Core, OutboxConfig};

fn now() -> f64 {
    js_sys::Date::now()
}

fn ids(list: &[String]) -> Value {
    Value::Array(list.iter().map(|s| Value::from(s.as_str())).collect())
}

#[wasm_bindgen]
pub struct Outbox {
    core: Core,
}

#[wasm_bindgen]
impl Outbox {
    /// `new Outbox({batchEvents?, batchBytes?, flushIntervalMs?, maxEvents?, maxBytes?,
    /// dropPolicy?, backoffBaseMs?, backoffMaxMs?, maxAgeMs?})`
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Outbox, JsValue> {
        let c = OutboxConfig::from_value(&from_js_or_text(config, "config")?).map_err(js_err)?;
        Ok(Outbox { core: Core::new(c, super::random_seed()) })
    }

    /// Adds an event (its JSON text, with `id`); `at` is when it was first
    /// stored (default now). Returns `{id, duplicate, dropped: [ids]}`.
    pub fn enqueue(&mut self, event: &str, urgent: bool, at: Option<f64>) -> Result<JsValue, JsValue> {
        let r = self.core.enqueue(event, urgent, at.unwrap_or_else(now)).map_err(js_err)?;
        let mut m = crate::json::Map::with_capacity(3);
        m.insert("id", Value::from(r.id));
        m.insert("duplicate", Value::Bool(r.duplicate));
        m.insert("dropped", ids(&r.dropped));
        to_js(&Value::Object(m))
    }

    /// The next batch `{seq, ids, body}` to POST, or null.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&mut self, force: bool) -> Result<JsValue, JsValue> {
        let Some(b) = self.core.next_batch(now(), force) else { return Ok(JsValue::NULL) };
        let mut m = crate::json::Map::with_capacity(3);
        m.insert("seq", Value::Number(b.seq as f64));
        m.insert("ids", ids(&b.ids));
        m.insert("body", Value::from(b.body));
        to_js(&Value::Object(m))
    }

    /// The answer to batch `seq` (status 0: network error). Returns
    /// `{delivered: [ids], rejected: [{id, code, message}], requeued, retryAt}`.
    #[wasm_bindgen(js_name = onResponse)]
    pub fn on_response(&mut self, seq: f64, status: u16, retry_after: Option<f64>, body: &str) -> Result<JsValue, JsValue> {
        to_js(&self.core.on_response(seq as u64, status, retry_after, body, now()).to_value())
    }

    #[wasm_bindgen(js_name = setOnline)]
    pub fn set_online(&mut self, online: bool) {
        self.core.set_online(online, now())
    }

    /// Every waiting event as bodies of at most `maxBytes`, for unload sends.
    #[wasm_bindgen(js_name = unloadChunks)]
    pub fn unload_chunks(&self, max_bytes: usize) -> Result<JsValue, JsValue> {
        to_js(&ids(&self.core.unload_chunks(max_bytes)))
    }

    /// Ids dropped for age (counted as dropped).
    pub fn expire(&mut self) -> Result<JsValue, JsValue> {
        to_js(&ids(&self.core.expire(now())))
    }

    /// Puts the in-flight batch back in the queue (no answer will come).
    pub fn abandon(&mut self) -> usize {
        self.core.abandon_in_flight()
    }

    /// When to call `nextBatch` again (ms since the epoch), or undefined when empty.
    #[wasm_bindgen(js_name = nextWake)]
    pub fn next_wake(&self) -> Option<f64> {
        self.core.next_wake_ms()
    }

    /// Drops not yet reported; counts them as reported.
    #[wasm_bindgen(js_name = takeDropsToReport)]
    pub fn take_drops_to_report(&mut self) -> f64 {
        self.core.take_drops_to_report() as f64
    }

    /// `{queued, inFlight, bytes, delivered, rejected, dropped, dropsUnreported, attempts, retryAt, online, lastError}`
    pub fn status(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.status().to_value())
    }
}
