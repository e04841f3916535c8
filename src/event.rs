//! The events a storefront emits, and their validation.
//!
//! Events arrive as JSON (from the page, from server-side sources, from the
//! Worker's `/v1/collect`). [`Event::from_value`] checks every field and
//! returns a typed [`Event`] or an [`Error`] naming the field and the problem,
//! so the browser and the edge reject exactly the same things.

use crate::error::{Error, ErrorCode, Result};
use crate::json::{Map, Value};
use crate::limits::{
    MAX_COUNTRY_LEN, MAX_ECHOED_CHARS, MAX_EVENT_PROPERTIES, MAX_FUTURE_SKEW_MS, MAX_ID_LEN, MAX_IMPRESSION_ITEMS,
    MAX_LABEL_LEN, MAX_QUANTITY, MAX_TEXT_LEN, MIN_TIMESTAMP_MS,
};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    PageView,
    ProductView,
    ProductClick,
    AddToCart,
    RemoveFromCart,
    Purchase,
    Search,
    Impression,
    Custom,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::PageView,
        EventType::ProductView,
        EventType::ProductClick,
        EventType::AddToCart,
        EventType::RemoveFromCart,
        EventType::Purchase,
        EventType::Search,
        EventType::Impression,
        EventType::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PageView => "page_view",
            EventType::ProductView => "product_view",
            EventType::ProductClick => "product_click",
            EventType::AddToCart => "add_to_cart",
            EventType::RemoveFromCart => "remove_from_cart",
            EventType::Purchase => "purchase",
            EventType::Search => "search",
            EventType::Impression => "impression",
            EventType::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// Small stable number for the snapshot format.
    pub fn code(self) -> u8 {
        EventType::ALL.iter().position(|t| *t == self).unwrap_or(0) as u8
    }

    pub fn from_code(c: u8) -> Option<EventType> {
        EventType::ALL.get(c as usize).copied()
    }

    /// How much an event of this type says about what the shopper wants.
    /// Purchase > add to cart > click > view; the model builder uses the same order.
    pub fn intent_weight(self) -> f64 {
        match self {
            EventType::Purchase => 5.0,
            EventType::AddToCart => 3.0,
            EventType::ProductClick => 1.5,
            EventType::ProductView => 1.0,
            EventType::RemoveFromCart => -1.0,
            _ => 0.0,
        }
    }
}

/// An item as an event mentions it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemRef {
    pub id: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price: Option<f64>,
    pub quantity: Option<u32>,
}

/// Where the event happened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    pub page: Option<String>,
    pub slot: Option<String>,
    pub device: Option<String>,
}

/// A validated event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Unique, time-ordered id; assigned at track time when absent.
    pub id: Option<String>,
    pub kind: EventType,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    /// Milliseconds since the epoch; the tracking time when absent.
    pub ts: Option<f64>,
    pub context: Context,
    /// The item of item events (view, click, cart).
    pub item: Option<ItemRef>,
    /// The items of purchases and impressions.
    pub items: Vec<ItemRef>,
    /// The decision that chose the items (impressions, clicks from a slot).
    pub decision_id: Option<String>,
    pub query: Option<String>,
    /// The name of a custom event.
    pub name: Option<String>,
    pub properties: Option<Map>,
    /// "treatment" or "holdout", recorded by the engine so uplift can be measured.
    pub group: Option<String>,
    /// Enrichment added at the edge.
    pub received_at: Option<f64>,
    pub country: Option<String>,
    pub colo: Option<String>,
}

const KNOWN_FIELDS: &[&str] = &[
    "id", "type", "sessionId", "userId", "ts", "context", "item", "items", "decisionId", "query",
    "name", "properties", "group", "receivedAt", "country", "colo",
];

impl Event {
    /// Validates a JSON event. `now_ms` bounds timestamps from the future.
    pub fn from_value(v: &Value, now_ms: f64) -> Result<Event> {
        let obj = v.as_object().ok_or_else(|| wrong_type("", "an object", v))?;
        for key in obj.keys() {
            if !KNOWN_FIELDS.contains(&key) {
                return Err(Error::new(
                    ErrorCode::InvalidValue,
                    key,
                    format!("unknown field \"{}\"", truncate(key)),
                ));
            }
        }
        let kind_text = req_str(obj, "type", MAX_ID_LEN)?;
        let kind = EventType::parse(&kind_text).ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidValue,
                "type",
                format!("unknown event type \"{}\"", truncate(&kind_text)),
            )
        })?;
        let ts = match obj.get("ts") {
            None | Some(Value::Null) => None,
            Some(t) => Some(timestamp(t, "ts", now_ms)?),
        };
        let received_at = match obj.get("receivedAt") {
            None | Some(Value::Null) => None,
            Some(t) => Some(timestamp(t, "receivedAt", now_ms)?),
        };
        let mut ev = Event {
            id: opt_id(obj, "id")?,
            kind,
            session_id: opt_id(obj, "sessionId")?,
            user_id: opt_id(obj, "userId")?,
            ts,
            context: match obj.get("context") {
                None | Some(Value::Null) => Context::default(),
                Some(c) => context(c).map_err(|e| e.at("context"))?,
            },
            item: match obj.get("item") {
                None | Some(Value::Null) => None,
                Some(i) => Some(item_ref(i).map_err(|e| e.at("item"))?),
            },
            items: match obj.get("items") {
                None | Some(Value::Null) => Vec::new(),
                Some(list) => item_list(list).map_err(|e| e.at("items"))?,
            },
            decision_id: opt_id(obj, "decisionId")?,
            query: opt_str(obj, "query", MAX_TEXT_LEN)?,
            name: opt_str(obj, "name", MAX_ID_LEN)?,
            properties: match obj.get("properties") {
                None | Some(Value::Null) => None,
                Some(p) => Some(properties(p)?),
            },
            group: opt_str(obj, "group", MAX_LABEL_LEN)?,
            received_at,
            country: opt_str(obj, "country", MAX_COUNTRY_LEN)?,
            colo: opt_str(obj, "colo", MAX_LABEL_LEN)?,
        };
        ev.check_shape()?;
        if ev.kind == EventType::Purchase && ev.items.is_empty() {
            // A purchase of one item may use `item`; keep one representation.
            if let Some(it) = ev.item.take() {
                ev.items.push(it);
            }
        }
        Ok(ev)
    }

    /// Per-type required fields.
    fn check_shape(&self) -> Result<()> {
        match self.kind {
            EventType::ProductView
            | EventType::ProductClick
            | EventType::AddToCart
            | EventType::RemoveFromCart => {
                if self.item.is_none() {
                    return Err(missing("item", self.kind));
                }
            }
            EventType::Purchase => {
                if self.item.is_none() && self.items.is_empty() {
                    return Err(missing("items", self.kind));
                }
            }
            EventType::Impression => {
                if self.items.is_empty() {
                    return Err(missing("items", self.kind));
                }
            }
            EventType::Search => {
                if self.query.is_none() {
                    return Err(missing("query", self.kind));
                }
            }
            EventType::Custom => {
                if self.name.is_none() {
                    return Err(missing("name", self.kind));
                }
            }
            EventType::PageView => {}
        }
        Ok(())
    }

    /// The items this event is about (the single item or the list).
    pub fn all_items(&self) -> impl Iterator<Item = &ItemRef> {
        self.item.iter().chain(self.items.iter())
    }

    /// The event as JSON, with the same field names it was accepted with.
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(12);
        put_opt(&mut m, "id", &self.id);
        m.insert("type", Value::from(self.kind.as_str()));
        put_opt(&mut m, "sessionId", &self.session_id);
        put_opt(&mut m, "userId", &self.user_id);
        if let Some(ts) = self.ts {
            m.insert("ts", Value::Number(ts));
        }
        let ctx = context_value(&self.context);
        if !ctx.is_empty() {
            m.insert("context", Value::Object(ctx));
        }
        if let Some(it) = &self.item {
            m.insert("item", item_value(it));
        }
        if !self.items.is_empty() {
            m.insert("items", Value::Array(self.items.iter().map(item_value).collect()));
        }
        put_opt(&mut m, "decisionId", &self.decision_id);
        put_opt(&mut m, "query", &self.query);
        put_opt(&mut m, "name", &self.name);
        if let Some(p) = &self.properties {
            m.insert("properties", Value::Object(p.clone()));
        }
        put_opt(&mut m, "group", &self.group);
        if let Some(r) = self.received_at {
            m.insert("receivedAt", Value::Number(r));
        }
        put_opt(&mut m, "country", &self.country);
        put_opt(&mut m, "colo", &self.colo);
        Value::Object(m)
    }
}

fn put_opt(m: &mut Map, key: &str, v: &Option<String>) {
    if let Some(s) = v {
        m.insert(key, Value::from(s.as_str()));
    }
}

fn context_value(c: &Context) -> Map {
    let mut m = Map::new();
    put_opt(&mut m, "page", &c.page);
    put_opt(&mut m, "slot", &c.slot);
    put_opt(&mut m, "device", &c.device);
    m
}

fn item_value(it: &ItemRef) -> Value {
    let mut m = Map::with_capacity(5);
    m.insert("id", Value::from(it.id.as_str()));
    put_opt(&mut m, "category", &it.category);
    put_opt(&mut m, "brand", &it.brand);
    if let Some(p) = it.price {
        m.insert("price", Value::Number(p));
    }
    if let Some(q) = it.quantity {
        m.insert("quantity", Value::Number(q as f64));
    }
    Value::Object(m)
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_ECHOED_CHARS).collect()
}

fn wrong_type(path: &str, expected: &str, got: &Value) -> Error {
    Error::new(
        ErrorCode::WrongType,
        path,
        format!("expected {expected}, got {}", got.type_name()),
    )
}

fn missing(field: &str, kind: EventType) -> Error {
    Error::new(
        ErrorCode::MissingField,
        field,
        format!("\"{field}\" is required for {} events", kind.as_str()),
    )
}

/// A string field with a length bound (in bytes of UTF-8).
fn string_in(v: &Value, path: &str, max: usize) -> Result<String> {
    let s = v.as_str().ok_or_else(|| wrong_type(path, "a string", v))?;
    if s.len() > max {
        return Err(Error::new(
            ErrorCode::TooLarge,
            path,
            format!("too long: {} bytes, at most {max}", s.len()),
        ));
    }
    Ok(s.to_string())
}

fn req_str(obj: &Map, key: &str, max: usize) -> Result<String> {
    match obj.get(key) {
        None | Some(Value::Null) => {
            Err(Error::new(ErrorCode::MissingField, key, format!("\"{key}\" is required")))
        }
        Some(v) => string_in(v, key, max),
    }
}

fn opt_str(obj: &Map, key: &str, max: usize) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string_in(v, key, max).map(Some),
    }
}

/// Ids are non-empty strings without control characters.
fn id_in(v: &Value, path: &str) -> Result<String> {
    let s = string_in(v, path, MAX_ID_LEN)?;
    if s.is_empty() {
        return Err(Error::new(ErrorCode::InvalidValue, path, "must not be empty"));
    }
    refuse_control_chars(&s, path)?;
    Ok(s)
}

/// Item and event ids never hold control characters: the catalog and event
/// validation share this check so they agree on what an id is.
pub(crate) fn refuse_control_chars(id: &str, path: &str) -> Result<()> {
    if id.chars().any(char::is_control) {
        return Err(Error::new(ErrorCode::InvalidValue, path, "must not contain control characters"));
    }
    Ok(())
}

fn opt_id(obj: &Map, key: &str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => id_in(v, key).map(Some),
    }
}

fn timestamp(v: &Value, path: &str, now_ms: f64) -> Result<f64> {
    let t = v.as_f64().ok_or_else(|| wrong_type(path, "a number of milliseconds", v))?;
    if !t.is_finite() || t < MIN_TIMESTAMP_MS {
        return Err(Error::new(
            ErrorCode::BadTimestamp,
            path,
            "must be milliseconds since the epoch, after 2000-01-01",
        ));
    }
    if t > now_ms + MAX_FUTURE_SKEW_MS {
        return Err(Error::new(
            ErrorCode::BadTimestamp,
            path,
            // Numbers printed as JS does: core's f64 Display is not in the wasm build.
            format!(
                "{} s in the future; at most {} s allowed",
                crate::json::number_text(((t - now_ms) / 1000.0).round()),
                crate::json::number_text(MAX_FUTURE_SKEW_MS / 1000.0)
            ),
        ));
    }
    Ok(t)
}

fn context(v: &Value) -> Result<Context> {
    let obj = v.as_object().ok_or_else(|| wrong_type("", "an object", v))?;
    for key in obj.keys() {
        if !matches!(key, "page" | "slot" | "device") {
            return Err(Error::new(ErrorCode::InvalidValue, key, "unknown context field"));
        }
    }
    Ok(Context {
        page: opt_str(obj, "page", MAX_TEXT_LEN)?,
        slot: opt_str(obj, "slot", MAX_ID_LEN)?,
        device: opt_str(obj, "device", MAX_ID_LEN)?,
    })
}

fn item_ref(v: &Value) -> Result<ItemRef> {
    let obj = v.as_object().ok_or_else(|| wrong_type("", "an object", v))?;
    for key in obj.keys() {
        if !matches!(key, "id" | "category" | "brand" | "price" | "quantity") {
            return Err(Error::new(ErrorCode::InvalidValue, key, "unknown item field"));
        }
    }
    let id = match obj.get("id") {
        None | Some(Value::Null) => {
            return Err(Error::new(ErrorCode::MissingField, "id", "\"id\" is required"))
        }
        Some(i) => id_in(i, "id")?,
    };
    let price = match obj.get("price") {
        None | Some(Value::Null) => None,
        Some(p) => {
            let n = p.as_f64().ok_or_else(|| wrong_type("price", "a number", p))?;
            if !n.is_finite() || n < 0.0 {
                return Err(Error::new(ErrorCode::InvalidValue, "price", "must be a finite number ≥ 0"));
            }
            Some(n)
        }
    };
    let quantity = match obj.get("quantity") {
        None | Some(Value::Null) => None,
        Some(q) => {
            let n = q.as_f64().ok_or_else(|| wrong_type("quantity", "a number", q))?;
            if n.fract() != 0.0 || !(1.0..=MAX_QUANTITY).contains(&n) {
                return Err(Error::new(ErrorCode::InvalidValue, "quantity", "must be a whole number from 1 to 10000"));
            }
            Some(n as u32)
        }
    };
    Ok(ItemRef {
        id,
        category: opt_str(obj, "category", MAX_ID_LEN)?,
        brand: opt_str(obj, "brand", MAX_ID_LEN)?,
        price,
        quantity,
    })
}

fn item_list(v: &Value) -> Result<Vec<ItemRef>> {
    let list = v.as_array().ok_or_else(|| wrong_type("", "an array", v))?;
    if list.len() > MAX_IMPRESSION_ITEMS {
        return Err(Error::new(
            ErrorCode::TooLarge,
            "",
            format!("{} items, at most {MAX_IMPRESSION_ITEMS}", list.len()),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, it)| item_ref(it).map_err(|e| e.at(&format!("[{i}]"))))
        .collect()
}

fn properties(v: &Value) -> Result<Map> {
    let obj = v.as_object().ok_or_else(|| wrong_type("properties", "an object", v))?;
    if obj.len() > MAX_EVENT_PROPERTIES {
        return Err(Error::new(
            ErrorCode::TooLarge,
            "properties",
            format!("too many properties: {}, at most {MAX_EVENT_PROPERTIES}", obj.len()),
        ));
    }
    let mut out = Map::with_capacity(obj.len());
    for (k, val) in obj.iter() {
        let path = format!("properties.{}", truncate(k));
        if k.len() > MAX_ID_LEN {
            return Err(Error::new(ErrorCode::TooLarge, path, "property name too long"));
        }
        // Properties are flat: scalars only, so they stay cheap to store and query.
        match val {
            Value::String(s) if s.len() > MAX_TEXT_LEN => {
                return Err(Error::new(ErrorCode::TooLarge, path, format!("too long: at most {MAX_TEXT_LEN} bytes")))
            }
            Value::Number(n) if !n.is_finite() => {
                return Err(Error::new(ErrorCode::InvalidValue, path, "must be a finite number"))
            }
            Value::Array(_) | Value::Object(_) => {
                return Err(wrong_type(&path, "a string, number, boolean or null", val))
            }
            _ => out.insert(k, val.clone()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    const NOW: f64 = 1_764_000_000_000.0;

    fn check(text: &str) -> Result<Event> {
        Event::from_value(&parse(text).expect("test JSON"), NOW)
    }

    #[test]
    fn accepts_every_type_in_its_minimal_form() {
        let cases = [
            r#"{"type":"page_view"}"#,
            r#"{"type":"product_view","item":{"id":"a"}}"#,
            r#"{"type":"product_click","item":{"id":"a"},"decisionId":"d1"}"#,
            r#"{"type":"add_to_cart","item":{"id":"a","quantity":2}}"#,
            r#"{"type":"remove_from_cart","item":{"id":"a"}}"#,
            r#"{"type":"purchase","items":[{"id":"a","price":3.5}]}"#,
            r#"{"type":"search","query":"red shoes"}"#,
            r#"{"type":"impression","items":[{"id":"a"}],"decisionId":"d1","context":{"slot":"recs"}}"#,
            r#"{"type":"custom","name":"newsletter","properties":{"plan":"gold","n":3}}"#,
        ];
        for c in cases {
            check(c).unwrap_or_else(|e| panic!("{c}: {e}"));
        }
    }

    #[test]
    fn rejections_name_field_and_problem() {
        let cases: &[(&str, ErrorCode, &str)] = &[
            (r#"[]"#, ErrorCode::WrongType, ""),
            (r#"{}"#, ErrorCode::MissingField, "type"),
            (r#"{"type":"teleport"}"#, ErrorCode::InvalidValue, "type"),
            (r#"{"type":7}"#, ErrorCode::WrongType, "type"),
            (r#"{"type":"product_view"}"#, ErrorCode::MissingField, "item"),
            (r#"{"type":"product_view","item":{}}"#, ErrorCode::MissingField, "item.id"),
            (r#"{"type":"product_view","item":{"id":5}}"#, ErrorCode::WrongType, "item.id"),
            (r#"{"type":"product_view","item":{"id":""}}"#, ErrorCode::InvalidValue, "item.id"),
            (r#"{"type":"product_view","item":{"id":"a","price":-1}}"#, ErrorCode::InvalidValue, "item.price"),
            (r#"{"type":"add_to_cart","item":{"id":"a","quantity":1.5}}"#, ErrorCode::InvalidValue, "item.quantity"),
            (r#"{"type":"purchase","items":[{"id":"a"},{"sku":"b"}]}"#, ErrorCode::InvalidValue, "items[1].sku"),
            (r#"{"type":"search"}"#, ErrorCode::MissingField, "query"),
            (r#"{"type":"custom"}"#, ErrorCode::MissingField, "name"),
            (r#"{"type":"page_view","ts":"yesterday"}"#, ErrorCode::WrongType, "ts"),
            (r#"{"type":"page_view","ts":1764000000000000}"#, ErrorCode::BadTimestamp, "ts"),
            (r#"{"type":"page_view","ts":-5}"#, ErrorCode::BadTimestamp, "ts"),
            (r#"{"type":"page_view","sesionId":"x"}"#, ErrorCode::InvalidValue, "sesionId"),
            (r#"{"type":"page_view","context":{"page":1}}"#, ErrorCode::WrongType, "context.page"),
            (r#"{"type":"custom","name":"x","properties":{"a":{"b":1}}}"#, ErrorCode::WrongType, "properties.a"),
            (r#"{"type":"page_view","sessionId":"a\u0000b"}"#, ErrorCode::InvalidValue, "sessionId"),
        ];
        for (text, code, path) in cases {
            let err = check(text).expect_err(text);
            assert_eq!((err.code, err.path.as_str()), (*code, *path), "{text}: {err}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let long = "x".repeat(MAX_ID_LEN + 1);
        let err = check(&format!(r#"{{"type":"page_view","sessionId":"{long}"}}"#)).expect_err("long id");
        assert_eq!(err.code, ErrorCode::TooLarge);
        let props: Vec<String> = (0..=MAX_EVENT_PROPERTIES).map(|i| format!("\"p{i}\":1")).collect();
        let err = check(&format!(r#"{{"type":"custom","name":"x","properties":{{{}}}}}"#, props.join(","))).expect_err("props");
        assert_eq!((err.code, err.path.as_str()), (ErrorCode::TooLarge, "properties"));
        let items: Vec<String> = (0..=MAX_IMPRESSION_ITEMS).map(|i| format!("{{\"id\":\"i{i}\"}}")).collect();
        let err = check(&format!(r#"{{"type":"impression","items":[{}]}}"#, items.join(","))).expect_err("items");
        assert_eq!((err.code, err.path.as_str()), (ErrorCode::TooLarge, "items"));
    }

    #[test]
    fn round_trips_through_json() {
        let text = r#"{"id":"01ABC","type":"add_to_cart","sessionId":"s","userId":"u","ts":1764000000000,"context":{"page":"/p/a","slot":"recs","device":"mobile"},"item":{"id":"a","category":"shoes","brand":"acme","price":59.9,"quantity":2},"decisionId":"d","group":"treatment"}"#;
        let ev = check(text).expect("valid");
        let again = Event::from_value(&ev.to_value(), NOW).expect("valid again");
        assert_eq!(ev, again);
        assert_eq!(crate::json::to_json_string(&ev.to_value()), text);
    }

    #[test]
    fn single_item_purchase_is_normalised_to_items() {
        let ev = check(r#"{"type":"purchase","item":{"id":"a"}}"#).expect("valid");
        assert!(ev.item.is_none());
        assert_eq!(ev.items.len(), 1);
    }
}
