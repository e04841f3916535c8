//! Merchant operators: JsonLogic extensions that ask about the shopper's session.
//!
//! | operator | arguments | result |
//! |---|---|---|
//! | `viewed_within` | `[item, seconds]` | `true` if `item` was interacted with in the last `seconds` |
//! | `viewed_category_within` | `[category, seconds]` | `true` if an item of `category` was, in the last `seconds` |
//! | `affinity` | `[kind, key]` | the decayed affinity (number, 0 if none) of `kind` (`item`, `category`, `brand`) for `key` |
//! | `affinity_above` | `[kind, key, threshold]` | `affinity(kind, key) > threshold` |
//! | `in_cart` | `[item]` | `true` if `item` is in the cart |
//! | `purchased` | `[item]` | `true` if `item` was bought this session |
//!
//! Arguments are expressions like any other (`{"in_cart": [{"var": "item.id"}]}`).
//! Ids are compared as strings (a number argument is converted as JavaScript's
//! `String(n)` would); a `null` or missing id matches nothing, and a `seconds`
//! or `threshold` that is not a number makes the test false.
//!
//! The operators always ask the scope the condition was evaluated against,
//! even inside the body of `map`/`filter`/`reduce`/`all`/`some`/`none`, where
//! `var` reads the current element: `{"some": [{"var": "item.related"},
//! {"in_cart": [{"var": ""}]}]}` asks "is any related item in the cart".
//!
//! Each operator is a [`Scope`] method. The decision engine answers them from
//! the live session; the default methods, used by plain JSON data, read:
//!
//! ```text
//! session.recent    = [{"item": id, "category": c, "brand": b, "type": t, "ageSeconds": s}, ...]
//! session.affinity  = {"item": {id: n}, "category": {c: n}, "brand": {b: n}}
//! session.cart      = [{"item": id, "quantity": q}, ...]   (q absent or > 0 counts)
//! session.purchased = [id, ...]
//! ```

use std::borrow::Cow;

use super::ops::{to_js_string, to_number};
use super::Scope;
use crate::json::Value;

/// The merchant operators (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Merchant {
    ViewedWithin,
    ViewedCategoryWithin,
    Affinity,
    AffinityAbove,
    InCart,
    Purchased,
}

impl Merchant {
    /// Evaluates the operator on already-evaluated arguments (arity was
    /// checked at compile time; a missing argument reads as `null`).
    #[cfg_attr(ep_hot_speed, optimize(speed))]
    pub(crate) fn apply(self, args: &[Cow<'_, Value>], scope: &dyn Scope) -> Value {
        let arg = |i: usize| args.get(i).map_or(&Value::Null, |c| &**c);
        match self {
            Merchant::ViewedWithin => {
                let (Some(item), Some(secs)) = (id_of(arg(0)), number_of(arg(1))) else {
                    return Value::Bool(false);
                };
                Value::Bool(scope.viewed_within(&item, secs))
            }
            Merchant::ViewedCategoryWithin => {
                let (Some(cat), Some(secs)) = (id_of(arg(0)), number_of(arg(1))) else {
                    return Value::Bool(false);
                };
                Value::Bool(scope.viewed_category_within(&cat, secs))
            }
            Merchant::Affinity => match (id_of(arg(0)), id_of(arg(1))) {
                (Some(kind), Some(key)) => Value::Number(scope.affinity(&kind, &key)),
                _ => Value::Number(0.0),
            },
            Merchant::AffinityAbove => {
                let (Some(kind), Some(key), Some(t)) = (id_of(arg(0)), id_of(arg(1)), number_of(arg(2))) else {
                    return Value::Bool(false);
                };
                Value::Bool(scope.affinity(&kind, &key) > t)
            }
            Merchant::InCart => Value::Bool(id_of(arg(0)).is_some_and(|item| scope.in_cart(&item))),
            Merchant::Purchased => Value::Bool(id_of(arg(0)).is_some_and(|item| scope.purchased(&item))),
        }
    }
}

/// What the default [`Scope`] method for `op` reads of plain data, recorded
/// in a condition's [`Projection`](super::Projection): keep in step with
/// the defaults below.
pub(crate) fn default_reads(op: Merchant, root: &mut super::Projection) {
    let mut element = super::Projection::default();
    let (list, keys): (&str, &[&str]) = match op {
        Merchant::ViewedWithin | Merchant::ViewedCategoryWithin => ("recent", &["item", "category", "ageSeconds"]),
        Merchant::InCart => ("cart", &["item", "quantity"]),
        Merchant::Purchased => return root.read(["session", "purchased"]),
        Merchant::Affinity | Merchant::AffinityAbove => return root.read(["session", "affinity"]),
    };
    for key in keys {
        element.read([*key]);
    }
    root.read_each(["session", list], &element);
}

/// An id argument: strings as they are, numbers as `String(n)`, others none.
fn id_of(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(_) => Some(Cow::Owned(to_js_string(v))),
        _ => None,
    }
}

/// A numeric argument (JavaScript `Number(v)`), none when it is not a number.
pub(crate) fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if !n.is_nan() => Some(*n),
        Value::String(_) => Some(to_number(v)).filter(|n| !n.is_nan()),
        _ => None,
    }
}

/// Whether a data id (string, or number) equals `id`.
#[cfg_attr(ep_hot_speed, optimize(speed))]
fn id_matches(v: Option<&Value>, id: &str) -> bool {
    match v {
        Some(Value::String(s)) => crate::json::str_eq(s, id),
        Some(n @ Value::Number(_)) => to_js_string(n) == id,
        _ => false,
    }
}

/// Whether some `session.recent` entry satisfies `pred` and is at most `seconds` old.
#[cfg_attr(ep_hot_speed, optimize(speed))]
fn any_recent<S: Scope + ?Sized>(scope: &S, seconds: f64, pred: impl Fn(&Value) -> bool) -> bool {
    let Some(recent) = scope.var("session.recent") else {
        return false;
    };
    recent.as_array().is_some_and(|entries| {
        // The id first: it rules out almost every entry, and `item` is the
        // entry's first key where `ageSeconds` is its fifth.
        entries.iter().any(|e| pred(e) && e.get("ageSeconds").and_then(Value::as_f64).is_some_and(|age| age <= seconds))
    })
}

/// `viewed_within` over `session.recent`.
pub(crate) fn default_viewed_within<S: Scope + ?Sized>(scope: &S, item: &str, seconds: f64) -> bool {
    any_recent(scope, seconds, |e| id_matches(e.get("item"), item))
}

/// `viewed_category_within` over `session.recent`.
pub(crate) fn default_viewed_category_within<S: Scope + ?Sized>(scope: &S, category: &str, seconds: f64) -> bool {
    any_recent(scope, seconds, |e| id_matches(e.get("category"), category))
}

/// `affinity` from `session.affinity.<kind>.<key>` (keys may contain dots).
#[cfg_attr(ep_hot_speed, optimize(speed))]
pub(crate) fn default_affinity<S: Scope + ?Sized>(scope: &S, kind: &str, key: &str) -> f64 {
    scope
        .var("session.affinity")
        .and_then(|a| a.get(kind).and_then(|k| k.get(key)).and_then(Value::as_f64))
        .filter(|n| n.is_finite())
        .unwrap_or(0.0)
}

/// `in_cart` over `session.cart`.
#[cfg_attr(ep_hot_speed, optimize(speed))]
pub(crate) fn default_in_cart<S: Scope + ?Sized>(scope: &S, item: &str) -> bool {
    let Some(cart) = scope.var("session.cart") else {
        return false;
    };
    cart.as_array().is_some_and(|lines| {
        lines.iter().any(|l| {
            id_matches(l.get("item"), item) && l.get("quantity").and_then(Value::as_f64).is_none_or(|q| q > 0.0)
        })
    })
}

/// `purchased` over `session.purchased`.
#[cfg_attr(ep_hot_speed, optimize(speed))]
pub(crate) fn default_purchased<S: Scope + ?Sized>(scope: &S, item: &str) -> bool {
    let Some(bought) = scope.var("session.purchased") else {
        return false;
    };
    bought.as_array().is_some_and(|ids| ids.iter().any(|v| id_matches(Some(v), item)))
}
