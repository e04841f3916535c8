//! The learned session model (issue 5): a compact artifact the browser loads.
//!
//! INTERFACE the decision engine relies on (implemented by the model owner):
//! - `SessionModel::from_bytes(&[u8]) -> Result<SessionModel>`: checks header,
//!   version (`ModelVersion`) and checksum (`ModelCorrupt`); never panics.
//! - `SessionModel::version(&self) -> &str`
//! - `SessionModel::item_index(&self, id: &str) -> Option<u32>` and
//!   `item_id(&self, idx: u32) -> Option<&str>`
//! - `SessionModel::recommend(&self, session: &[u32], k: usize, out: &mut Vec<(u32, f32)>)`:
//!   `session` is the item indices of the session, oldest first; `out` gets
//!   the top `k` (index, score) pairs, best first, scores > 0.
//!
//! # The method
//! Every item carries a list of weighted neighbours learned from the training
//! sessions: items clicked after it (and, weaker, before it) within a few
//! steps, counted with recent sessions weighing more, normalised by both
//! items' popularity (`count / (occ_i^alpha * occ_j^beta)`). Frequently seen
//! items get longer lists (the size budget goes where sessions are). A
//! session prefix is scored by
//! - summing the neighbour lists of its last few distinct items with
//!   geometrically decaying weights;
//! - a second hop: the strongest first-hop candidates lend their own
//!   neighbours, damped (coverage at no artifact cost);
//! - a decayed boost for items already in the session, partly scaled by the
//!   item's learned re-click rate (people come back to what they looked at);
//! - a small popularity prior.
//!
//! Everything that ranks is in the artifact, including the scoring
//! hyperparameters the builder tuned on the tail of its own training data.
//!
//! # Results (Diginetica, SR-GNN protocol, `make model-eval`)
//! | | HR@20 | MRR@20 |
//! |---|---|---|
//! | this model (1.80 MB gzip) | 54.61 | 19.67 |
//! | Item-KNN | 35.07 | 11.00 |
//! | S-POP | 21.08 | 13.69 |
//! | POP | 0.93 | 0.21 |
//!
//! Hyperparameters were tuned on the last 10% of the training file only
//! (validation: 52.74 / 19.13); the test file was never used for tuning.
//! Scoring one prefix takes ~13 µs natively and ~25 µs (median) in Node's
//! wasm; loading the 2.55 MB artifact ~50 ms.
//!
//! # One artifact, not per-item shards
//! Shards fetched on demand (one item's neighbour row per request, e.g. from
//! the Worker) would average ~60 bytes raw per item, but one recommendation
//! reads the rows of up to `depth` recent items and then of the `hop_from`
//! strongest candidates: two dependent rounds of up to ~10 fetches each,
//! every one paying a request's latency and headers (hundreds of bytes),
//! before the first ranking. The whole artifact is 1.80 MB gzip, fetched once,
//! cached by the browser and scored locally in microseconds with no network
//! on the page's critical path. Shards only pay off for catalogs whose
//! artifact is far beyond the budget; `ep-model build --max-gzip` keeps it
//! inside instead by shortening the lists of rarely seen items first.
//!
//! ```no_run
//! # fn main() -> edge_personalize::Result<()> {
//! use edge_personalize::model::SessionModel;
//! let bytes = std::fs::read("dist/model.epm").unwrap_or_default();
//! let model = SessionModel::from_bytes(&bytes)?;
//! let session: Vec<u32> = ["sku-1", "sku-7"].iter().filter_map(|id| model.item_index(id)).collect();
//! let mut out = Vec::new();
//! model.recommend(&session, 20, &mut out);
//! # Ok(()) }
//! ```
//!
//! # The artifact (format version 1)
//! A 28-byte header: magic `EPMODEL\0`, format version (u16 LE), reserved
//! u16 (0), item count (u32), body length (u32), FNV-1a 64 of the header's
//! first 20 bytes followed by the body (u64). The body, in columns so gzip
//! finds the regularities: the model version string, the scoring parameters,
//! the item ids, each item's neighbour count, each item's weight scale
//! (bfloat16 bits), the neighbour indices (ascending, delta varints), the
//! neighbour weights (u8, square-root companded) and the popularity list.
//! Every count is bounded (see the `MAX_*` constants) before anything is
//! allocated, and any inconsistency is `MODEL_CORRUPT`.

mod codec;

// The native builder, evaluator and report (ep-model) read the operator's own
// training files and never run in a shopper's page; their counters and
// indices are bounded by the data they hold.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::arithmetic_side_effects)]
pub mod build;
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::arithmetic_side_effects)]
pub mod data;
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::arithmetic_side_effects)]
pub mod eval;
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::arithmetic_side_effects)]
pub mod report;

pub use codec::fnv1a64;

use std::cmp::Ordering;

use crate::error::{Error, ErrorCode, Result};
use crate::order;
use codec::{corrupt, Reader};

/// Ranking order: higher score first, then lower index (a total order, so
/// every platform and every sort agrees).
fn better(a: &(u32, f32), b: &(u32, f32)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// First bytes of every model artifact.
pub const MAGIC: &[u8; 8] = b"EPMODEL\0";
/// The artifact format this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Header size in bytes.
pub const HEADER_LEN: usize = 28;
/// Largest artifact accepted (bytes).
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;
/// Most items one model may cover.
pub const MAX_MODEL_ITEMS: usize = 2_000_000;
/// Most neighbours stored per item.
pub const MAX_NEIGHBOURS: usize = 255;
/// Longest model version string.
pub const MAX_VERSION_LEN: usize = 128;
/// Longest item id in a model.
pub const MAX_MODEL_ID_LEN: usize = crate::limits::MAX_ID_LEN;
/// Most items in the popularity prior.
pub const MAX_POP_ITEMS: usize = 1024;
/// Most session items `recommend` looks at (the most recent ones).
pub const MAX_SESSION_ITEMS: usize = crate::limits::SESSION_RING;
/// Most first-hop candidates that may lend their neighbours.
pub const MAX_HOP_FROM: u64 = 64;
/// Deepest history the neighbour scoring may use.
pub const MAX_DEPTH: u32 = 64;

/// How a session prefix is scored; tuned by the builder, stored in the artifact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreParams {
    /// How many of the most recent session items contribute their neighbours.
    pub depth: u32,
    /// Weight of the r-th most recent item's neighbours is `decay^r`.
    pub decay: f32,
    /// Boost for an item already in the session, at its most recent position.
    pub repeat: f32,
    /// The boost of an older occurrence is `repeat * repeat_decay^r`.
    pub repeat_decay: f32,
    /// Weight of the popularity prior (its items score `pop * share`).
    pub pop: f32,
    /// How much of the repeat boost is the same for every item (1) versus
    /// scaled by the item's learned re-click rate (0).
    pub repeat_mix: f32,
    /// Weight of second-hop neighbours (0 = off).
    pub hop: f32,
    /// How many of the strongest first-hop candidates lend their neighbours.
    pub hop_from: u32,
}

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            depth: 6,
            decay: 0.5,
            repeat: 1.0,
            repeat_decay: 0.6,
            pop: 0.001,
            repeat_mix: 1.0,
            hop: 0.0,
            hop_from: 0,
        }
    }
}

/// The pieces of a model, as the builder produces them.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug, Default)]
pub struct Parts {
    pub version: String,
    pub params: ScoreParams,
    /// Item ids; the position is the item's index.
    pub ids: Vec<String>,
    /// Number of weight codes (2..=255).
    pub levels: u8,
    /// `rows[i]`: item i's neighbours as (index, weight code < levels).
    pub rows: Vec<Vec<(u32, u8)>>,
    /// Per item: the weight of code `levels - 1`.
    pub scales: Vec<f32>,
    /// Per item: re-click rate, 0..=255 for 0..=1.
    pub rerate: Vec<u8>,
    /// Popularity prior: (index, share 0..=255), best first.
    pub pop: Vec<(u32, u8)>,
}

/// A loaded session model. Cheap to query, immutable, `Send + Sync`.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionModel {
    version: String,
    params: ScoreParams,
    ids: Vec<Box<str>>,
    /// Item indices sorted by id, for `item_index`.
    by_id: Vec<u32>,
    /// Row `i`'s neighbours are `nbr[row_start[i]..row_start[i+1]]`.
    row_start: Vec<u32>,
    nbr: Vec<u32>,
    wq: Vec<u8>,
    scale: Vec<f32>,
    /// Number of weight codes (2..=256 would need u16; 2..=255 here).
    levels: u8,
    /// Code -> fraction of the row scale.
    lut: Vec<f32>,
    /// Per-item re-click rate, 0..=255 for 0..=1.
    rerate: Vec<u8>,
    /// Popularity prior, best first: (index, quantised share).
    pop: Vec<(u32, u8)>,
}

/// Largest id the numeric id encoding carries (15 digits: exact, well inside i64).
const MAX_NUMERIC_ID: i64 = 999_999_999_999_999;

/// The value of an id that is a canonical decimal number ("0", "17", not "017" or "+1").
#[cfg(not(target_arch = "wasm32"))]
fn canonical_number(id: &str) -> Option<i64> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 15 || !b.iter().all(u8::is_ascii_digit) || (b.len() > 1 && b.first() == Some(&b'0')) {
        return None;
    }
    id.parse::<i64>().ok().filter(|v| *v <= MAX_NUMERIC_ID)
}

/// Dequantisation table for `levels` codes: code q means (q/(levels-1))^2 of
/// the row's scale, computed the same way on every platform.
fn dequant_table(levels: u8) -> Vec<f32> {
    let top = f32::from(levels.max(2).saturating_sub(1));
    (0..=255u8)
        .map(|q| {
            let x = f32::from(q) / top;
            x * x
        })
        .collect()
}

fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

impl SessionModel {
    /// Loads an artifact. Rejects wrong magic, truncation, corruption and
    /// bit flips (`MODEL_CORRUPT`) and artifacts from a newer format
    /// (`MODEL_VERSION`); never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<SessionModel> {
        if bytes.len() > MAX_MODEL_BYTES {
            return Err(Error::new(
                ErrorCode::TooLarge,
                "",
                format!("model artifact of {} bytes is over the {} byte limit", bytes.len(), MAX_MODEL_BYTES),
            ));
        }
        let mut r = Reader::new(bytes);
        let magic =
            r.take(8, "header.magic").map_err(|_| corrupt("header.magic", "not a model artifact (too short)"))?;
        if magic != MAGIC {
            return Err(corrupt("header.magic", "not a model artifact (bad magic)"));
        }
        let format = r.u16("header.version")?;
        if format > FORMAT_VERSION {
            return Err(Error::new(
                ErrorCode::ModelVersion,
                "header.version",
                format!("model artifact has format version {format}; this build reads up to {FORMAT_VERSION}: upgrade the engine"),
            ));
        }
        if format == 0 {
            return Err(corrupt("header.version", "format version 0 does not exist"));
        }
        if r.u16("header.reserved")? != 0 {
            return Err(corrupt("header.reserved", "reserved field is not zero"));
        }
        let n = r.u32("header.items")? as usize;
        let body_len = r.u32("header.bodyLength")? as usize;
        let checksum = r.u64("header.checksum")?;
        if n > MAX_MODEL_ITEMS {
            return Err(corrupt("header.items", "item count above the limit"));
        }
        if r.remaining() != body_len {
            return Err(corrupt(
                "header.bodyLength",
                &format!("body is {} bytes, header says {body_len} (truncated or padded)", r.remaining()),
            ));
        }
        let body = r.take(body_len, "body")?;
        let head = bytes.get(..20).unwrap_or(&[]);
        if checksum_of(head, body) != checksum {
            return Err(corrupt("header.checksum", "checksum mismatch (damaged in transit or storage)"));
        }
        Self::parse_body(n, body)
    }

    fn parse_body(n: usize, body: &[u8]) -> Result<SessionModel> {
        let mut r = Reader::new(body);
        let vlen = r.varint(MAX_VERSION_LEN as u64, "version")? as usize;
        let version =
            std::str::from_utf8(r.take(vlen, "version")?).map_err(|_| corrupt("version", "not UTF-8"))?.to_string();
        let params = ScoreParams {
            depth: r.varint(u64::from(MAX_DEPTH), "params.depth")? as u32,
            decay: r.f32("params.decay")?,
            repeat: r.f32("params.repeat")?,
            repeat_decay: r.f32("params.repeatDecay")?,
            pop: r.f32("params.pop")?,
            repeat_mix: r.f32("params.repeatMix")?,
            hop: r.f32("params.hop")?,
            hop_from: r.varint(MAX_HOP_FROM, "params.hopFrom")? as u32,
        };
        let scores = [params.decay, params.repeat, params.repeat_decay, params.pop, params.repeat_mix, params.hop];
        if scores.iter().any(|&x| x < 0.0) || params.repeat_mix > 1.0 {
            return Err(corrupt("params", "scoring parameter out of range"));
        }
        // Each item needs at least 2 bytes (id length + 1 id byte) + 1 count + 2 scale:
        // a cheap bound against huge allocations from a forged header.
        if n.saturating_mul(5) > r.remaining() {
            return Err(corrupt("header.items", "item count larger than the body can hold"));
        }
        let levels = r.u8("weightLevels")?;
        if levels < 2 {
            return Err(corrupt("weightLevels", "fewer than 2 weight levels"));
        }
        let mut ids: Vec<Box<str>> = Vec::with_capacity(n);
        let mut prev_num: u64 = 0;
        for i in 0..n {
            // Tag bit 1: a canonical decimal id, stored as the zigzag delta to
            // the previous numeric id (sequential ids cost one byte); tag 0: length + UTF-8.
            let tag = r.varint(u64::MAX, "ids")?;
            if tag & 1 == 1 {
                let z = tag >> 1;
                let delta = ((z >> 1) as i64) ^ ((z & 1) as i64).wrapping_neg();
                let v = (prev_num as i64)
                    .checked_add(delta)
                    .filter(|&v| (0..=MAX_NUMERIC_ID).contains(&v))
                    .ok_or_else(|| corrupt(&format!("ids[{i}]"), "numeric id out of range"))?;
                prev_num = v as u64;
                ids.push(v.to_string().into());
            } else {
                let len = (tag >> 1) as usize;
                if len == 0 || len > MAX_MODEL_ID_LEN {
                    return Err(corrupt(&format!("ids[{i}]"), "item id length out of range"));
                }
                let s =
                    std::str::from_utf8(r.take(len, "ids")?).map_err(|_| corrupt(&format!("ids[{i}]"), "not UTF-8"))?;
                ids.push(s.into());
            }
        }
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        order::sort_by(&mut by_id, &|&a: &u32, &b: &u32| ids_at(&ids, a).cmp(ids_at(&ids, b)));
        for w in by_id.windows(2) {
            if let [a, b] = w {
                if ids_at(&ids, *a) == ids_at(&ids, *b) {
                    return Err(corrupt("ids", "duplicate item id"));
                }
            }
        }
        let mut row_start: Vec<u32> = Vec::with_capacity(n.saturating_add(1));
        let mut total: usize = 0;
        row_start.push(0);
        for _ in 0..n {
            total = total.saturating_add(r.varint(MAX_NEIGHBOURS as u64, "neighbourCounts")? as usize);
            if total > r.remaining() || total > u32::MAX as usize {
                return Err(corrupt("neighbourCounts", "more neighbours than the body can hold"));
            }
            row_start.push(total as u32);
        }
        let mut scale = Vec::with_capacity(n);
        for _ in 0..n {
            let s = bf16_to_f32(r.u16("scales")?);
            if !s.is_finite() || s < 0.0 {
                return Err(corrupt("scales", "scale is not a finite non-negative number"));
            }
            scale.push(s);
        }
        let rerate = r.take(n, "repeatRates")?.to_vec();
        let mut nbr = Vec::with_capacity(total);
        for i in 0..n {
            // row_start was built as a running total above, so it never decreases.
            let count = row_start.get(i.saturating_add(1)).copied().unwrap_or(0).saturating_sub(row_start.get(i).copied().unwrap_or(0));
            let mut prev: u64 = 0;
            for c in 0..count {
                // The first neighbour is stored relative to the item itself
                // (zigzag), the rest as gaps: items the builder placed near
                // each other cost one byte.
                // d <= 2n (n <= MAX_MODEL_ITEMS) and prev < n: no sum below can
                // overflow; saturating keeps that true whatever the bytes say.
                let d = r.varint((n as u64).saturating_mul(2), "neighbours")?;
                let idx = if c == 0 {
                    let rel = ((d >> 1) as i64) ^ ((d & 1) as i64).wrapping_neg();
                    (i as i64).saturating_add(rel).max(-1) as u64
                } else {
                    prev.saturating_add(d).saturating_add(1)
                };
                if idx >= n as u64 {
                    return Err(corrupt(&format!("neighbours[{i}]"), "neighbour index out of range"));
                }
                nbr.push(idx as u32);
                prev = idx;
            }
        }
        let wq = r.take(total, "weights")?.to_vec();
        if wq.iter().any(|&q| q >= levels) {
            return Err(corrupt("weights", "weight code above the level count"));
        }
        let pn = r.varint(MAX_POP_ITEMS as u64, "popular")? as usize;
        let mut pop = Vec::with_capacity(pn);
        for _ in 0..pn {
            let idx = r.varint(n as u64, "popular")?;
            if idx >= n as u64 {
                return Err(corrupt("popular", "index out of range"));
            }
            pop.push((idx as u32, r.u8("popular")?));
        }
        if r.remaining() != 0 {
            return Err(corrupt("body", "trailing bytes after the last section"));
        }
        Ok(SessionModel {
            version,
            params,
            ids,
            by_id,
            row_start,
            nbr,
            wq,
            scale,
            levels,
            lut: dequant_table(levels),
            rerate,
            pop,
        })
    }

    /// The model version string the builder stamped (shown as `modelVersion`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The scoring parameters baked into this model.
    pub fn params(&self) -> ScoreParams {
        self.params
    }

    /// Number of items the model knows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True for a model without items.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The model's index of item `id`, if it knows the item.
    pub fn item_index(&self, id: &str) -> Option<u32> {
        let pos = self.by_id.binary_search_by(|&i| ids_at(&self.ids, i).cmp(id)).ok()?;
        self.by_id.get(pos).copied()
    }

    /// The item id of index `idx`.
    pub fn item_id(&self, idx: u32) -> Option<&str> {
        self.ids.get(idx as usize).map(|s| &**s)
    }

    /// The stored neighbours of item `idx` with their dequantised weights.
    pub fn neighbours(&self, idx: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let (lo, hi) = self.row(idx);
        let s = self.scale.get(idx as usize).copied().unwrap_or(0.0);
        let nb = self.nbr.get(lo..hi).unwrap_or(&[]);
        let wq = self.wq.get(lo..hi).unwrap_or(&[]);
        nb.iter().zip(wq).map(move |(&j, &q)| (j, s * self.lut.get(q as usize).copied().unwrap_or(0.0)))
    }

    fn row(&self, idx: u32) -> (usize, usize) {
        let i = idx as usize;
        match (self.row_start.get(i), self.row_start.get(i.saturating_add(1))) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        }
    }

    /// Ranks all items for a session prefix (`session`: item indices, oldest
    /// first; unknown indices are ignored; only the last
    /// [`MAX_SESSION_ITEMS`] count). `out` gets the top `k` (index, score)
    /// pairs, best first, ties broken by lower index; only finite scores > 0. Items
    /// not in `out` score 0. The arithmetic is plain f32 in a fixed order, so
    /// native and wasm agree bit for bit.
    pub fn recommend(&self, session: &[u32], k: usize, out: &mut Vec<(u32, f32)>) {
        out.clear();
        if k == 0 {
            return;
        }
        let n = self.ids.len() as u32;
        let start = session.len().saturating_sub(MAX_SESSION_ITEMS);
        let session = session.get(start..).unwrap_or(&[]);
        let p = &self.params;
        // The distinct recent items whose neighbours count, with their weights;
        // a run of clicks on the same item lends its neighbours once.
        let mut context: Vec<(u32, f32)> = Vec::with_capacity(p.depth as usize);
        let mut w = 1.0f32;
        let mut prev = u32::MAX;
        for &it in session.iter().rev() {
            if context.len() >= p.depth as usize {
                break;
            }
            if it == prev {
                continue;
            }
            prev = it;
            context.push((it, w));
            w *= p.decay;
        }
        let expected: usize = context.iter().map(|&(it, _)| self.row_len(it)).sum();
        let mut acc = Acc::with_capacity(expected.saturating_add(session.len()).saturating_add(self.pop.len()));
        for &(it, w) in &context {
            if it < n {
                for (j, x) in self.neighbours(it) {
                    acc.add(j, w * x);
                }
            }
        }
        if p.hop > 0.0 && p.hop_from > 0 {
            // Two hops: the strongest first-hop candidates lend their own
            // neighbours, which widens coverage for sparse items at no size cost.
            let mut seeds = Vec::with_capacity(p.hop_from as usize);
            for c in acc.entries() {
                push_top(&mut seeds, p.hop_from as usize, c);
            }
            for &(j, sj) in &seeds {
                let f = p.hop * sj;
                for (x, w) in self.neighbours(j) {
                    acc.add(x, f * w);
                }
            }
        }
        let shared = p.repeat * p.repeat_mix;
        let per_item = p.repeat * (1.0 - p.repeat_mix);
        let mut dec = 1.0f32;
        for &it in session.iter().rev() {
            if it < n {
                let rate = f32::from(self.rerate.get(it as usize).copied().unwrap_or(0)) / 255.0;
                acc.add(it, dec * (shared + per_item * rate));
            }
            dec *= p.repeat_decay;
        }
        for &(j, q) in &self.pop {
            acc.add(j, p.pop * (f32::from(q) / 255.0));
        }
        // Finite parameters and scales (the reader refuses NaN and infinity)
        // can still overflow f32 in a forged (checksum-valid) artifact, e.g.
        // a repeat_decay of 1e24; an infinite score would rank nothing
        // sensibly and turns into NaN when the engine scales picks by the top
        // score, so such items are left out (found by fuzzing).
        let usable = |&(_, s): &(u32, f32)| s > 0.0 && s.is_finite();
        if k <= 256 {
            for c in acc.entries().filter(usable) {
                push_top(out, k, c);
            }
        } else {
            out.extend(acc.entries().filter(usable));
            order::top_k(out, k, &better);
        }
    }

    fn row_len(&self, idx: u32) -> usize {
        let (lo, hi) = self.row(idx);
        hi.saturating_sub(lo)
    }

    /// Serialises the model into the artifact format (the builder's output).
    // Native builder only, over a model it built: ids are at most
    // MAX_NUMERIC_ID, rows sorted and de-duplicated, so deltas cannot overflow.
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::arithmetic_side_effects)]
    pub fn to_bytes(&self) -> Vec<u8> {
        use codec::put_varint;
        let n = self.ids.len();
        let mut body = Vec::new();
        put_varint(&mut body, self.version.len() as u64);
        body.extend_from_slice(self.version.as_bytes());
        put_varint(&mut body, u64::from(self.params.depth));
        for f in [
            self.params.decay,
            self.params.repeat,
            self.params.repeat_decay,
            self.params.pop,
            self.params.repeat_mix,
            self.params.hop,
        ] {
            body.extend_from_slice(&f.to_bits().to_le_bytes());
        }
        put_varint(&mut body, u64::from(self.params.hop_from));
        body.push(self.levels);
        let mut prev_num: i64 = 0;
        for id in &self.ids {
            match canonical_number(id) {
                Some(v) => {
                    let d = v - prev_num;
                    let z = ((d << 1) ^ (d >> 63)) as u64;
                    put_varint(&mut body, (z << 1) | 1);
                    prev_num = v;
                }
                None => {
                    put_varint(&mut body, (id.len() as u64) << 1);
                    body.extend_from_slice(id.as_bytes());
                }
            }
        }
        for i in 0..n {
            let (lo, hi) = self.row(i as u32);
            put_varint(&mut body, (hi - lo) as u64);
        }
        for &s in &self.scale {
            body.extend_from_slice(&((s.to_bits() >> 16) as u16).to_le_bytes());
        }
        body.extend_from_slice(&self.rerate);
        for i in 0..n {
            let (lo, hi) = self.row(i as u32);
            let mut prev = 0u32;
            for (c, &j) in self.nbr.get(lo..hi).unwrap_or(&[]).iter().enumerate() {
                let v = if c == 0 {
                    let rel = i64::from(j) - i as i64;
                    ((rel << 1) ^ (rel >> 63)) as u64
                } else {
                    u64::from(j - prev - 1)
                };
                put_varint(&mut body, v);
                prev = j;
            }
        }
        body.extend_from_slice(&self.wq);
        put_varint(&mut body, self.pop.len() as u64);
        for &(j, q) in &self.pop {
            put_varint(&mut body, u64::from(j));
            body.push(q);
        }
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&(n as u32).to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        let sum = checksum_of(&out, &body);
        out.extend_from_slice(&sum.to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Assembles a model from parts, normalising them the way the artifact
    /// stores them (sorted neighbour rows, bfloat16 scales), so that a model
    /// built in memory ranks exactly like its loaded artifact.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_parts(parts: Parts) -> Result<SessionModel> {
        let model = Self::from_parts_unchecked(parts);
        // Round-trip through the format: validates everything and guarantees
        // the in-memory model is the artifact.
        SessionModel::from_bytes(&model.to_bytes())
    }

    // Native builder only: sizes are those of vectors it holds in memory.
    #[cfg(not(target_arch = "wasm32"))]
    #[allow(clippy::arithmetic_side_effects)]
    fn from_parts_unchecked(parts: Parts) -> SessionModel {
        let Parts { version, params, ids, levels, rows, scales, rerate, pop } = parts;
        let version = version.as_str();
        let mut rerate = rerate;
        rerate.resize(n_of(&ids), 0);
        let n = ids.len();
        let mut row_start = Vec::with_capacity(n + 1);
        let mut nbr = Vec::new();
        let mut wq = Vec::new();
        row_start.push(0u32);
        for i in 0..n {
            let mut row = rows.get(i).cloned().unwrap_or_default();
            row.sort_unstable_by_key(|&(j, _)| j);
            row.dedup_by_key(|&mut (j, _)| j);
            row.truncate(MAX_NEIGHBOURS);
            for (j, q) in row {
                nbr.push(j);
                wq.push(q);
            }
            row_start.push(nbr.len() as u32);
        }
        let scale = (0..n)
            .map(|i| bf16_to_f32((scales.get(i).copied().unwrap_or(0.0).max(0.0).to_bits() >> 16) as u16))
            .collect();
        let mut by_id: Vec<u32> = (0..n as u32).collect();
        let ids: Vec<Box<str>> = ids.into_iter().map(String::into_boxed_str).collect();
        by_id.sort_unstable_by(|&a, &b| ids_at(&ids, a).cmp(ids_at(&ids, b)));
        let mut pop = pop;
        pop.truncate(MAX_POP_ITEMS);
        let mut cut = version.len().min(MAX_VERSION_LEN);
        while !version.is_char_boundary(cut) {
            cut -= 1;
        }
        let version = version.get(..cut).unwrap_or("").to_string();
        SessionModel {
            version,
            params,
            ids,
            by_id,
            row_start,
            nbr,
            wq,
            scale,
            levels,
            lut: dequant_table(levels),
            rerate,
            pop,
        }
    }

    /// The same model with other scoring parameters (used while tuning).
    pub fn with_params(mut self, params: ScoreParams) -> SessionModel {
        self.params = params;
        self
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn n_of(ids: &[String]) -> usize {
    ids.len()
}

fn ids_at(ids: &[Box<str>], i: u32) -> &str {
    ids.get(i as usize).map(|s| &**s).unwrap_or("")
}

/// Score accumulator: an open-addressing table from item index to score.
/// Each item's contributions are added in the order they arrive, which is
/// fixed by the model and the session, so every platform computes the same
/// floats. No sorting: the shipped wasm has no fast sort.
struct Acc {
    keys: Vec<u32>,
    vals: Vec<f32>,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

impl Acc {
    fn with_capacity(n: usize) -> Acc {
        // Clamped so the power of two cannot overflow; `grow` handles more.
        let cap = n.clamp(16, 1 << 24).saturating_mul(2).next_power_of_two();
        Acc { keys: vec![EMPTY; cap], vals: vec![0.0; cap], len: 0 }
    }

    fn slot(&self, key: u32) -> usize {
        let mask = self.keys.len().saturating_sub(1);
        let mut i = (key.wrapping_mul(0x9e37_79b1) as usize) & mask;
        loop {
            match self.keys.get(i) {
                Some(&k) if k != key && k != EMPTY => i = i.wrapping_add(1) & mask,
                _ => return i,
            }
        }
    }

    /// Adds `v` to `key`'s score (`key` must not be `u32::MAX`).
    fn add(&mut self, key: u32, v: f32) {
        if key == EMPTY {
            return;
        }
        // Keep the table at most half full (its size is a power of two).
        if self.len >= self.keys.len() / 2 {
            self.grow();
        }
        let i = self.slot(key);
        if let (Some(k), Some(val)) = (self.keys.get_mut(i), self.vals.get_mut(i)) {
            if *k == EMPTY {
                *k = key;
                *val = v;
                self.len = self.len.saturating_add(1);
            } else {
                *val += v;
            }
        }
    }

    fn grow(&mut self) {
        let old: Vec<(u32, f32)> = self.entries().collect();
        let cap = self.keys.len().saturating_mul(2);
        self.keys = vec![EMPTY; cap];
        self.vals = vec![0.0; cap];
        self.len = 0;
        for (k, v) in old {
            let i = self.slot(k);
            if let (Some(kk), Some(vv)) = (self.keys.get_mut(i), self.vals.get_mut(i)) {
                *kk = k;
                *vv = v;
                self.len = self.len.saturating_add(1);
            }
        }
    }

    fn entries(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.keys.iter().zip(&self.vals).filter(|(&k, _)| k != EMPTY).map(|(&k, &v)| (k, v))
    }
}

/// Keeps `top` as the best `k` candidates seen so far, best first.
fn push_top(top: &mut Vec<(u32, f32)>, k: usize, c: (u32, f32)) {
    if top.len() >= k {
        match top.last() {
            Some(worst) if better(&c, worst) == Ordering::Less => {
                top.pop();
            }
            _ => return,
        }
    }
    let pos = top.partition_point(|x| better(x, &c) == Ordering::Less);
    top.insert(pos, c);
}

fn checksum_of(head: &[u8], body: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in head.iter().chain(body) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
