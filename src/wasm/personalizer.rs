//! `Personalizer`: the engine for one shopper, as JS sees it.

use wasm_bindgen::prelude::*;

use super::interop::{from_js, from_js_or_text, js_err, map_has_proto_key, ser_err, to_js};
use super::storage;
use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::decide::{DecisionRef, ReasonText};
use crate::engine::{Config, Engine};
use crate::event::Event;
use crate::json::{Map, Value};

/// Builds a decision as JS sees it: the same fields, order and values as
/// [`crate::decide::Decision::to_value`] (the native API's form);
/// tests/wasm_node.rs checks them. Built straight from the borrowed form with
/// one setter call per field. The texts that repeat in every decision are
/// decoded into JS strings once and handed out again: the rules' ids and
/// `rule:<id>` reasons and the relation reasons ([`TextsByAddress`], by the
/// id's address in the rule set or the catalog) and the item ids
/// ([`ItemIdsJs`], by catalog index); decoding them (~63 per decision in the
/// bench) was the largest part of handing a decision to JS. The rest (the
/// id, the slot, category and brand reasons) is decoded each time: a cache found by text cost more bytes and, on a
/// miss, more time than the decode.
struct DecisionJs {
    keys: DecisionKeys,
    rule_texts: TextsByAddress,
    relation_texts: TextsByAddress,
    item_ids: ItemIdsJs,
    /// Each reason is written here (one buffer, not a `String` per reason).
    reason: String,
}

/// The decision's field names as JS strings, made once per `Personalizer`.
struct DecisionKeys {
    decision_id: JsValue,
    slot: JsValue,
    items: JsValue,
    id: JsValue,
    score: JsValue,
    reasons: JsValue,
    rules_fired: JsValue,
    rule_errors: JsValue,
    rule: JsValue,
    code: JsValue,
    message: JsValue,
    fallback_used: JsValue,
    group: JsValue,
    model_version: JsValue,
}

/// The catalog's item ids as JS strings, by catalog index, made the first
/// time an item is shown. Valid for one catalog generation (each built
/// catalog draws a new one; a clone, with the same items, keeps it):
/// another generation empties them.
struct ItemIdsJs {
    generation: u64,
    by_index: Vec<Option<JsValue>>,
    /// Where a string is made when it cannot be kept (an index past any
    /// vector size: never for a catalog's own index).
    spare: JsValue,
}

impl ItemIdsJs {
    /// Borrowed, not cloned: the setters take it by reference, so no
    /// externref slot is taken and freed per use.
    fn get(&mut self, generation: u64, index: u32, id: &str) -> &JsValue {
        if generation != self.generation {
            self.by_index.clear();
            self.generation = generation;
        }
        let at = index as usize;
        if self.by_index.len() <= at {
            self.by_index.resize(at.saturating_add(1), None);
        }
        match self.by_index.get_mut(at) {
            Some(slot) => slot.get_or_insert_with(|| JsValue::from_str(id)),
            None => {
                self.spare = JsValue::from_str(id);
                &self.spare
            }
        }
    }
}

/// JS strings for texts made from an id that lives at a fixed address while
/// its source is unchanged: the rules' ids and `rule:<id>` reasons (in the
/// engine's rule set) and relation reasons (`related:<id>`, the id in the
/// catalog). Found by the id's address and length and a tag for which text
/// of that id (no hashing of the text, no compare), valid for one generation
/// of the source: while it is unchanged an address names one text; another
/// generation empties them. Direct-mapped (a slot per address hash; a
/// collision replaces the slot, and a miss only decodes again): far fewer
/// bytes than a hash map.
struct TextsByAddress {
    generation: u64,
    slots: Vec<AddressSlot>,
    /// Where a string is made when no slot is there (never after `check`).
    spare: JsValue,
}

#[derive(Default, Clone)]
struct AddressSlot {
    at: usize,
    len: usize,
    tag: u8,
    js: Option<JsValue>,
}

impl TextsByAddress {
    const SLOTS: usize = 512;

    fn new() -> Self {
        TextsByAddress { generation: 0, slots: Vec::new(), spare: JsValue::UNDEFINED }
    }

    fn check(&mut self, generation: u64) {
        if generation != self.generation || self.slots.len() != Self::SLOTS {
            self.slots.clear();
            self.slots.resize(Self::SLOTS, AddressSlot::default());
            self.generation = generation;
        }
    }

    /// `text`, the text number `tag` made from the id `id`.
    /// Borrowed, not cloned: the setters take it by reference.
    fn get(&mut self, id: &str, tag: u8, text: &str) -> &JsValue {
        let at = id.as_ptr() as usize;
        // Fibonacci hashing of the address's low 32 bits (plus the tag): the top 9 bits pick one of 512 slots.
        let pick = ((at as u32).wrapping_add(u32::from(tag)).wrapping_mul(0x9E37_79B9) >> 23) as usize;
        let Some(slot) = self.slots.get_mut(pick) else {
            self.spare = JsValue::from_str(text);
            return &self.spare;
        };
        if slot.at != at || slot.len != id.len() || slot.tag != tag {
            *slot = AddressSlot { at, len: id.len(), tag, js: None };
        }
        slot.js.get_or_insert_with(|| JsValue::from_str(text))
    }
}

/// [`TextsByAddress`] tags of a rule id's texts.
const RULE_ID: u8 = 0;
const RULE_REASON: u8 = 1;

#[wasm_bindgen]
extern "C" {
    /// A plain object or array, written with `target[key] = value` (as
    /// serde-wasm-bindgen writes them: no `Reflect` wrapper, no try/catch).
    type JsTarget;

    #[wasm_bindgen(method, indexing_setter)]
    fn set(this: &JsTarget, key: &JsValue, value: JsValue);

    #[wasm_bindgen(method, indexing_setter)]
    fn set_at(this: &JsTarget, index: u32, value: JsValue);

    /// The same setters for a value kept on the Rust side (passed by reference: no externref slot taken and freed).
    #[wasm_bindgen(method, indexing_setter)]
    fn set_kept(this: &JsTarget, key: &JsValue, value: &JsValue);

    #[wasm_bindgen(method, indexing_setter)]
    fn set_kept_at(this: &JsTarget, index: u32, value: &JsValue);
}

fn new_object() -> JsTarget {
    js_sys::Object::new().unchecked_into()
}

fn new_array() -> JsTarget {
    js_sys::Array::new().unchecked_into()
}

impl DecisionJs {
    fn new() -> Self {
        let k = JsValue::from_str;
        DecisionJs {
            keys: DecisionKeys {
                decision_id: k("decisionId"),
                slot: k("slot"),
                items: k("items"),
                id: k("id"),
                score: k("score"),
                reasons: k("reasons"),
                rules_fired: k("rulesFired"),
                rule_errors: k("ruleErrors"),
                rule: k("rule"),
                code: k("code"),
                message: k("message"),
                fallback_used: k("fallbackUsed"),
                group: k("group"),
                model_version: k("modelVersion"),
            },
            item_ids: ItemIdsJs { generation: 0, by_index: Vec::new(), spare: JsValue::UNDEFINED },
            rule_texts: TextsByAddress::new(),
            relation_texts: TextsByAddress::new(),
            reason: String::with_capacity(64),
        }
    }

    fn build(&mut self, d: &DecisionRef<'_>) -> JsValue {
        let keys = &self.keys;
        let rule_texts = &mut self.rule_texts;
        rule_texts.check(d.rules_generation);
        let relation_texts = &mut self.relation_texts;
        relation_texts.check(d.catalog_generation);
        let o = new_object();
        o.set(&keys.decision_id, JsValue::from_str(&d.id));
        o.set(&keys.slot, JsValue::from_str(&d.slot));
        let items = new_array();
        for (index, item) in (0u32..).zip(d.items.iter()) {
            let it = new_object();
            it.set_kept(&keys.id, self.item_ids.get(d.catalog_generation, item.catalog_index, item.id));
            it.set(&keys.score, JsValue::from_f64(crate::decide::rounded_score(item.score)));
            let reasons = new_array();
            let mut at = 0u32;
            let done: Result<(), core::convert::Infallible> = item.each_reason(&mut self.reason, |r| {
                match r {
                    ReasonText::Rule { id, text } => reasons.set_kept_at(at, rule_texts.get(id, RULE_REASON, text)),
                    ReasonText::Relation { kind, id, text } => reasons.set_kept_at(at, relation_texts.get(id, kind as u8, text)),
                    ReasonText::Other(text) => reasons.set_at(at, JsValue::from_str(text)),
                }
                at = at.wrapping_add(1); // at most MAX_REASONS
                Ok(())
            });
            let Ok(()) = done;
            it.set(&keys.reasons, reasons.into());
            items.set_at(index, it.into());
        }
        o.set(&keys.items, items.into());
        let fired = new_array();
        for (index, rule) in (0u32..).zip(d.rules_fired.iter()) {
            fired.set_kept_at(index, rule_texts.get(rule, RULE_ID, rule));
        }
        o.set(&keys.rules_fired, fired.into());
        if !d.rule_failures.is_empty() {
            let failures = new_array();
            for (index, f) in (0u32..).zip(d.rule_failures.iter()) {
                let e = new_object();
                e.set(&keys.rule, JsValue::from_str(&f.rule));
                e.set(&keys.code, JsValue::from_str(f.code));
                e.set(&keys.message, JsValue::from_str(&f.message));
                failures.set_at(index, e.into());
            }
            o.set(&keys.rule_errors, failures.into());
        }
        o.set(&keys.fallback_used, JsValue::from_bool(d.fallback_used));
        o.set(&keys.group, JsValue::from_str(d.group));
        o.set(&keys.model_version, d.model_version.map_or(JsValue::NULL, JsValue::from_str));
        o.into()
    }
}

/// A stored [`Event`] as JS sees it: the same fields, order and values as
/// [`Event::to_value`]; tests/wasm_node.rs checks them. Serialized straight
/// from the event, not through that value tree: building, converting and
/// dropping the tree was a third of a wasm `track`, and fixed field names go
/// to JS as strings serde-wasm-bindgen caches (a map's keys are decoded anew
/// for every event).
struct EventOut<'a>(&'a Event);

struct ContextOut<'a>(&'a crate::event::Context);

struct ItemRefOut<'a>(&'a crate::event::ItemRef);

/// `Some` fields only, as `Event::to_value` leaves out absent ones.
fn field_opt<S: SerializeStruct, T: Serialize>(o: &mut S, key: &'static str, v: &Option<T>) -> Result<(), S::Error> {
    match v {
        Some(v) => o.serialize_field(key, v),
        None => Ok(()),
    }
}

impl Serialize for EventOut<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut o = ser.serialize_struct("Event", 16)?;
        field_opt(&mut o, "id", &e.id)?;
        o.serialize_field("type", e.kind.as_str())?;
        field_opt(&mut o, "sessionId", &e.session_id)?;
        field_opt(&mut o, "userId", &e.user_id)?;
        field_opt(&mut o, "ts", &e.ts)?;
        let c = &e.context;
        if c.page.is_some() || c.slot.is_some() || c.device.is_some() {
            o.serialize_field("context", &ContextOut(c))?;
        }
        if let Some(item) = &e.item {
            o.serialize_field("item", &ItemRefOut(item))?;
        }
        if !e.items.is_empty() {
            o.serialize_field("items", &SeqOut(e.items.iter().map(ItemRefOut)))?;
        }
        field_opt(&mut o, "decisionId", &e.decision_id)?;
        field_opt(&mut o, "query", &e.query)?;
        field_opt(&mut o, "name", &e.name)?;
        field_opt(&mut o, "properties", &e.properties.as_ref().map(PropertiesOut))?;
        field_opt(&mut o, "group", &e.group)?;
        field_opt(&mut o, "receivedAt", &e.received_at)?;
        field_opt(&mut o, "country", &e.country)?;
        field_opt(&mut o, "colo", &e.colo)?;
        o.end()
    }
}

impl Serialize for ContextOut<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut o = ser.serialize_struct("Context", 3)?;
        field_opt(&mut o, "page", &self.0.page)?;
        field_opt(&mut o, "slot", &self.0.slot)?;
        field_opt(&mut o, "device", &self.0.device)?;
        o.end()
    }
}

impl Serialize for ItemRefOut<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let it = self.0;
        let mut o = ser.serialize_struct("Item", 5)?;
        o.serialize_field("id", &it.id)?;
        field_opt(&mut o, "category", &it.category)?;
        field_opt(&mut o, "brand", &it.brand)?;
        field_opt(&mut o, "price", &it.price)?;
        // A number, as `Event::to_value` has it (u32 would go out as one too,
        // but through another serde path).
        field_opt(&mut o, "quantity", &it.quantity.map(f64::from))?;
        o.end()
    }
}

/// An event's free-form properties: a map with the caller's keys.
struct PropertiesOut<'a>(&'a Map);

impl Serialize for PropertiesOut<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_map(self.0.iter())
    }
}

/// A sequence serialized from an iterator, without collecting it first.
struct SeqOut<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for SeqOut<I> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.clone())
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen]
pub struct Personalizer {
    engine: Engine,
    decision_js: DecisionJs,
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
        Ok(Personalizer { engine: Engine::new(config, now()), decision_js: DecisionJs::new() })
    }

    /// Tracks an event; returns it as stored (id, ts, sessionId, group filled in).
    pub fn track(&mut self, event: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js(event, "event")?;
        let ev = self.engine.track(&v, now()).map_err(js_err)?;
        // Only `properties` has the caller's keys; one named "__proto__"
        // needs `to_js`'s detour (see there), which works on the value tree.
        if ev.properties.as_ref().is_some_and(map_has_proto_key) {
            return to_js(&ev.to_value());
        }
        EventOut(&ev).serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(ser_err)
    }

    /// Tracks a list of events in order, as `track` would one by one, without
    /// handing the stored events back: for callers that only need to know
    /// which were counted (a Worker's `/v1/collect`). Returns an array as long
    /// as `events`: `null` where the event was tracked, else the error `track`
    /// would have thrown for it (same `code`, `path` and message). One bad
    /// event does not stop the rest. Not an array: throws WRONG_TYPE.
    #[wasm_bindgen(js_name = trackMany)]
    pub fn track_many(&mut self, events: JsValue) -> Result<js_sys::Array, JsValue> {
        let Some(list) = events.dyn_ref::<js_sys::Array>() else {
            let e = crate::error::Error::new(crate::error::ErrorCode::WrongType, "events", "expected an array of events");
            return Err(js_err(e));
        };
        let outcomes = js_sys::Array::new_with_length(list.length());
        for (index, event) in list.iter().enumerate() {
            let outcome = match from_js(event, "event") {
                Ok(v) => match self.engine.track(&v, now()) {
                    Ok(_) => JsValue::NULL,
                    Err(e) => js_err(e),
                },
                Err(e) => e,
            };
            outcomes.set(index as u32, outcome);
        }
        Ok(outcomes)
    }

    /// Decides a slot: `{slot, k, context?, item?, exclude?, excludeCart?, excludePurchased?}`.
    pub fn decide(&mut self, request: JsValue) -> Result<JsValue, JsValue> {
        let v = from_js(request, "request")?;
        // Straight from the decision, not through `Decision::to_value`:
        // building and then dropping that value tree (every id and reason
        // copied once more) was a tenth of a wasm decide.
        let builder = &mut self.decision_js;
        self.engine.decide_then(&v, now(), |decision| builder.build(decision)).map_err(js_err)
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
