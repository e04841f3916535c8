//! The outbox: events waiting to reach the collector (`POST /v1/collect`).
//!
//! A pure state machine: the browser adapter (`pkg-template/src/sync/`) does
//! the I/O (storage, `fetch`, `sendBeacon`, locks) and asks the outbox what to
//! do next; the clock (`now_ms`) is an argument and the backoff jitter comes
//! from a seeded generator, so `cargo test` checks exactly what the page runs.
//!
//! ```text
//! enqueue ─▶ queued ─▶ next_batch ─▶ in flight ─▶ on_response ─▶ delivered (2xx, accepted)
//!              ▲                          │                  ├─▶ rejected  (per-event verdict, or a 4xx no retry can fix)
//!              └──── retry (backoff) ◀────┘                  └─▶ queued again (5xx, 429/503 + Retry-After, network)
//! over the count/byte bound or too old ─▶ dropped (counted, and the count is reported)
//! ```
//!
//! The invariant the tests check: every enqueued event ends delivered, or
//! rejected with a reason, or counted as dropped, or is still queued. None
//! disappears silently. Ids (the idempotency key end to end) are the events'
//! own, assigned at track time by [`crate::ids::IdGen`].

// `bytes` is the sum of the entries' body lengths, so subtracting one never
// goes below zero; saturating keeps that true even if a bug broke it.
//!
//! ```
//! use edge_personalize::outbox::{Outbox, OutboxConfig};
//! let mut ob = Outbox::new(OutboxConfig::default(), 1);
//! ob.enqueue(r#"{"id":"01A","type":"page_view"}"#, false, 0.0).unwrap();
//! let batch = ob.next_batch(5_000.0, false).unwrap();
//! assert_eq!(batch.ids, vec!["01A".to_string()]);
//! let out = ob.on_response(batch.seq, 200, None,
//!     r#"{"results":[{"index":0,"status":"accepted","id":"01A"}]}"#, 5_010.0);
//! assert_eq!(out.delivered, vec!["01A".to_string()]);
//! assert_eq!(ob.status().delivered, 1);
//! ```

use crate::error::{Error, ErrorCode, Result};
use crate::json::{self, Map, Value};
use crate::limits::{
    DEFAULT_OUTBOX_BATCH_BYTES, DEFAULT_OUTBOX_BATCH_EVENTS, DEFAULT_OUTBOX_BYTES, DEFAULT_OUTBOX_EVENTS,
    DEFAULT_OUTBOX_MAX_AGE_MS, MAX_BATCH_EVENTS, MAX_ID_LEN, MAX_OUTBOX_BATCH_BYTES, MAX_OUTBOX_BYTES, MAX_OUTBOX_EVENTS,
    MAX_OUTBOX_EVENT_BYTES, MIN_OUTBOX_BYTES,
};

/// What to give up when the outbox is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropPolicy {
    /// Drop the oldest queued events to make room (fresh behaviour matters more).
    Oldest,
    /// Refuse the new event (the oldest history matters more).
    Newest,
}

/// Batching, retry and bound settings. Defaults follow the collectors shops
/// use (Segment, Snowplow): about 20 events, 5 s or 64 KB per batch.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboxConfig {
    pub batch_events: usize,
    pub batch_bytes: usize,
    pub flush_interval_ms: f64,
    pub max_events: usize,
    pub max_bytes: usize,
    pub drop_policy: DropPolicy,
    pub backoff_base_ms: f64,
    pub backoff_max_ms: f64,
    /// Events older than this are dropped (counted) instead of sent.
    pub max_age_ms: f64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            batch_events: DEFAULT_OUTBOX_BATCH_EVENTS,
            batch_bytes: DEFAULT_OUTBOX_BATCH_BYTES,
            flush_interval_ms: 5_000.0,
            max_events: DEFAULT_OUTBOX_EVENTS,
            max_bytes: DEFAULT_OUTBOX_BYTES,
            drop_policy: DropPolicy::Oldest,
            backoff_base_ms: 1_000.0,
            backoff_max_ms: 60_000.0,
            max_age_ms: DEFAULT_OUTBOX_MAX_AGE_MS,
        }
    }
}

fn bad(path: &str, msg: &str) -> Error {
    Error::new(ErrorCode::InvalidConfig, path, msg)
}

impl OutboxConfig {
    /// Reads `{batchEvents, batchBytes, flushIntervalMs, maxEvents, maxBytes,
    /// dropPolicy: "oldest"|"newest", backoffBaseMs, backoffMaxMs, maxAgeMs}`.
    pub fn from_value(v: &Value) -> Result<OutboxConfig> {
        let mut c = OutboxConfig::default();
        let o = match v {
            Value::Null => return Ok(c),
            Value::Object(o) => o,
            _ => return Err(bad("", "expected an outbox config object")),
        };
        for (key, val) in o.iter() {
            if matches!(val, Value::Null) {
                continue;
            }
            if key == "dropPolicy" {
                c.drop_policy = match val.as_str() {
                    Some("oldest") => DropPolicy::Oldest,
                    Some("newest") => DropPolicy::Newest,
                    _ => return Err(bad(key, "dropPolicy is \"oldest\" or \"newest\"")),
                };
                continue;
            }
            let n = val.as_f64().filter(|n| n.is_finite() && *n >= 0.0).ok_or_else(|| bad(key, "expected a number >= 0"))?;
            let count = |lo: usize, hi: usize| -> Result<usize> {
                if n.fract() == 0.0 && n >= lo as f64 && n <= hi as f64 {
                    Ok(n as usize)
                } else {
                    Err(bad(key, &format!("expected a whole number from {lo} to {hi}")))
                }
            };
            match key {
                "batchEvents" => c.batch_events = count(1, MAX_BATCH_EVENTS)?,
                "batchBytes" => c.batch_bytes = count(MIN_OUTBOX_BYTES, MAX_OUTBOX_BATCH_BYTES)?,
                "maxEvents" => c.max_events = count(1, MAX_OUTBOX_EVENTS)?,
                "maxBytes" => c.max_bytes = count(MIN_OUTBOX_BYTES, MAX_OUTBOX_BYTES)?,
                "flushIntervalMs" => c.flush_interval_ms = n,
                "backoffBaseMs" => c.backoff_base_ms = n,
                "backoffMaxMs" => c.backoff_max_ms = n,
                "maxAgeMs" => c.max_age_ms = n,
                _ => return Err(bad(key, "unknown outbox config field")),
            }
        }
        Ok(c)
    }
}

#[derive(Clone, Debug)]
struct Entry {
    id: String,
    body: String,
    urgent: bool,
    /// When the event was enqueued (its age bounds how long it may wait).
    at_ms: f64,
    /// The batch carrying it, when in flight.
    in_flight: Option<u64>,
}

/// One request's worth of events.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Matches the answer to the request ([`Outbox::on_response`]).
    pub seq: u64,
    pub ids: Vec<String>,
    /// The request body: `{"events":[...]}`.
    pub body: String,
}

/// Why an event left the outbox without being delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// What an answer changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub delivered: Vec<String>,
    pub rejected: Vec<Rejection>,
    /// Events put back in the queue, to be sent again.
    pub requeued: usize,
    /// When the next attempt may start, if the answer asked to wait.
    pub retry_at_ms: Option<f64>,
}

/// What adding an event did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Enqueued {
    pub id: String,
    /// The id was already queued: nothing changed (adding is idempotent).
    pub duplicate: bool,
    /// Events dropped to respect the bounds (may include the new one).
    pub dropped: Vec<String>,
}

/// Counts for `status()` and the debug drawer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub queued: usize,
    pub in_flight: usize,
    pub bytes: usize,
    pub delivered: u64,
    pub rejected: u64,
    pub dropped: u64,
    /// Dropped events not yet reported to the collector ([`Outbox::take_drops_to_report`]).
    pub drops_unreported: u64,
    pub attempts: u32,
    pub retry_at_ms: f64,
    pub online: bool,
    pub last_error: Option<String>,
}

/// The outbox of one page (the sending tab's).
pub struct Outbox {
    config: OutboxConfig,
    entries: Vec<Entry>,
    bytes: usize,
    next_seq: u64,
    in_flight: Option<(u64, Vec<String>)>,
    /// Consecutive failed attempts: the backoff exponent.
    attempts: u32,
    retry_at_ms: f64,
    online: bool,
    /// Lowered after a 413 so the next batch is smaller.
    batch_cap: usize,
    delivered: u64,
    rejected: u64,
    dropped: u64,
    drops_reported: u64,
    last_error: Option<String>,
    rng: fastrand::Rng,
}

impl Outbox {
    pub fn new(config: OutboxConfig, seed: u64) -> Outbox {
        let batch_cap = config.batch_events;
        Outbox {
            config,
            entries: Vec::new(),
            bytes: 0,
            next_seq: 1,
            in_flight: None,
            attempts: 0,
            retry_at_ms: 0.0,
            online: true,
            batch_cap,
            delivered: 0,
            rejected: 0,
            dropped: 0,
            drops_reported: 0,
            last_error: None,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    pub fn config(&self) -> &OutboxConfig {
        &self.config
    }

    /// True when the event `id` waits in the outbox (queued or in flight).
    pub fn contains(&self, id: &str) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }

    /// Adds an event (JSON text of an object with a string `id`, as `track`
    /// returns it). Adding an id that is already here changes nothing. When
    /// the outbox is over its bounds, the drop policy decides what goes.
    pub fn enqueue(&mut self, body: &str, urgent: bool, now_ms: f64) -> Result<Enqueued> {
        if body.len() > MAX_OUTBOX_EVENT_BYTES || body.len().saturating_add(16) > self.config.batch_bytes {
            return Err(Error::new(
                ErrorCode::TooLarge,
                "",
                format!("an event of {} bytes; at most {} fit in a batch", body.len(), self.config.batch_bytes.min(MAX_OUTBOX_EVENT_BYTES)),
            ));
        }
        let v = json::parse(body)?;
        if v.as_object().is_none() {
            return Err(Error::new(ErrorCode::WrongType, "", "an event is a JSON object"));
        }
        let id = match v.get("id") {
            Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
            Some(_) => return Err(Error::new(ErrorCode::WrongType, "id", "the event id must be a string of 1 to 128 bytes")),
            None => return Err(Error::new(ErrorCode::MissingField, "id", "events enter the outbox with their id (track assigns it)")),
        };
        if self.contains(&id) {
            return Ok(Enqueued { id, duplicate: true, dropped: Vec::new() });
        }
        let mut dropped = Vec::new();
        let size = body.len();
        while self.entries.len() >= self.config.max_events || self.bytes.saturating_add(size) > self.config.max_bytes {
            let victim = match self.config.drop_policy {
                DropPolicy::Newest => None,
                // In-flight events stay: their answer decides their fate.
                DropPolicy::Oldest => self.entries.iter().position(|e| e.in_flight.is_none()),
            };
            match victim {
                Some(i) => {
                    let e = self.entries.remove(i);
                    self.bytes = self.bytes.saturating_sub(e.body.len());
                    self.dropped = self.dropped.saturating_add(1);
                    dropped.push(e.id);
                }
                None => {
                    self.dropped = self.dropped.saturating_add(1);
                    dropped.push(id.clone());
                    return Ok(Enqueued { id, duplicate: false, dropped });
                }
            }
        }
        self.bytes = self.bytes.saturating_add(size);
        self.entries.push(Entry { id: id.clone(), body: body.to_string(), urgent, at_ms: now_ms, in_flight: None });
        Ok(Enqueued { id, duplicate: false, dropped })
    }

    /// Network state from the page: going online ends any backoff wait.
    pub fn set_online(&mut self, online: bool, now_ms: f64) {
        if online && !self.online {
            self.retry_at_ms = now_ms;
            self.attempts = 0;
        }
        self.online = online;
    }

    /// Drops events older than `max_age_ms` (counted); returns their ids.
    pub fn expire(&mut self, now_ms: f64) -> Vec<String> {
        let max_age = self.config.max_age_ms;
        let mut out = Vec::new();
        let mut bytes = self.bytes;
        self.entries.retain(|e| {
            let keep = e.in_flight.is_some() || now_ms - e.at_ms <= max_age;
            if !keep {
                bytes = bytes.saturating_sub(e.body.len());
                out.push(e.id.clone());
            }
            keep
        });
        self.dropped = self.dropped.saturating_add(out.len() as u64);
        self.bytes = bytes;
        out
    }

    fn queued(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.in_flight.is_none())
    }

    /// True when a batch should go now: full by count or bytes, an urgent
    /// event waits, or the oldest has waited the flush interval.
    fn due(&self, now_ms: f64) -> bool {
        let (mut n, mut bytes, mut oldest, mut urgent) = (0usize, 0usize, f64::INFINITY, false);
        for e in self.queued() {
            n = n.saturating_add(1);
            bytes = bytes.saturating_add(e.body.len()).saturating_add(1);
            oldest = oldest.min(e.at_ms);
            urgent |= e.urgent;
        }
        n > 0
            && (urgent || n >= self.batch_cap || bytes >= self.config.batch_bytes || now_ms - oldest >= self.config.flush_interval_ms)
    }

    /// The next batch to send, or None (nothing due, one already in flight,
    /// offline, or waiting out a backoff). `force` sends whatever is queued
    /// (page hidden, manual flush) but still honours backoff and offline.
    pub fn next_batch(&mut self, now_ms: f64, force: bool) -> Option<Batch> {
        if self.in_flight.is_some() || !self.online || now_ms < self.retry_at_ms {
            return None;
        }
        if !(self.due(now_ms) || force && self.queued().next().is_some()) {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let mut ids = Vec::new();
        let mut body = String::from("{\"events\":[");
        let cap = self.batch_cap.max(1);
        for e in self.entries.iter_mut() {
            if e.in_flight.is_some() {
                continue;
            }
            if ids.len() >= cap || (!ids.is_empty() && body.len().saturating_add(e.body.len()).saturating_add(3) > self.config.batch_bytes) {
                break;
            }
            if !ids.is_empty() {
                body.push(',');
            }
            body.push_str(&e.body);
            e.in_flight = Some(seq);
            ids.push(e.id.clone());
        }
        body.push_str("]}");
        if ids.is_empty() {
            return None;
        }
        self.in_flight = Some((seq, ids.clone()));
        Some(Batch { seq, ids, body })
    }

    /// Every queued event as request bodies of at most `max_bytes` each, for
    /// `sendBeacon` / `keepalive` when the page goes away. The in-flight batch
    /// is left out (its own keepalive request carries it), so no event is sent
    /// twice at once. Nothing changes state: the events stay until a later
    /// answer acknowledges them, and the collector's consumers drop re-sends by id.
    pub fn unload_chunks(&self, max_bytes: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut body = String::new();
        let mut n = 0;
        for e in self.queued() {
            if n > 0 && (body.len().saturating_add(e.body.len()).saturating_add(3) > max_bytes || n >= MAX_BATCH_EVENTS) {
                body.push_str("]}");
                out.push(std::mem::take(&mut body));
                n = 0;
            }
            body.push_str(if n == 0 { "{\"events\":[" } else { "," });
            body.push_str(&e.body);
            n = n.saturating_add(1);
        }
        if n > 0 {
            body.push_str("]}");
            out.push(body);
        }
        out
    }

    /// Full-jitter exponential backoff: uniform in [0, min(cap, base·2^attempts)).
    fn backoff_ms(&mut self) -> f64 {
        let exp = 2f64.powi(self.attempts.min(30) as i32);
        let ceiling = (self.config.backoff_base_ms * exp).min(self.config.backoff_max_ms);
        self.rng.f64() * ceiling
    }

    fn take_batch(&mut self, seq: u64) -> Option<Vec<String>> {
        match &self.in_flight {
            Some((s, _)) if *s == seq => self.in_flight.take().map(|(_, ids)| ids),
            _ => None,
        }
    }

    fn requeue(&mut self, seq: u64) -> usize {
        let mut n: usize = 0;
        for e in self.entries.iter_mut().filter(|e| e.in_flight == Some(seq)) {
            e.in_flight = None;
            n = n.saturating_add(1);
        }
        n
    }

    fn finish(&mut self, id: &str) -> bool {
        match self.entries.iter().position(|e| e.id == id) {
            Some(i) => {
                let e = self.entries.remove(i);
                self.bytes = self.bytes.saturating_sub(e.body.len());
                true
            }
            None => false,
        }
    }

    fn retry_later(&mut self, seq: u64, retry_after_s: Option<f64>, now_ms: f64, why: String) -> Outcome {
        let requeued = self.requeue(seq);
        let wait = match retry_after_s.filter(|s| s.is_finite() && *s >= 0.0) {
            Some(s) => (s * 1000.0).min(self.config.backoff_max_ms.max(1000.0) * 10.0),
            None => self.backoff_ms(),
        };
        self.attempts = self.attempts.saturating_add(1);
        self.retry_at_ms = now_ms + wait;
        self.last_error = Some(why);
        Outcome { requeued, retry_at_ms: Some(self.retry_at_ms), ..Outcome::default() }
    }

    /// The collector's answer to batch `seq`: HTTP `status` (0 for a network
    /// error), its `Retry-After` in seconds, and its body. Answers to a batch
    /// that is not in flight (a late answer after a reload) change nothing.
    pub fn on_response(&mut self, seq: u64, status: u16, retry_after_s: Option<f64>, body: &str, now_ms: f64) -> Outcome {
        let Some(ids) = self.take_batch(seq) else { return Outcome::default() };
        match status {
            200..=299 => self.accept(seq, &ids, body, now_ms),
            413 if ids.len() > 1 => {
                // Too large for the collector: halve the batch and try again now.
                self.batch_cap = (ids.len() / 2).max(1);
                let requeued = self.requeue(seq);
                self.last_error = Some("HTTP 413: batch too large, splitting".into());
                Outcome { requeued, ..Outcome::default() }
            }
            0 | 408 | 425 | 429 | 500..=599 => {
                let why = if status == 0 { "network error".to_string() } else { format!("HTTP {status}") };
                self.retry_later(seq, retry_after_s, now_ms, why)
            }
            _ => {
                // A 4xx a retry cannot fix: every event of the batch is rejected with the server's reason.
                let (code, message) = request_error(body, status);
                self.last_error = Some(format!("HTTP {status} {code}: {message}"));
                let mut out = Outcome::default();
                for id in ids {
                    if self.finish(&id) {
                        self.rejected = self.rejected.saturating_add(1);
                        out.rejected.push(Rejection { id, code: code.clone(), message: message.clone() });
                    }
                }
                out
            }
        }
    }

    /// A 2xx answer: per-event results by index. Events the answer does not
    /// mention (a malformed answer) go back to the queue.
    fn accept(&mut self, seq: u64, ids: &[String], body: &str, now_ms: f64) -> Outcome {
        let mut out = Outcome::default();
        let parsed = json::parse(body).ok();
        let results = parsed.as_ref().and_then(|v| v.get("results")).and_then(|r| r.as_array()).unwrap_or(&[]);
        for r in results {
            let Some(id) = r.get("index").and_then(|i| i.as_f64()).filter(|i| i.fract() == 0.0 && *i >= 0.0).and_then(|i| ids.get(i as usize))
            else {
                continue;
            };
            // Only an event still in flight in this batch is settled (a result listed twice counts once).
            if !self.entries.iter().any(|e| &e.id == id && e.in_flight == Some(seq)) {
                continue;
            }
            match r.get("status").and_then(|s| s.as_str()) {
                Some("accepted") => {
                    self.finish(id);
                    self.delivered = self.delivered.saturating_add(1);
                    out.delivered.push(id.clone());
                }
                Some("rejected") => {
                    let err = r.get("error");
                    let field = |k: &str| err.and_then(|e| e.get(k)).and_then(|s| s.as_str()).unwrap_or("").to_string();
                    let code = field("code");
                    self.finish(id);
                    self.rejected = self.rejected.saturating_add(1);
                    out.rejected.push(Rejection {
                        id: id.clone(),
                        code: if code.is_empty() { "INVALID_VALUE".into() } else { code },
                        message: field("message"),
                    });
                }
                _ => {}
            }
        }
        let left = self.requeue(seq);
        if left > 0 {
            let o = self.retry_later(seq, None, now_ms, "answer without a result for every event".into());
            out.requeued = left;
            out.retry_at_ms = o.retry_at_ms;
        } else {
            self.attempts = 0;
            self.retry_at_ms = 0.0;
            self.batch_cap = self.config.batch_events;
        }
        out
    }

    /// Forgets the in-flight batch without an answer (the sending tab lost
    /// its lock, the request was aborted): its events are queued again.
    pub fn abandon_in_flight(&mut self) -> usize {
        match self.in_flight.take() {
            Some((seq, _)) => self.requeue(seq),
            None => 0,
        }
    }

    /// When `next_batch` may have something to send (ms since the epoch), or
    /// None when the outbox is empty.
    pub fn next_wake_ms(&self) -> Option<f64> {
        let mut wake = f64::INFINITY;
        for e in self.queued() {
            wake = wake.min(if e.urgent { e.at_ms } else { e.at_ms + self.config.flush_interval_ms });
        }
        if self.queued().count() >= self.batch_cap {
            wake = 0.0;
        }
        if wake.is_finite() {
            Some(wake.max(self.retry_at_ms))
        } else {
            None
        }
    }

    /// Dropped events the collector has not been told about yet; counts them
    /// as told. The adapter sends the number as an `ep_outbox_dropped` event.
    pub fn take_drops_to_report(&mut self) -> u64 {
        let n = self.dropped.saturating_sub(self.drops_reported);
        self.drops_reported = self.dropped;
        n
    }

    pub fn status(&self) -> Status {
        let in_flight = self.in_flight.as_ref().map(|(_, ids)| ids.len()).unwrap_or(0);
        Status {
            queued: self.queued().count(),
            in_flight,
            bytes: self.bytes,
            delivered: self.delivered,
            rejected: self.rejected,
            dropped: self.dropped,
            drops_unreported: self.dropped.saturating_sub(self.drops_reported),
            attempts: self.attempts,
            retry_at_ms: self.retry_at_ms,
            online: self.online,
            last_error: self.last_error.clone(),
        }
    }
}

impl Status {
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(11);
        let n = |x: f64| Value::Number(x);
        m.insert("queued", n(self.queued as f64));
        m.insert("inFlight", n(self.in_flight as f64));
        m.insert("bytes", n(self.bytes as f64));
        m.insert("delivered", n(self.delivered as f64));
        m.insert("rejected", n(self.rejected as f64));
        m.insert("dropped", n(self.dropped as f64));
        m.insert("dropsUnreported", n(self.drops_unreported as f64));
        m.insert("attempts", n(self.attempts as f64));
        m.insert("retryAt", n(self.retry_at_ms));
        m.insert("online", Value::Bool(self.online));
        m.insert("lastError", self.last_error.as_deref().map(Value::from).unwrap_or(Value::Null));
        Value::Object(m)
    }
}

impl Outcome {
    pub fn to_value(&self) -> Value {
        let mut m = Map::with_capacity(4);
        m.insert("delivered", Value::Array(self.delivered.iter().map(|s| Value::from(s.as_str())).collect()));
        let rejected = self
            .rejected
            .iter()
            .map(|r| {
                let mut o = Map::with_capacity(3);
                o.insert("id", Value::from(r.id.as_str()));
                o.insert("code", Value::from(r.code.as_str()));
                o.insert("message", Value::from(r.message.as_str()));
                Value::Object(o)
            })
            .collect();
        m.insert("rejected", Value::Array(rejected));
        m.insert("requeued", Value::Number(self.requeued as f64));
        m.insert("retryAt", self.retry_at_ms.map(Value::Number).unwrap_or(Value::Null));
        Value::Object(m)
    }
}

/// The `{"error": {"code", "message"}}` of a request-level answer.
fn request_error(body: &str, status: u16) -> (String, String) {
    let v = json::parse(body).ok();
    let err = v.as_ref().and_then(|v| v.get("error"));
    let field = |k: &str| err.and_then(|e| e.get(k)).and_then(|s| s.as_str()).map(|s| s.chars().take(200).collect::<String>());
    (field("code").unwrap_or_else(|| format!("HTTP_{status}")), field("message").unwrap_or_default())
}
