//! The data a rule condition sees during a decision, built lazily.
//!
//! Rules read `item.*` (the candidate), `context.*` (the request), `slot`,
//! `now` and `session.*`. Building the session as JSON for every evaluation
//! would cost more than the decision itself, so each path is resolved on
//! demand, and the merchant operators go straight to the session's indexes.

use std::borrow::Cow;

use crate::json::{Map, Value};
use crate::logic::{Scope, VarPath};
use crate::session::{AffinityKind, Session};

pub struct DecisionScope<'a> {
    pub session: &'a Session,
    pub now_ms: f64,
    pub slot: &'a str,
    pub context: &'a Value,
    /// The candidate's JSON (from the catalog), absent for session-level parts.
    pub item: Option<&'a Value>,
}

/// Splits `head.rest` at the first dot.
fn head(path: &str) -> (&str, &str) {
    match path.split_once('.') {
        Some((h, r)) => (h, r),
        None => (path, ""),
    }
}

fn walk<'v>(v: &'v Value, rest: &str) -> Option<Cow<'v, Value>> {
    if rest.is_empty() {
        Some(Cow::Borrowed(v))
    } else {
        v.var(rest)
    }
}

fn walk_owned(v: Value, rest: &str) -> Option<Cow<'static, Value>> {
    if rest.is_empty() {
        return Some(Cow::Owned(v));
    }
    v.var(rest).map(|c| Cow::Owned(c.into_owned()))
}

impl DecisionScope<'_> {
    fn session_var(&self, path: &str) -> Option<Cow<'_, Value>> {
        let s = self.session;
        let (field, rest) = head(path);
        match field {
            "" => walk_owned(s.to_value(self.now_ms, 20), ""),
            "id" => walk_owned(Value::from(s.id.as_str()), rest),
            "userId" => s.user_id.as_deref().map(|u| Cow::Owned(Value::from(u))),
            "ageSeconds" => Some(Cow::Owned(Value::Number(((self.now_ms - s.started_ms).max(0.0) / 1000.0).floor()))),
            "counters" => walk_owned(s.counters_value(), rest),
            "cart" => walk_owned(s.cart_value(), rest),
            "purchased" => walk_owned(
                Value::Array(s.purchased.iter().map(|p| Value::from(p.as_str())).collect()),
                rest,
            ),
            "affinity" => {
                let (kind, key) = head(rest);
                match (AffinityKind::parse(kind), key) {
                    (Some(k), "") => {
                        let m: Map = s
                            .table(k)
                            .top(usize::MAX, self.now_ms, s.half_life_ms)
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), Value::Number(v)))
                            .collect();
                        Some(Cow::Owned(Value::Object(m)))
                    }
                    (Some(k), key) => {
                        let a = s.affinity(k, key, self.now_ms);
                        (a > 0.0).then(|| Cow::Owned(Value::Number(a)))
                    }
                    (None, _) => None,
                }
            }
            "recent" => {
                let (idx, rest2) = head(rest);
                if idx.is_empty() {
                    let all = s.recent.iter().rev().map(|i| Session::interaction_value(i, self.now_ms)).collect();
                    return Some(Cow::Owned(Value::Array(all)));
                }
                if idx == "length" {
                    return Some(Cow::Owned(Value::Number(s.recent.len() as f64)));
                }
                // `session.recent.0` is the newest interaction.
                let n: usize = idx.parse().ok()?;
                let i = s.recent.iter().rev().nth(n)?;
                walk_owned(Session::interaction_value(i, self.now_ms), rest2)
            }
            _ => None,
        }
    }
}

impl Scope for DecisionScope<'_> {
    fn var(&self, path: &str) -> Option<Cow<'_, Value>> {
        let (h, rest) = head(path);
        match h {
            "item" => walk(self.item?, rest),
            "context" => walk(self.context, rest),
            "session" => self.session_var(rest),
            "slot" if rest.is_empty() => Some(Cow::Owned(Value::from(self.slot))),
            "now" if rest.is_empty() => Some(Cow::Owned(Value::Number(self.now_ms))),
            _ => None,
        }
    }

    /// `item.*` and `context.*` are walked with the pre-split path, with no
    /// string handling per evaluation: these are the per-candidate hot paths.
    fn var_path(&self, path: &VarPath) -> Option<Cow<'_, Value>> {
        match path.first() {
            Some("item") => path.lookup_from(self.item?, 1),
            Some("context") => path.lookup_from(self.context, 1),
            _ => self.var(path.as_str()),
        }
    }

    fn viewed_within(&self, item: &str, seconds: f64) -> bool {
        self.session.viewed_within(item, seconds, self.now_ms)
    }

    fn viewed_category_within(&self, category: &str, seconds: f64) -> bool {
        self.session.category_viewed_within(category, seconds, self.now_ms)
    }

    fn affinity(&self, kind: &str, key: &str) -> f64 {
        AffinityKind::parse(kind).map(|k| self.session.affinity(k, key, self.now_ms)).unwrap_or(0.0)
    }

    fn in_cart(&self, item: &str) -> bool {
        self.session.in_cart(item)
    }

    fn purchased(&self, item: &str) -> bool {
        self.session.purchased(item)
    }
}
