//! JsonLogic conditions: compiled once, evaluated many times.
//!
//! INTERFACE (implemented by the logic module owner):
//! - `Condition::compile(&Value) -> Result<Condition>`: validates every operator
//!   and arity, bounds depth (`MAX_RULE_DEPTH`) and size (`MAX_RULE_NODES`);
//!   errors carry a path relative to the condition, e.g. `and[1]` with
//!   message `unknown operator "=~"`.
//! - `Condition::eval(&self, scope: &dyn Scope) -> Result<Value>`: bounded by
//!   `MAX_EVAL_STEPS`; a hostile condition gets `StepLimit`, never a hang.
//! - `Condition::uses_item(&self) -> bool`: whether any `var` starts with `item`
//!   (the decision engine evaluates item-free conditions once per decision).
//! - `truthy(&Value) -> bool`: JsonLogic truthiness.
//! - `eval_json(rule: &Value, data: &Value) -> Result<Value>`: compile + eval on plain data.

use std::borrow::Cow;

use crate::json::Value;

/// What a condition reads: `var` lookups and the merchant operators.
///
/// Plain JSON data implements it by walking the value. The decision engine
/// implements it lazily over the live session, so a rule that only asks
/// "is X in the cart" never builds the session as JSON.
pub trait Scope {
    /// Resolves a dotted path (`item.price`, `session.recent.0.item`).
    /// The empty path is the whole data. `None` when missing.
    fn var(&self, path: &str) -> Option<Cow<'_, Value>>;

    /// `viewed_within`: was `item` interacted with in the last `seconds`?
    /// Default: scans `session.recent` (`[{item, ageSeconds, ...}]`).
    fn viewed_within(&self, item: &str, seconds: f64) -> bool {
        default_viewed_within(self, item, seconds)
    }
    /// `affinity`: decayed affinity of `kind` (`item`/`category`/`brand`) for `key`.
    /// Default: `session.affinity.<kind>.<key>` or 0.
    fn affinity(&self, kind: &str, key: &str) -> f64 {
        default_affinity(self, kind, key)
    }
    /// `in_cart`: is `item` in the cart? Default: scans `session.cart` (`[{item, quantity}]`).
    fn in_cart(&self, item: &str) -> bool {
        default_in_cart(self, item)
    }
    /// `purchased`: was `item` bought this session? Default: scans `session.purchased` (`[id]`).
    fn purchased(&self, item: &str) -> bool {
        default_purchased(self, item)
    }
}

mod compile;
mod eval;
mod merchant;
mod ops;

pub use compile::Condition;
pub use eval::{eval_json, truthy};
pub(crate) use merchant::{default_affinity, default_in_cart, default_purchased, default_viewed_within};
