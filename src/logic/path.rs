//! `var` paths and the [`Scope`] of plain JSON data.
//!
//! A path is a dotted string, split once when the condition is compiled:
//! `item.price`, `session.recent.0.item`. Each segment is an object key, an
//! array index, or `length` (of an array or string, in UTF-16 units, as in
//! JavaScript). The empty path is the whole data. A walk that meets `null`,
//! a number or a boolean before its end finds nothing.

use std::borrow::Cow;

use super::ops::utf16_len;
use super::Scope;
use crate::json::Value;

/// A `var` path split into segments, with array indices parsed once.
#[derive(Clone, Debug, PartialEq)]
pub struct VarPath {
    text: Box<str>,
    segments: Box<[Segment]>,
}

#[derive(Clone, Debug, PartialEq)]
struct Segment {
    key: Box<str>,
    index: Option<usize>,
}

impl VarPath {
    /// Splits `text` at dots; `""` is the whole data.
    pub fn new(text: &str) -> VarPath {
        let segments = if text.is_empty() {
            Box::default()
        } else {
            text.split('.').map(|k| Segment { key: k.into(), index: array_index(k) }).collect()
        };
        VarPath { text: text.into(), segments }
    }

    /// The path as written (`item.price`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments in order; none for the whole data.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|s| &*s.key)
    }

    /// The first segment (`item` for `item.price`); `None` for the whole data.
    pub fn first(&self) -> Option<&str> {
        self.segments.first().map(|s| &*s.key)
    }

    /// Walks `root` along the path.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<Cow<'v, Value>> {
        self.lookup_from(root, 0)
    }

    /// Walks `root` along the path minus its first `skip` segments
    /// (for scopes that resolve the first segment themselves).
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    pub fn lookup_from<'v>(&self, root: &'v Value, skip: usize) -> Option<Cow<'v, Value>> {
        let segs = self.segments.get(skip..).unwrap_or(&[]);
        // Fast path: plain borrowing through objects and array indices.
        let mut cur = root;
        for (i, seg) in segs.iter().enumerate() {
            cur = match (cur, seg.index) {
                (Value::Object(m), _) => m.get(&seg.key)?,
                (Value::Array(items), Some(ix)) => items.get(ix)?,
                // `length`, string indexing, dead ends: the general walk.
                _ => return walk(cur, segs.get(i..).unwrap_or(&[]).iter().map(|s| (&*s.key, s.index))),
            };
        }
        Some(Cow::Borrowed(cur))
    }
}

/// Walks `root` along a dotted path given as text (no allocation).
#[cfg_attr(ep_hot_speed, optimize(speed))]
pub fn lookup<'v>(root: &'v Value, path: &str) -> Option<Cow<'v, Value>> {
    if path.is_empty() {
        return Some(Cow::Borrowed(root));
    }
    walk(root, path.split('.').map(|k| (k, array_index(k))))
}

/// Walks `root` along a dotted path, splitting even an empty one (`""` is the key "").
pub(crate) fn lookup_split<'v>(root: &'v Value, path: &str) -> Option<Cow<'v, Value>> {
    walk(root, path.split('.').map(|k| (k, array_index(k))))
}

/// A canonical array index ("0", "17"; not "01", "-1" or "1e3").
pub(crate) fn array_index(key: &str) -> Option<usize> {
    let b = key.as_bytes();
    match b {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.len() < 15 && rest.iter().all(u8::is_ascii_digit) => key.parse().ok(),
        _ => None,
    }
}

#[cfg_attr(ep_hot_speed, optimize(speed))]
fn walk<'v, 'k>(root: &'v Value, keys: impl Iterator<Item = (&'k str, Option<usize>)>) -> Option<Cow<'v, Value>> {
    let mut cur: Cow<'v, Value> = Cow::Borrowed(root);
    for (key, index) in keys {
        cur = match cur {
            Cow::Borrowed(v) => step(v, key, index)?,
            Cow::Owned(v) => Cow::Owned(step(&v, key, index)?.into_owned()),
        };
    }
    Some(cur)
}

#[cfg_attr(ep_hot_speed, optimize(speed))]
fn step<'v>(v: &'v Value, key: &str, index: Option<usize>) -> Option<Cow<'v, Value>> {
    match v {
        Value::Object(m) => m.get(key).map(Cow::Borrowed),
        Value::Array(items) => {
            if key == "length" {
                Some(Cow::Owned(Value::Number(items.len() as f64)))
            } else {
                index.and_then(|i| items.get(i)).map(Cow::Borrowed)
            }
        }
        Value::String(s) => {
            if key == "length" {
                Some(Cow::Owned(Value::Number(utf16_len(s) as f64)))
            } else {
                let i = index?;
                let unit = s.encode_utf16().nth(i)?;
                Some(Cow::Owned(Value::String(String::from_utf16_lossy(&[unit]))))
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

/// Plain JSON data is a scope: `var` walks it; the merchant operators read
/// `session.*` as the [`Scope`] docs describe.
impl Scope for Value {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        lookup(self, path)
    }
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        path.lookup(self)
    }
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    fn var_text(&self, path: &VarPath) -> Option<Option<&str>> {
        match path.lookup(self) {
            None | Some(Cow::Borrowed(Value::Null)) => Some(None),
            Some(Cow::Borrowed(Value::String(s))) => Some(Some(s)),
            // Other types (and computed string pieces) take the evaluator's way.
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    #[test]
    fn walks_objects_arrays_and_strings() {
        let data = parse(r#"{"a":{"b":[10,{"c":"hé😀"}],"":{"x":1},"n":null},"k.j":2}"#).unwrap_or_default();
        let get = |p: &str| data.var(p).map(Cow::into_owned);
        let num = |n: f64| Some(Value::Number(n));
        assert_eq!(get("a.b.0"), num(10.0));
        assert_eq!(get("a.b.1.c"), Some(Value::from("hé😀")));
        assert_eq!(get("a.b.length"), num(2.0));
        assert_eq!(get("a.b.1.c.length"), num(4.0));
        assert_eq!(get("a.b.1.c.1"), Some(Value::from("é")));
        assert_eq!(get("a.b.01"), None);
        assert_eq!(get("a.b.2"), None);
        assert_eq!(get("a..x"), num(1.0));
        assert_eq!(get("a.n"), Some(Value::Null));
        assert_eq!(get("a.n.x"), None);
        assert_eq!(get("a.b.0.x"), None);
        assert_eq!(get("k.j"), None, "dots always split");
        assert_eq!(get(""), Some(data.clone()));
        for p in ["a.b.1.c", "a.b.length", "", "a.b.1.c.length", "zz"] {
            assert_eq!(data.var_path(&VarPath::new(p)), data.var(p), "{p}");
        }
        let vp = VarPath::new("item.price");
        assert_eq!(vp.first(), Some("item"));
        assert_eq!(vp.segments().collect::<Vec<_>>(), ["item", "price"]);
        assert_eq!(VarPath::new("").first(), None);
    }

    #[test]
    fn equality_with_literal_text_answers_as_the_full_evaluation() {
        let data = parse(r#"{"s":"x","n":1,"one":"1","z":null,"t":true,"a":["x"],"o":{"k":"x"},"e":""}"#).unwrap_or_default();
        for path in ["s", "n", "one", "z", "t", "a", "o", "o.k", "missing", "s.0", "s.length", "a.0", "e", ""] {
            for lit in ["x", "1", "", "true", "y"] {
                for op in ["==", "===", "!=", "!=="] {
                    let fast = format!(r#"{{"{op}":[{{"var":"{path}"}},"{lit}"]}}"#);
                    let swapped = format!(r#"{{"{op}":["{lit}",{{"var":"{path}"}}]}}"#);
                    // `cat` makes the literal computed, so the evaluator takes its usual way.
                    let reference = format!(r#"{{"{op}":[{{"var":"{path}"}},{{"cat":["{lit}"]}}]}}"#);
                    let eval = |rule: &str| crate::logic::eval_json(&parse(rule).unwrap_or_default(), &data);
                    assert_eq!(eval(&fast), eval(&reference), "{fast}");
                    assert_eq!(eval(&swapped), eval(&reference), "{swapped}");
                }
            }
        }
    }

    #[test]
    fn borrows_instead_of_cloning() {
        let data = parse(r#"{"a":{"b":[1,2,3]}}"#).unwrap_or_default();
        assert!(matches!(data.var("a.b"), Some(Cow::Borrowed(_))));
        assert!(matches!(VarPath::new("a.b.2").lookup(&data), Some(Cow::Borrowed(_))));
    }
}
