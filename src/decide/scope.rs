//! The data a rule condition sees during a decision, built lazily and once.
//!
//! Rules read `item.*` (the candidate), `context.*` (the request), `slot`,
//! `now` and `session.*`. A decision evaluates item-level conditions once per
//! candidate, so nothing here may cost per evaluation what it can cost per
//! decision: the session's JSON form is built at most once ([`SessionView`]),
//! and the merchant operators answer from per-decision indexes.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

use crate::json::Value;
use crate::logic::{Scope, VarPath};
use crate::session::{AffinityKind, Session};

/// What every evaluation in one decision shares about the session.
pub struct SessionView<'a> {
    pub session: &'a Session,
    pub now_ms: f64,
    /// The latest interaction time per item, for `viewed_within`.
    pub last_seen: HashMap<&'a str, f64>,
    /// Parts of `session` as JSON, each built on the first read that needs it.
    whole: OnceCell<Value>,
    recent: OnceCell<Value>,
    cart: OnceCell<Value>,
    purchased: OnceCell<Value>,
    counters: OnceCell<Value>,
    affinity: OnceCell<Value>,
}

impl<'a> SessionView<'a> {
    pub fn new(session: &'a Session, now_ms: f64) -> SessionView<'a> {
        let mut last_seen: HashMap<&str, f64> = HashMap::with_capacity(session.recent.len());
        for i in &session.recent {
            let e = last_seen.entry(i.item.as_str()).or_insert(i.ts);
            *e = e.max(i.ts);
        }
        SessionView {
            session,
            now_ms,
            last_seen,
            whole: OnceCell::new(),
            recent: OnceCell::new(),
            cart: OnceCell::new(),
            purchased: OnceCell::new(),
            counters: OnceCell::new(),
            affinity: OnceCell::new(),
        }
    }

    /// `session.<field>` as JSON, built once per decision.
    fn field(&self, field: &str) -> Option<&Value> {
        let (s, now) = (self.session, self.now_ms);
        Some(match field {
            "" => self.whole.get_or_init(|| s.to_value(now, usize::MAX)),
            "recent" => self.recent.get_or_init(|| s.recent_value(now)),
            "cart" => self.cart.get_or_init(|| s.cart_value()),
            "purchased" => self.purchased.get_or_init(|| s.purchased_value()),
            "counters" => self.counters.get_or_init(|| s.counters_value()),
            "affinity" => self.affinity.get_or_init(|| s.affinity_value(now, usize::MAX)),
            _ => return None,
        })
    }
}

/// The scope of one evaluation: the shared session view plus the candidate.
pub struct DecisionScope<'a> {
    pub view: &'a SessionView<'a>,
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

impl DecisionScope<'_> {
    fn session_var(&self, path: &str) -> Option<Cow<'_, Value>> {
        let s = self.view.session;
        let now = self.view.now_ms;
        let (field, rest) = head(path);
        match (field, rest) {
            // Exact values straight from the session, no JSON needed.
            ("id", "") => Some(Cow::Owned(Value::from(s.id.as_str()))),
            ("userId", "") => s.user_id.as_deref().map(|u| Cow::Owned(Value::from(u))),
            ("ageSeconds", "") => Some(Cow::Owned(Value::Number(((now - s.started_ms).max(0.0) / 1000.0).floor()))),
            ("affinity", rest) if !rest.is_empty() => {
                let (kind, key) = head(rest);
                match (AffinityKind::parse(kind), key) {
                    (Some(k), key) if !key.is_empty() => {
                        let a = s.affinity(k, key, now);
                        (a > 0.0).then(|| Cow::Owned(Value::Number(a)))
                    }
                    _ => walk(self.view.field("affinity")?, rest),
                }
            }
            ("", _) => walk(self.view.field("")?, ""),
            (field, rest) => walk(self.view.field(field)?, rest),
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
            "now" if rest.is_empty() => Some(Cow::Owned(Value::Number(self.view.now_ms))),
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
        self.view.last_seen.get(item).is_some_and(|&ts| ts >= self.view.now_ms - seconds * 1000.0)
    }

    fn viewed_category_within(&self, category: &str, seconds: f64) -> bool {
        self.view.session.category_viewed_within(category, seconds, self.view.now_ms)
    }

    fn affinity(&self, kind: &str, key: &str) -> f64 {
        AffinityKind::parse(kind).map(|k| self.view.session.affinity(k, key, self.view.now_ms)).unwrap_or(0.0)
    }

    fn in_cart(&self, item: &str) -> bool {
        self.view.session.in_cart(item)
    }

    fn purchased(&self, item: &str) -> bool {
        self.view.session.purchased(item)
    }
}
