//! Training data readers (native only): the plain-text session format of the
//! benchmark files and the NDJSON export of our own event stream.
//!
//! Both produce the same thing: sessions as item indices with a per-click
//! weight, plus logged decisions that converted (`Feedback`).

use std::collections::HashMap;

use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Value};
use crate::limits::MAX_ID_LEN;

/// Item ids in order of first appearance; the order is the model's index.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: Vec<String>,
    map: HashMap<String, u32>,
}

impl Interner {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self::default()
    }
    /// The index of `id`, adding it if new.
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.map.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(id.to_string());
        self.map.insert(id.to_string(), i);
        i
    }
    /// The index of `id`, if known.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.map.get(id).copied()
    }
    /// Number of distinct ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// No ids yet.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The ids, by index.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
    /// The ids, by index, by value.
    pub fn into_ids(self) -> Vec<String> {
        self.ids
    }
}

/// One session: item indices in time order and how much each click counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub items: Vec<u32>,
    pub weights: Vec<f32>,
}

/// A logged decision that converted: the session items seen before the
/// impression (oldest first), the item the shopper then engaged with, and
/// how strongly (the event type's weight).
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub context: Vec<u32>,
    pub item: u32,
    pub weight: f32,
}

/// Everything the builder learns from.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub items: Interner,
    pub sessions: Vec<Session>,
    pub feedback: Vec<Feedback>,
}

/// How much one event of each type says about what the shopper wants.
pub fn event_weight(kind: &str) -> Option<f32> {
    match kind {
        "purchase" => Some(4.0),
        "add_to_cart" => Some(3.0),
        "product_click" => Some(2.0),
        "product_view" => Some(1.0),
        _ => None,
    }
}

fn check_id(id: &str, path: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Error::new(
            ErrorCode::InvalidValue,
            path,
            format!("item id must be 1..={MAX_ID_LEN} bytes, got {}", id.len()),
        ));
    }
    Ok(())
}

/// Reads the plain-text format: one session per line, item ids separated by
/// whitespace, clicks in time order. Every click weighs 1. Lines with no items
/// are skipped.
pub fn read_sessions_text(text: &str, items: &mut Interner) -> Result<Vec<Session>> {
    let mut out = Vec::new();
    for (ln, line) in text.lines().enumerate() {
        let mut s = Session::default();
        for tok in line.split_ascii_whitespace() {
            check_id(tok, &format!("line {}", ln + 1))?;
            s.items.push(items.intern(tok));
            s.weights.push(1.0);
        }
        if !s.items.is_empty() {
            out.push(s);
        }
    }
    Ok(out)
}

/// Reads sessions of the text format against a fixed dictionary (for test
/// data): unknown ids become `u32::MAX`, which models ignore and never match.
pub fn read_sessions_text_known(text: &str, items: &Interner) -> Vec<Vec<u32>> {
    text.lines()
        .map(|line| line.split_ascii_whitespace().map(|t| items.get(t).unwrap_or(u32::MAX)).collect::<Vec<u32>>())
        .filter(|s| !s.is_empty())
        .collect()
}

struct Ev {
    ts: f64,
    line: usize,
    kind: String,
    items: Vec<String>,
    decision: Option<String>,
}

fn item_ids(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(id) = v.get("item").and_then(|i| i.get("id")).and_then(Value::as_str) {
        out.push(id.to_string());
    }
    if let Some(arr) = v.get("items").and_then(Value::as_array) {
        for it in arr {
            if let Some(id) = it.get("id").and_then(Value::as_str) {
                out.push(id.to_string());
            }
        }
    }
    out
}

/// The JSON objects of an NDJSON export with their 0-based line index.
/// Blank lines are skipped; a line that is not a JSON object is an error
/// naming its (1-based) line. Shared by the builder and `ep-model report`.
pub fn ndjson_objects(text: &str) -> impl Iterator<Item = Result<(usize, Value)>> + '_ {
    text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()).map(|(ln, line)| {
        let at = format!("line {}", ln + 1);
        let v = json::parse(line).map_err(|e| e.at(&at))?;
        if v.as_object().is_none() {
            return Err(Error::new(ErrorCode::WrongType, at, "an event must be a JSON object"));
        }
        Ok((ln, v))
    })
}

/// Reads an NDJSON event export (the schema in TEAM-NOTES). Item events
/// become session clicks weighted by type (purchase > add_to_cart >
/// product_click > product_view; a run of events on the same item keeps the
/// strongest); impressions with a `decisionId` followed by a click, cart or
/// purchase carrying that `decisionId` become [`Feedback`]. Lines that are not
/// JSON objects are errors with their line number; events of other types are
/// skipped. Returns the dataset and the number of events read.
pub fn read_ndjson(text: &str, items: &mut Interner) -> Result<(Vec<Session>, Vec<Feedback>, usize)> {
    let mut by_session: HashMap<String, Vec<Ev>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut count = 0usize;
    for obj in ndjson_objects(text) {
        let (ln, v) = obj?;
        count += 1;
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("").to_string();
        let sid = v.get("sessionId").and_then(Value::as_str).unwrap_or("").to_string();
        let ts = v.get("ts").and_then(Value::as_f64).unwrap_or(0.0);
        let ids = item_ids(&v);
        for id in &ids {
            check_id(id, &format!("line {}.item.id", ln + 1))?;
        }
        let decision = v.get("decisionId").and_then(Value::as_str).map(str::to_string);
        let ev = Ev { ts, line: ln, kind, items: ids, decision };
        match by_session.get_mut(&sid) {
            Some(list) => list.push(ev),
            None => {
                order.push(sid.clone());
                by_session.insert(sid, vec![ev]);
            }
        }
    }
    let mut sessions = Vec::new();
    let mut feedback = Vec::new();
    for sid in order {
        let Some(mut evs) = by_session.remove(&sid) else { continue };
        evs.sort_by(|a, b| a.ts.total_cmp(&b.ts).then(a.line.cmp(&b.line)));
        let mut s = Session::default();
        // decisionId -> number of session clicks before its impression
        let mut impressions: HashMap<String, usize> = HashMap::new();
        for ev in &evs {
            if ev.kind == "impression" {
                if let Some(d) = &ev.decision {
                    impressions.entry(d.clone()).or_insert(s.items.len());
                }
                continue;
            }
            let Some(w) = event_weight(&ev.kind) else { continue };
            for id in &ev.items {
                let idx = items.intern(id);
                if let Some(d) = ev.decision.as_ref().filter(|_| ev.kind != "product_view") {
                    if let Some(&before) = impressions.get(d) {
                        let context = s.items.get(..before).unwrap_or(&[]).to_vec();
                        feedback.push(Feedback { context, item: idx, weight: w });
                    }
                }
                if s.items.last() == Some(&idx) {
                    if let Some(lw) = s.weights.last_mut() {
                        *lw = lw.max(w);
                    }
                } else {
                    s.items.push(idx);
                    s.weights.push(w);
                }
            }
        }
        if !s.items.is_empty() {
            sessions.push(s);
        }
    }
    Ok((sessions, feedback, count))
}

/// Reads a training file in either format into a dataset.
pub fn read_dataset(text: &str, ndjson: bool) -> Result<Dataset> {
    let mut items = Interner::new();
    if ndjson {
        let (sessions, feedback, _) = read_ndjson(text, &mut items)?;
        Ok(Dataset { items, sessions, feedback })
    } else {
        let sessions = read_sessions_text(text, &mut items)?;
        Ok(Dataset { items, sessions, feedback: Vec::new() })
    }
}
