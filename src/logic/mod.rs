//! JsonLogic conditions: compiled once, evaluated many times.
//!
//! Merchants write rule conditions in [JsonLogic](https://jsonlogic.com); the
//! decision engine evaluates them for every decision, often per candidate
//! item. So a condition is compiled once ([`Condition::compile`]: operators
//! resolved, arities checked, paths split, size and depth bounded) and then
//! evaluated ([`Condition::eval`]) against a [`Scope`] without re-reading the
//! rule, borrowing from the data instead of copying it, within a step budget.
//!
//! ```
//! use edge_personalize::json::parse;
//! use edge_personalize::logic::{eval_json, Condition};
//! let rule = parse(r#"{"if": [{"affinity_above": ["category", {"var": "item.category"}, 0.5]}, "boost", "keep"]}"#).unwrap();
//! let data = parse(r#"{"item": {"category": "shoes"}, "session": {"affinity": {"category": {"shoes": 0.8}}}}"#).unwrap();
//! assert_eq!(eval_json(&rule, &data).unwrap(), "boost".into());
//! ```
//!
//! Operators: every operator of the jsonlogic.com reference (`var`, `missing`,
//! `missing_some`, `if`/`?:`, `==`, `===`, `!=`, `!==`, `!`, `!!`, `or`,
//! `and`, `>`, `>=`, `<`, `<=` (with the 3-argument "between" forms of `<`
//! and `<=`), `max`, `min`, `+`, `-`, `*`, `/`, `%`, `map`, `filter`,
//! `reduce`, `all`, `none`, `some`, `merge`, `in`, `cat`, `substr`, `log`)
//! with the semantics of json-logic-js 2.0 (JavaScript coercions included,
//! see [`ops`]), plus the merchant operators of [`merchant`]: `viewed_within`,
//! `viewed_category_within`, `affinity`, `affinity_above`, `in_cart`,
//! `purchased`. `log` returns its argument and does no I/O.
//!
//! Known differences from json-logic-js, all deliberate:
//! - Wrong argument counts fail at compile time (`BadArity`) instead of
//!   reading `undefined`; see [`compile`] for the accepted counts.
//! - `substr` counts UTF-16 code units as JavaScript does, but a surrogate
//!   pair cut in half becomes U+FFFD (Rust strings cannot hold a lone half).
//! - `==`/`===` on two arrays or objects are true only for the very same
//!   value in the data (JavaScript's reference identity); two separately
//!   built arrays are never equal, as in JavaScript.
//! - Cost limits: `StepLimit`, `TooLarge` (arrays over `MAX_EVAL_ARRAY`),
//!   `TooDeep` (a `reduce` nesting its accumulator past `MAX_JSON_DEPTH`).

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

    /// Resolves a path pre-split at compile time. The default calls
    /// [`Scope::var`] with the path's text; override it to dispatch on
    /// [`VarPath::first`] and walk the rest with [`VarPath::lookup_from`].
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        self.var(path.as_str())
    }

    /// `some`/`all`/`none` over the array at `path`, served element by
    /// element by scopes that can do so without building the array (the
    /// session's `recent` list): calls `each` with each element's scope, in
    /// order, until it returns false, and returns the array's length. `None`,
    /// the default, means "build the value and iterate it". An element scope
    /// must answer every non-empty static `var` path exactly as the built
    /// element would; the evaluator only asks for those (bodies with `var ""`,
    /// computed paths or `missing` iterate the built array).
    fn each_element(&self, _path: &VarPath, _each: &mut dyn FnMut(&dyn Scope) -> bool) -> Option<usize> {
        None
    }

    /// The text at a static path, for `==`/`===`/`!=`/`!==` against a
    /// literal string without building a `Value`: `Some(Some(s))` when the
    /// value there is the string `s`, `Some(None)` when nothing is there
    /// (`null`), `None` (the default) when the scope cannot say cheaply and
    /// the evaluator should read the value as usual.
    fn var_text(&self, _path: &VarPath) -> Option<Option<&str>> {
        None
    }

    /// `viewed_within`: was `item` interacted with in the last `seconds`?
    /// Default: scans `session.recent` (`[{item, ageSeconds, ...}]`).
    fn viewed_within(&self, item: &str, seconds: f64) -> bool {
        default_viewed_within(self, item, seconds)
    }
    /// `viewed_category_within`: was an item of `category` interacted with in
    /// the last `seconds`? Default: scans `session.recent` (`[{category, ageSeconds, ...}]`).
    fn viewed_category_within(&self, category: &str, seconds: f64) -> bool {
        default_viewed_category_within(self, category, seconds)
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
mod conformance;
mod eval;
pub mod merchant;
pub mod ops;
mod path;
mod project;

pub use compile::Condition;
pub use conformance::{conformance_cases, values_equal};
pub use eval::{eval_json, truthy, DirectTest};
pub(crate) use compile::Op;
pub(crate) use eval::DirectArg;
pub(crate) use merchant::{number_of, Merchant};
pub(crate) use merchant::{
    default_affinity, default_in_cart, default_purchased, default_viewed_category_within, default_viewed_within,
};
pub use path::{lookup, VarPath};
pub use project::Projection;
pub(crate) use path::lookup_split;
