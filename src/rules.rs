//! Merchant rules: a JsonLogic condition plus an action.
//!
//! ```json
//! { "rules": [ {
//!     "id": "accessories-after-view", "priority": 10, "slots": ["pdp"],
//!     "condition": { "viewed_within": ["sku-1", 300] },
//!     "action": { "type": "include_related", "of": "sku-1", "relation": "accessories", "limit": 4 },
//!     "start": "2026-11-01T00:00:00Z", "end": 1767225600000 } ] }
//! ```
//! Actions: `boost` / `bury` (`factor`), `pin` (`position`, optional `item`),
//! `exclude`, `include_related` (`of`: an item id or any expression giving
//! one or a list, `relation`, `limit`, `placement`: `first` | `boost`).
//!
//! A set loads whole or not at all: the first problem is reported with its
//! path, e.g. `rules[3].condition.and[1]: unknown operator "=~"`.
//! A top-level `and` is split into the parts that read `item` and the parts
//! that do not, so the session-only parts run once per decision, not once
//! per candidate.

use crate::catalog::RelationKind;
use crate::error::{Error, ErrorCode, Result};
use crate::json::Value;
use crate::limits::{MAX_BOOST_FACTOR, MAX_DECISION_K, MAX_ECHOED_CHARS, MAX_ID_LEN, MAX_RULES};
use crate::logic::Condition;

/// Where included items go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// Ahead of every ranked item, in relation-weight order.
    First,
    /// Into the ranking, with their score multiplied by the factor.
    Boost(f64),
}

/// What a rule does when its condition holds.
#[derive(Clone, Debug)]
pub enum Action {
    /// Multiply the candidate's score (a bury is a factor below 1).
    Scale(f64),
    /// Put the candidate (or `item`) at this 0-based position.
    Pin { position: usize, item: Option<String> },
    /// Remove the candidate.
    Exclude,
    /// Add the related items of `of`.
    IncludeRelated { of: Condition, relation: RelationKind, limit: usize, placement: Placement },
}

impl Action {
    /// Whether the action applies to each candidate (true) or once per decision.
    pub fn per_candidate(&self) -> bool {
        match self {
            Action::Scale(_) | Action::Exclude => true,
            Action::Pin { item, .. } => item.is_none(),
            Action::IncludeRelated { .. } => false,
        }
    }
}

/// One compiled rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub priority: i64,
    /// Parts of the condition that do not read `item`: evaluated once per decision.
    pub session_part: Vec<Condition>,
    /// Parts that read `item`: evaluated per candidate.
    pub item_part: Vec<Condition>,
    pub action: Action,
    pub slots: Option<Vec<String>>,
    pub start_ms: Option<f64>,
    pub end_ms: Option<f64>,
}

impl Rule {
    /// Whether the rule is live for `slot` at `now_ms`.
    pub fn active(&self, slot: &str, now_ms: f64) -> bool {
        self.start_ms.is_none_or(|s| now_ms >= s)
            && self.end_ms.is_none_or(|e| now_ms < e)
            && self.slots.as_ref().is_none_or(|s| s.iter().any(|x| x == slot))
    }
}

/// Rules ordered by priority, highest first (ties keep file order).
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub version: String,
}

impl RuleSet {
    /// Compiles a rule set from `{"rules": [...]}` or a bare array.
    pub fn from_value(v: &Value) -> Result<RuleSet> {
        let (list, version) = match v {
            Value::Array(a) => (a.as_slice(), String::new()),
            Value::Object(o) => {
                let rules = o.get("rules").ok_or_else(|| {
                    Error::new(ErrorCode::MissingField, "rules", "\"rules\" is required")
                })?;
                let list = rules.as_array().ok_or_else(|| wrong("rules", "an array", rules))?;
                // As in the catalog: a version of the wrong type or length is
                // an error, not silently dropped (it names what is deployed).
                let version = match o.get("version") {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) if s.len() <= MAX_ID_LEN => s.clone(),
                    Some(Value::Number(n)) => crate::json::to_json_string(&Value::Number(*n)),
                    Some(other) => return Err(wrong("version", "a short string", other)),
                };
                (list, version)
            }
            other => return Err(wrong("", "an object with \"rules\" or an array", other)),
        };
        if list.len() > MAX_RULES {
            return Err(Error::new(ErrorCode::TooLarge, "rules", format!("{} rules, at most {MAX_RULES}", list.len())));
        }
        let mut rules = Vec::with_capacity(list.len());
        for (i, raw) in list.iter().enumerate() {
            let rule = parse_rule(raw).map_err(|e| e.at(&format!("rules[{i}]")))?;
            if rules.iter().any(|r: &Rule| r.id == rule.id) {
                return Err(Error::new(ErrorCode::InvalidValue, format!("rules[{i}].id"), format!("duplicate rule id \"{}\"", rule.id)));
            }
            rules.push(rule);
        }
        // Sort positions, not rules: `Rule` is not `Copy`, and one sort serves all.
        let mut order: Vec<(i64, usize)> = rules.iter().enumerate().map(|(i, r)| (r.priority, i)).collect();
        crate::order::sort_by(&mut order, &|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut slots: Vec<Option<Rule>> = rules.into_iter().map(Some).collect();
        let rules: Vec<Rule> = order.iter().filter_map(|&(_, i)| slots.get_mut(i).and_then(Option::take)).collect();
        Ok(RuleSet { rules, version })
    }
}

fn wrong(path: &str, expected: &str, got: &Value) -> Error {
    Error::new(ErrorCode::WrongType, path, format!("expected {expected}, got {}", got.type_name()))
}

fn parse_rule(v: &Value) -> Result<Rule> {
    let obj = v.as_object().ok_or_else(|| wrong("", "an object", v))?;
    for key in obj.keys() {
        if !matches!(key, "id" | "priority" | "condition" | "action" | "slots" | "start" | "end" | "description") {
            return Err(Error::new(ErrorCode::InvalidValue, key, "unknown rule field"));
        }
    }
    let id = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
        Some(other @ Value::String(_)) => return Err(wrong("id", &format!("1 to {MAX_ID_LEN} bytes"), other)),
        Some(other) => return Err(wrong("id", "a string", other)),
        None => return Err(Error::new(ErrorCode::MissingField, "id", "\"id\" is required")),
    };
    let priority = match obj.get("priority") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) if n.fract() == 0.0 && n.abs() <= 1e9 => *n as i64,
        Some(other) => return Err(wrong("priority", "a whole number", other)),
    };
    let (session_part, item_part) = match obj.get("condition") {
        None | Some(Value::Null) => (Vec::new(), Vec::new()),
        Some(c) => split_condition(c).map_err(|e| e.at("condition"))?,
    };
    let action = match obj.get("action") {
        Some(a) => parse_action(a).map_err(|e| e.at("action"))?,
        None => return Err(Error::new(ErrorCode::MissingField, "action", "\"action\" is required")),
    };
    let slots = match obj.get("slots") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .enumerate()
                .map(|(i, s)| s.as_str().map(str::to_string).ok_or_else(|| wrong(&format!("slots[{i}]"), "a slot name", s)))
                .collect::<Result<Vec<_>>>()?,
        ),
        Some(other) => return Err(wrong("slots", "an array of slot names", other)),
    };
    let start_ms = time_field(obj.get("start"), "start")?;
    let end_ms = time_field(obj.get("end"), "end")?;
    if let (Some(s), Some(e)) = (start_ms, end_ms) {
        if e <= s {
            return Err(Error::new(ErrorCode::InvalidValue, "end", "must be after start"));
        }
    }
    Ok(Rule { id, priority, session_part, item_part, action, slots, start_ms, end_ms })
}

/// Compiles the whole condition (for validation and error paths), then
/// splits a top-level `and` into item-free and item-reading parts.
fn split_condition(c: &Value) -> Result<(Vec<Condition>, Vec<Condition>)> {
    let whole = Condition::compile(c)?;
    let conjuncts = match c.as_object() {
        Some(o) if o.len() == 1 => match o.get("and") {
            Some(Value::Array(parts)) if !parts.is_empty() => Some(parts),
            _ => None,
        },
        _ => None,
    };
    let Some(parts) = conjuncts else {
        return Ok(if whole.uses_item() { (Vec::new(), vec![whole]) } else { (vec![whole], Vec::new()) });
    };
    let mut session = Vec::new();
    let mut item = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let compiled = Condition::compile(p).map_err(|e| e.at(&format!("and[{i}]")))?;
        if compiled.uses_item() {
            item.push(compiled);
        } else {
            session.push(compiled);
        }
    }
    Ok((session, item))
}

fn number(o: &crate::json::Map, key: &str) -> Result<Option<f64>> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_finite() => Ok(Some(*n)),
        Some(other) => Err(wrong(key, "a number", other)),
    }
}

fn parse_action(v: &Value) -> Result<Action> {
    let o = v.as_object().ok_or_else(|| wrong("", "an object", v))?;
    let kind = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(ErrorCode::MissingField, "type", "action \"type\" is required"))?;
    // Fields each action type reads. Anything else (a misspelt `factr`, a
    // `brand` that reads like a filter) is refused rather than ignored: a rule
    // that silently does something other than what the merchant wrote is worse
    // than a rule set that does not load.
    let fields: &[&str] = match kind {
        "boost" | "bury" => &["factor"],
        "pin" => &["position", "item"],
        "exclude" => &[],
        "include_related" => &["of", "relation", "limit", "placement", "factor"],
        // An unknown type is the error, not the fields that came with it.
        other => return Err(unknown_action(other)),
    };
    if let Some(key) = o.keys().find(|k| *k != "type" && !fields.contains(k)) {
        let echo: String = key.chars().take(MAX_ECHOED_CHARS).collect();
        let known = if fields.is_empty() { "none besides type".to_string() } else { fields.join(", ") };
        return Err(Error::new(ErrorCode::InvalidValue, key, format!("unknown field \"{echo}\" for a {kind} action (fields: {known}); conditions go in the rule's condition")));
    }
    match kind {
        "boost" => {
            let f = number(o, "factor")?.unwrap_or(2.0);
            if !(f > 0.0 && f <= MAX_BOOST_FACTOR) {
                return Err(Error::new(ErrorCode::InvalidValue, "factor", "boost factor must be above 0 and at most 1000"));
            }
            Ok(Action::Scale(f))
        }
        "bury" => {
            let f = number(o, "factor")?.unwrap_or(0.5);
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::new(ErrorCode::InvalidValue, "factor", "bury factor must be from 0 to 1"));
            }
            Ok(Action::Scale(f))
        }
        "pin" => {
            let p = number(o, "position")?.unwrap_or(0.0);
            if p.fract() != 0.0 || p < 0.0 || p >= MAX_DECISION_K as f64 {
                return Err(Error::new(ErrorCode::InvalidValue, "position", format!("must be a whole number from 0 to {}", MAX_DECISION_K - 1)));
            }
            let item = match o.get("item") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => Some(s.clone()),
                Some(other) => return Err(wrong("item", "an item id", other)),
            };
            Ok(Action::Pin { position: p as usize, item })
        }
        "exclude" => Ok(Action::Exclude),
        "include_related" => {
            let of_raw = o.get("of").ok_or_else(|| Error::new(ErrorCode::MissingField, "of", "\"of\" (an item id or expression) is required"))?;
            let of = Condition::compile(of_raw).map_err(|e| e.at("of"))?;
            if of.uses_item() {
                return Err(Error::new(ErrorCode::InvalidValue, "of", "must not depend on the candidate item"));
            }
            let relation = match o.get("relation") {
                None | Some(Value::Null) => RelationKind::Related,
                Some(Value::String(s)) => RelationKind::parse(s).ok_or_else(|| {
                    Error::new(ErrorCode::InvalidValue, "relation", format!("unknown relation \"{s}\"; use related, accessories or similar"))
                })?,
                Some(other) => return Err(wrong("relation", "a string", other)),
            };
            let limit = number(o, "limit")?.unwrap_or(4.0);
            if limit.fract() != 0.0 || !(1.0..=MAX_DECISION_K as f64).contains(&limit) {
                return Err(Error::new(ErrorCode::InvalidValue, "limit", format!("must be a whole number from 1 to {MAX_DECISION_K}")));
            }
            let placement = match o.get("placement").and_then(Value::as_str) {
                None | Some("first") => Placement::First,
                Some("boost") => Placement::Boost(number(o, "factor")?.unwrap_or(1.5).clamp(0.0, MAX_BOOST_FACTOR)),
                Some(other) => {
                    return Err(Error::new(ErrorCode::InvalidValue, "placement", format!("unknown placement \"{other}\"; use first or boost")))
                }
            };
            Ok(Action::IncludeRelated { of, relation, limit: limit as usize, placement })
        }
        other => Err(unknown_action(other)),
    }
}

fn unknown_action(kind: &str) -> Error {
    let echo: String = kind.chars().take(MAX_ECHOED_CHARS).collect();
    Error::new(ErrorCode::InvalidValue, "type", format!("unknown action \"{echo}\"; use boost, bury, pin, exclude or include_related"))
}

fn time_field(v: Option<&Value>, path: &str) -> Result<Option<f64>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_finite() && *n >= 0.0 => Ok(Some(*n)),
        Some(Value::String(s)) => parse_iso8601(s)
            .map(Some)
            .ok_or_else(|| Error::new(ErrorCode::InvalidValue, path, "expected an ISO-8601 time like 2026-11-26T00:00:00Z, or milliseconds")),
        Some(other) => Err(wrong(path, "an ISO-8601 time or milliseconds", other)),
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`
/// into milliseconds since the epoch. Small on purpose: rules need no more.
// Every number here is a fixed-width run of at most 4 ASCII digits and every
// position at most the text's length, so no integer sum or product can
// overflow; the divisors in `days_from_civil` are constants.
#[allow(clippy::arithmetic_side_effects)]
pub fn parse_iso8601(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) as f64 * 86_400_000.0;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b.get(10), Some(b'T') | Some(b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let mut pos = 16;
    let mut sec = 0.0;
    if b.get(pos) == Some(&b':') {
        sec = num(17..19)? as f64;
        pos = 19;
        if b.get(pos) == Some(&b'.') {
            let start = pos + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            let frac = crate::json::parse_decimal(s.get(pos..end)?)?;
            sec += frac;
            pos = end;
        }
    }
    if h > 23 || mi > 59 || sec >= 61.0 {
        return None;
    }
    ms += (h * 3_600_000 + mi * 60_000) as f64 + sec * 1000.0;
    match b.get(pos) {
        Some(b'Z') if pos + 1 == b.len() => Some(ms),
        Some(&sign @ (b'+' | b'-')) if b.len() == pos + 6 && b.get(pos + 3) == Some(&b':') => {
            let off = (num(pos + 1..pos + 3)? * 60 + num(pos + 4..pos + 6)?) as f64 * 60_000.0;
            Some(if sign == b'+' { ms - off } else { ms + off })
        }
        None => Some(ms),
        _ => None,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
// y <= 9999, 1 <= m <= 12, 1 <= d <= 31 (the parser's fixed-width fields):
// every intermediate stays below 10^7, and the divisors are constants.
#[allow(clippy::arithmetic_side_effects)]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = (if y >= 0 { y } else { y - 399 }) / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn load(text: &str) -> Result<RuleSet> {
        RuleSet::from_value(&parse(text).expect("json"))
    }

    #[test]
    fn loads_every_action_and_orders_by_priority() {
        let set = load(
            r#"{"rules":[
              {"id":"low","priority":1,"condition":{"==":[{"var":"item.category"},"socks"]},"action":{"type":"bury","factor":0.2}},
              {"id":"acc","priority":10,"condition":{"viewed_within":["sku-1",300]},"action":{"type":"include_related","of":"sku-1","relation":"accessories"}},
              {"id":"pin","action":{"type":"pin","position":0,"item":"sku-9"}},
              {"id":"ex","condition":{"in_cart":[{"var":"item.id"}]},"action":{"type":"exclude"}},
              {"id":"up","condition":{"and":[{">":[{"affinity":["category","shoes"]},1]},{"==":[{"var":"item.category"},"shoes"]}]},"action":{"type":"boost","factor":3},
               "start":"2026-11-01T00:00:00Z","end":"2026-12-01"}]}"#,
        )
        .expect("valid");
        let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["acc", "low", "pin", "ex", "up"]);
        let up = set.rules.iter().find(|r| r.id == "up").expect("up");
        assert_eq!((up.session_part.len(), up.item_part.len()), (1, 1));
        assert!(up.active("any", parse_iso8601("2026-11-15T12:00:00Z").expect("time")));
        assert!(!up.active("any", parse_iso8601("2026-12-01T00:00:00Z").expect("time")));
    }

    #[test]
    fn malformed_sets_are_rejected_whole_with_a_path() {
        let cases: &[(&str, ErrorCode, &str)] = &[
            (r#"{"rules":[{"id":"a","action":{"type":"exclude"}},{"id":"b","condition":{"and":[true,{"=~":[1,2]}]},"action":{"type":"exclude"}}]}"#,
             ErrorCode::UnknownOperator, "rules[1].condition.and[1]"),
            (r#"{"rules":[{"id":"a"}]}"#, ErrorCode::MissingField, "rules[0].action"),
            (r#"{"rules":[{"id":"a","action":{"type":"teleport"}}]}"#, ErrorCode::InvalidValue, "rules[0].action.type"),
            // An unknown type with fields: the type is the error, not its fields.
            (r#"{"rules":[{"id":"a","action":{"type":"teleport","factor":2}}]}"#, ErrorCode::InvalidValue, "rules[0].action.type"),
            (r#"{"rules":[{"id":"a","action":{"type":"boost","factr":3}}]}"#, ErrorCode::InvalidValue, "rules[0].action.factr"),
            (r#"{"rules":[{"id":"a","action":{"type":"exclude","item":"sku-1"}}]}"#, ErrorCode::InvalidValue, "rules[0].action.item"),
            (r#"{"rules":[{"id":"a","action":{"type":"pin","position":0,"brand":"acme"}}]}"#, ErrorCode::InvalidValue, "rules[0].action.brand"),
            (r#"{"rules":[{"id":"a","action":{"type":"boost","factor":-1}}]}"#, ErrorCode::InvalidValue, "rules[0].action.factor"),
            (r#"{"rules":[{"id":"a","action":{"type":"pin","position":1.5}}]}"#, ErrorCode::InvalidValue, "rules[0].action.position"),
            (r#"{"rules":[{"id":"a","action":{"type":"include_related"}}]}"#, ErrorCode::MissingField, "rules[0].action.of"),
            (r#"{"rules":[{"id":"a","action":{"type":"include_related","of":{"var":"item.id"}}}]}"#, ErrorCode::InvalidValue, "rules[0].action.of"),
            (r#"{"rules":[{"id":"a","action":{"type":"exclude"}},{"id":"a","action":{"type":"exclude"}}]}"#, ErrorCode::InvalidValue, "rules[1].id"),
            (r#"{"rules":[{"id":"a","start":"yesterday","action":{"type":"exclude"}}]}"#, ErrorCode::InvalidValue, "rules[0].start"),
            (r#"{"rules":[{"id":"a","start":2000,"end":1000,"action":{"type":"exclude"}}]}"#, ErrorCode::InvalidValue, "rules[0].end"),
            (r#"{"rules":"all"}"#, ErrorCode::WrongType, "rules"),
        ];
        for (text, code, path) in cases {
            let err = load(text).expect_err(text);
            assert_eq!((err.code, err.path.as_str()), (*code, *path), "{text}: {err}");
        }
        let err = load(r#"{"rules":[{"id":"a","action":{"type":"exclude"}},{"id":"b","condition":{"and":[true,{"=~":[1,2]}]},"action":{"type":"exclude"}}]}"#).expect_err("bad");
        assert_eq!(err.to_string(), r#"rules[1].condition.and[1]: unknown operator "=~""#);
    }

    #[test]
    fn too_many_rules_is_too_large() {
        let one = r#"{"id":"r","action":{"type":"exclude"}}"#;
        let text = format!("[{}]", vec![one; MAX_RULES + 1].join(","));
        assert_eq!(load(&text).expect_err("too many").code, ErrorCode::TooLarge);
    }

    #[test]
    fn iso_times() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_iso8601("2026-11-26"), Some(1_795_651_200_000.0));
        assert_eq!(parse_iso8601("2026-11-26T01:00:00+01:00"), Some(1_795_651_200_000.0));
        assert_eq!(parse_iso8601("2026-11-26T00:00:00.250Z"), Some(1_795_651_200_250.0));
        for bad in ["", "2026", "2026-13-01", "2026-11-26T25:00Z", "2026-11-26Tnoon", "2026-11-26T00:00:00Q"] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
