//! `Personalizer`: the engine for one shopper, as JS sees it.

use wasm_bindgen::prelude::*;

use super::interop::{from_js, from_js_or_text, js_err, to_js};
use super::storage;
use crate::engine::{Config, Engine};
use crate::json::{Map, Value};

fn now() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen]
pub struct Personalizer {
    engine: Engine,
}

#[wasm_bindgen]
impl Personalizer {
    /// `new Personalizer({seed?, sessionId?, userId?, halfLifeSeconds?, holdoutShare?, diversityCap?, weights?})`
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Personalizer, JsValue> {
        let v = from_js_or_text(config, "config")?;
        let mut config = Config::from_value(&v).map_err(js_err)?;
        if v.get("seed").is_none() {
            config.seed = super::random_seed();
        }
        Ok(Personalizer { engine: Engine::new(config, now()) })
    }

    /// Tracks an event; returns it as stored (id, ts, sessionId, group filled in).
    pub fn track(&mut self, event: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js(event, "event")?;
        let ev = self.engine.track(&v, now()).map_err(js_err)?;
        to_js(&ev.to_value())
    }

    /// Decides a slot: `{slot, k, context?, item?, exclude?, excludeCart?, excludePurchased?}`.
    pub fn decide(&mut self, request: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js(request, "request")?;
        let d = self.engine.decide(&v, now()).map_err(js_err)?;
        to_js(&d.to_value())
    }

    /// The session as compact bytes, for storage in the page or at the edge.
    pub fn snapshot(&self) -> Vec<u8> {
        self.engine.snapshot()
    }

    /// Restores a snapshot. Bad bytes throw (`SNAPSHOT_CORRUPT`,
    /// `SNAPSHOT_VERSION`, `TOO_LARGE`) and leave a fresh session behind.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), JsValue> {
        self.engine.restore(bytes, now()).map_err(js_err)
    }

    /// Saves the snapshot in `localStorage` under `key` (browser only).
    #[wasm_bindgen(js_name = saveToStorage)]
    pub fn save_to_storage(&self, key: &str) -> Result<(), JsValue> {
        storage::save(key, &self.engine.snapshot()).map_err(js_err)
    }

    /// Restores from `localStorage`; returns false when nothing is stored.
    /// A corrupted stored value throws and leaves a fresh session behind.
    #[wasm_bindgen(js_name = restoreFromStorage)]
    pub fn restore_from_storage(&mut self, key: &str) -> Result<bool, JsValue> {
        match storage::load(key) {
            Ok(None) => Ok(false),
            Ok(Some(bytes)) => self.engine.restore(&bytes, now()).map(|_| true).map_err(js_err),
            Err(e) => {
                if e.code == crate::error::ErrorCode::SnapshotCorrupt {
                    self.engine.reset_session(now());
                }
                Err(js_err(e))
            }
        }
    }

    /// Replaces the rule set (JSON text or object). A bad set throws and
    /// keeps the previous rules.
    #[wasm_bindgen(js_name = loadRules)]
    pub fn load_rules(&mut self, rules: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js_or_text(rules, "rules")?;
        let n = self.engine.load_rules(&v).map_err(js_err)?;
        let mut m = Map::new();
        m.insert("rules", Value::Number(n as f64));
        to_js(&Value::Object(m))
    }

    /// Replaces the catalog (JSON text or object). A bad catalog throws and
    /// keeps the previous one.
    #[wasm_bindgen(js_name = loadCatalog)]
    pub fn load_catalog(&mut self, catalog: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js_or_text(catalog, "catalog")?;
        let info = self.engine.load_catalog(&v).map_err(js_err)?;
        let mut m = Map::new();
        m.insert("items", Value::Number(info.items as f64));
        m.insert("danglingRelations", Value::Number(info.dangling_relations as f64));
        m.insert("version", Value::from(info.version));
        to_js(&Value::Object(m))
    }

    /// Loads a model artifact built by `ep-model`. A bad artifact throws
    /// (`MODEL_CORRUPT`, `MODEL_VERSION`) and keeps the previous model.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&mut self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let version = self.engine.load_model(bytes).map_err(js_err)?;
        let mut m = Map::new();
        m.insert("version", Value::from(version));
        to_js(&Value::Object(m))
    }

    /// The live session (recent items, top affinities, cart, counters) and
    /// what the engine runs with: for debug drawers.
    pub fn state(&self) -> Result<JsValue, JsValue> {
        to_js(&self.engine.state(now()))
    }

    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> String {
        self.engine.session().id.clone()
    }

    /// "treatment" or "holdout".
    #[wasm_bindgen(getter)]
    pub fn group(&self) -> String {
        self.engine.group().to_string()
    }
}
