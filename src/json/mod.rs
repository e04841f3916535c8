//! A small JSON value, parser and writer, owned by the core.
//!
//! Why our own and not serde_json: the core must bound what hostile input
//! costs (depth, size), report errors with a path, treat numbers the way
//! JavaScript does (every number is an f64, as JsonLogic expects), and keep the
//! shipped wasm small. Objects keep insertion order (as JS does) and a later
//! duplicate key replaces the earlier one. `__proto__` and `constructor` are
//! ordinary keys here: there is no prototype to pollute.

pub(crate) mod num;
mod parse;
mod serde_impl;
mod write;

pub use num::parse_decimal;
pub use parse::parse;
pub use serde_impl::deserialize_at_depth;
pub use write::{number_text, to_json_string, write_json};

/// A JSON value. Numbers are f64, as in JavaScript; NaN and infinities never
/// come out of the parser.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Map),
}

/// String equality: lengths first, then the last byte, then one `memcmp`.
/// Keys usually differ in length, and ids of one catalog share their length
/// and prefix (`sku-02286`, `sku-02710`) but rarely their last byte; `==` on
/// strings in the size-optimised wasm build is a chain of four calls before
/// it looks at anything. Used on the decision's hottest paths (object keys,
/// cart, purchase and exclusion lookups).
#[inline]
pub fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.last() == b.last() && a == b
}

/// A JSON object: insertion-ordered key/value pairs. Lookups are linear,
/// which beats hashing for the small objects events and rules carry.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    pub fn new() -> Self {
        Map { entries: Vec::new() }
    }
    pub fn with_capacity(n: usize) -> Self {
        Map { entries: Vec::with_capacity(n) }
    }
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| str_eq(k, key)).map(|(_, v)| v)
    }
    /// Sets `key`, replacing an existing entry in place (JS semantics).
    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| str_eq(k, &key)) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }
    /// Appends without looking for an existing key: for builders whose keys
    /// are distinct by construction (a linear search per insert made building
    /// a 256-entry object quadratic).
    pub fn push_unique(&mut self, key: impl Into<String>, value: Value) {
        self.entries.push((key.into(), value));
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }
}

impl FromIterator<(String, Value)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut m = Map::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// `obj.get(key)` for objects, `None` for everything else.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }
    /// The JSON type name, for error messages ("expected a string, got number").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

#[cfg(test)]
mod tests {
    use super::str_eq;

    #[test]
    fn str_eq_is_string_equality() {
        let words = ["", "a", "b", "ab", "ba", "sku-02286", "sku-02287", "sku-12286", "sku-0228", "é", "e\u{301}", "tags", "price"];
        for a in words {
            for b in words {
                assert_eq!(str_eq(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }
}
