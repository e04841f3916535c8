//! `ep-model report` (native only): CTR and conversion per group and per slot
//! from an NDJSON event export, so uplift of treatment over holdout can be
//! read off directly.
//!
//! Attribution is by `decisionId`: an impression opens a decision (its slot is
//! `context.slot`, its group the event's `group`); a `product_click`,
//! `add_to_cart` or `purchase` carrying the same `decisionId` counts for it.
//! CTR = decisions with a click / impressions; cart rate and conversion
//! likewise with add-to-carts and purchases. Session conversion (sessions with
//! any purchase / sessions, per group) does not depend on attribution.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::Result;
use crate::json::Value;

/// Counts for one group or slot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Funnel {
    pub impressions: u64,
    pub clicked: u64,
    pub carted: u64,
    pub purchased: u64,
}

impl Funnel {
    fn rate(x: u64, of: u64) -> f64 {
        if of == 0 {
            0.0
        } else {
            100.0 * x as f64 / of as f64
        }
    }
    /// Percent of impressions that got a click.
    pub fn ctr(&self) -> f64 {
        Self::rate(self.clicked, self.impressions)
    }
    /// Percent of impressions that led to an add-to-cart.
    pub fn cart_rate(&self) -> f64 {
        Self::rate(self.carted, self.impressions)
    }
    /// Percent of impressions that led to a purchase.
    pub fn conversion(&self) -> f64 {
        Self::rate(self.purchased, self.impressions)
    }
}

/// Sessions and purchasing sessions of one group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionCounts {
    pub sessions: u64,
    pub purchasing: u64,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub events: u64,
    pub by_group: BTreeMap<String, Funnel>,
    pub by_slot: BTreeMap<String, Funnel>,
    pub by_group_slot: BTreeMap<(String, String), Funnel>,
    pub sessions: BTreeMap<String, SessionCounts>,
    /// Conversion events whose decisionId had no impression in the export.
    pub unattributed: u64,
}

struct Decision {
    group: String,
    slot: String,
    clicked: bool,
    carted: bool,
    purchased: bool,
}

/// Builds the report from NDJSON text (one event per line; blank lines skipped).
pub fn report(text: &str) -> Result<Report> {
    let mut rep = Report::default();
    let mut decisions: HashMap<String, Decision> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut session_group: HashMap<String, String> = HashMap::new();
    let mut purchasing: HashSet<String> = HashSet::new();
    for obj in super::data::ndjson_objects(text) {
        let (_, v) = obj?;
        rep.events += 1;
        let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
        let group = v.get("group").and_then(Value::as_str).unwrap_or("unknown").to_string();
        let sid = v.get("sessionId").and_then(Value::as_str).unwrap_or("").to_string();
        session_group.entry(sid.clone()).or_insert_with(|| group.clone());
        if kind == "purchase" {
            purchasing.insert(sid.clone());
        }
        let Some(did) = v.get("decisionId").and_then(Value::as_str) else { continue };
        match kind {
            "impression" if !decisions.contains_key(did) => {
                let slot = v.get("context").and_then(|c| c.get("slot")).and_then(Value::as_str).unwrap_or("unknown");
                decisions.insert(
                    did.to_string(),
                    Decision { group, slot: slot.to_string(), clicked: false, carted: false, purchased: false },
                );
                order.push(did.to_string());
            }
            "product_click" | "add_to_cart" | "purchase" => pending.push((did.to_string(), kind.to_string())),
            _ => {}
        }
    }
    // Conversions are attributed after all impressions are known, so an
    // export whose lines are not in time order still attributes correctly.
    for (did, kind) in pending {
        match decisions.get_mut(&did) {
            Some(d) => match kind.as_str() {
                "product_click" => d.clicked = true,
                "add_to_cart" => d.carted = true,
                _ => d.purchased = true,
            },
            None => rep.unattributed += 1,
        }
    }
    for did in order {
        let Some(d) = decisions.get(&did) else { continue };
        bump(rep.by_group.entry(d.group.clone()).or_default(), d);
        bump(rep.by_slot.entry(d.slot.clone()).or_default(), d);
        bump(rep.by_group_slot.entry((d.group.clone(), d.slot.clone())).or_default(), d);
    }
    for (sid, group) in session_group {
        let c = rep.sessions.entry(group).or_default();
        c.sessions += 1;
        if purchasing.contains(&sid) {
            c.purchasing += 1;
        }
    }
    Ok(rep)
}

fn bump(f: &mut Funnel, d: &Decision) {
    f.impressions += 1;
    f.clicked += u64::from(d.clicked);
    f.carted += u64::from(d.carted);
    f.purchased += u64::from(d.purchased);
}

fn funnel_json(f: &Funnel) -> String {
    format!(
        "{{\"impressions\":{},\"clicks\":{},\"carts\":{},\"purchases\":{},\"ctr\":{:.2},\"cartRate\":{:.2},\"conversion\":{:.2}}}",
        f.impressions,
        f.clicked,
        f.carted,
        f.purchased,
        f.ctr(),
        f.cart_rate(),
        f.conversion()
    )
}

fn jstr(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl Report {
    /// One JSON object: `{"events", "groups": {g: funnel}, "slots": {s: funnel},
    /// "groupSlots": [{group, slot, ...funnel}], "sessions": {g: {sessions, purchasing, conversion}}, "unattributed"}`.
    pub fn to_json(&self) -> String {
        let groups: Vec<String> =
            self.by_group.iter().map(|(g, f)| format!("{}:{}", jstr(g), funnel_json(f))).collect();
        let slots: Vec<String> = self.by_slot.iter().map(|(s, f)| format!("{}:{}", jstr(s), funnel_json(f))).collect();
        let gs: Vec<String> = self
            .by_group_slot
            .iter()
            .map(|((g, s), f)| format!("{{\"group\":{},\"slot\":{},\"funnel\":{}}}", jstr(g), jstr(s), funnel_json(f)))
            .collect();
        let ss: Vec<String> = self
            .sessions
            .iter()
            .map(|(g, c)| {
                format!(
                    "{}:{{\"sessions\":{},\"purchasing\":{},\"conversion\":{:.2}}}",
                    jstr(g),
                    c.sessions,
                    c.purchasing,
                    Funnel::rate(c.purchasing, c.sessions)
                )
            })
            .collect();
        format!(
            "{{\"events\":{},\"groups\":{{{}}},\"slots\":{{{}}},\"groupSlots\":[{}],\"sessions\":{{{}}},\"unattributed\":{}}}",
            self.events,
            groups.join(","),
            slots.join(","),
            gs.join(","),
            ss.join(","),
            self.unattributed
        )
    }

    /// A plain-text table for people.
    pub fn to_text(&self) -> String {
        let mut o = format!("events: {}  unattributed conversions: {}\n", self.events, self.unattributed);
        o.push_str(&format!(
            "{:<12} {:<16} {:>11} {:>8} {:>8} {:>8} {:>7} {:>7} {:>7}\n",
            "group", "slot", "impressions", "clicks", "carts", "purch", "CTR%", "cart%", "conv%"
        ));
        let mut line = |g: &str, s: &str, f: &Funnel| {
            o.push_str(&format!(
                "{:<12} {:<16} {:>11} {:>8} {:>8} {:>8} {:>7.2} {:>7.2} {:>7.2}\n",
                g,
                s,
                f.impressions,
                f.clicked,
                f.carted,
                f.purchased,
                f.ctr(),
                f.cart_rate(),
                f.conversion()
            ))
        };
        for (g, f) in &self.by_group {
            line(g, "(all)", f);
        }
        for (s, f) in &self.by_slot {
            line("(all)", s, f);
        }
        for ((g, s), f) in &self.by_group_slot {
            line(g, s, f);
        }
        o.push_str("session conversion by group:\n");
        for (g, c) in &self.sessions {
            o.push_str(&format!(
                "{:<12} sessions {:>8}  purchasing {:>8}  conversion {:>6.2}%\n",
                g,
                c.sessions,
                c.purchasing,
                Funnel::rate(c.purchasing, c.sessions)
            ));
        }
        o
    }
}
