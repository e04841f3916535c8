//! The compact, versioned session snapshot.
//!
//! Layout (little endian, varints are LEB128):
//! ```text
//! "EPS" version:u8 | string table | session fields | ring | affinities ×3 | cart | purchased
//!     | seen event ids (v2: count, then fnv1a64 of each id as u64) | fnv1a64:u64
//! ```
//! Version 1 (no seen-ids section) is still read, with an empty window, so a
//! shopper's stored session survives the upgrade.
//! Strings (item ids, categories, brands) are stored once in a table and
//! referenced by index; times are zigzag varint millisecond offsets from the
//! session start. A 200-event session fits in a few KB.
//!
//! Restoring checks the magic, the version, the checksum and every count, so
//! a truncated, corrupted or future-version snapshot is an error, not a crash.

use super::codec::{Reader, Writer};
use super::{AffinityEntry, AffinityTable, CartLine, CatalogHint, Interaction, Session};
use crate::decide::fxhash::FxHashMap;
use crate::error::{Error, ErrorCode, Result};
use crate::event::EventType;
use crate::ids::fnv1a64;
use crate::limits::{
    MAX_AFFINITIES_PER_KIND, MAX_CART_ITEMS, MAX_ID_LEN, MAX_PURCHASED_ITEMS, MAX_SEEN_EVENT_IDS,
    MAX_SNAPSHOT_BYTES, SESSION_RING,
};

const MAGIC: &[u8; 3] = b"EPS";
/// Where the payload starts: after the magic and the version byte.
const PAYLOAD_START: usize = MAGIC.len() + 1;
/// The checksum's bytes at the end.
const CHECKSUM_LEN: usize = 8;
/// The snapshot format this build writes (it also reads version 1).
/// Version 2 added the seen-event-id window.
pub const SNAPSHOT_VERSION: u8 = 2;
const SNAPSHOT_VERSION_WITHOUT_SEEN_IDS: u8 = 1;
const MAX_STRINGS: usize = SESSION_RING * 3 + MAX_AFFINITIES_PER_KIND * 3 + MAX_CART_ITEMS + MAX_PURCHASED_ITEMS + 2;

/// Interns strings into the table while the body is written. Fx, not
/// SipHash: the table holds one session's own strings (a few hundred at most),
/// and no other map in the wasm build uses std's `RandomState` any more.
#[derive(Default)]
struct Strings<'a> {
    index: FxHashMap<&'a str, u64>,
    list: Vec<&'a str>,
}

impl<'a> Strings<'a> {
    fn id(&mut self, s: &'a str) -> u64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u64;
        self.list.push(s);
        self.index.insert(s, i);
        i
    }
    /// 0 for none, index + 1 otherwise.
    fn opt(&mut self, s: &'a Option<String>) -> u64 {
        // An index into this snapshot's own string table: far below u64::MAX.
        s.as_deref().map(|s| self.id(s).saturating_add(1)).unwrap_or(0)
    }
}

fn ms_offset(t: f64, base: f64) -> i64 {
    (t - base).round() as i64
}

impl Session {
    /// Encodes the session.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut strings = Strings::default();
        let mut body = Writer::default();
        let base = self.started_ms;
        body.varint(strings.id(&self.id));
        body.varint(strings.opt(&self.user_id));
        body.f64(self.started_ms);
        body.f64(self.last_ms);
        body.f64(self.half_life_ms);
        for c in self.counters {
            body.varint(c as u64);
        }
        body.f64(self.price_sum);
        body.varint(self.price_count as u64);
        body.varint(self.recent.len() as u64);
        for i in &self.recent {
            body.varint(strings.id(&i.item));
            body.varint(strings.opt(&i.category));
            body.varint(strings.opt(&i.brand));
            body.u8(i.kind.code());
            body.zigzag(ms_offset(i.ts, base));
            write_price(&mut body, i.price);
        }
        for table in [&self.items, &self.categories, &self.brands] {
            body.varint(table.len() as u64);
            for (k, e) in table.iter() {
                body.varint(strings.id(k));
                body.f32(e.score as f32);
                body.zigzag(ms_offset(e.at_ms, base));
            }
        }
        body.varint(self.cart.len() as u64);
        for l in &self.cart {
            body.varint(strings.id(&l.item));
            body.varint(l.quantity as u64);
            write_price(&mut body, l.price);
        }
        body.varint(self.purchased.len() as u64);
        for p in &self.purchased {
            body.varint(strings.id(p));
        }
        body.varint(self.seen_event_ids.len() as u64);
        for h in &self.seen_event_ids {
            body.buf.extend_from_slice(&h.to_le_bytes());
        }

        let mut out = Writer::default();
        out.buf.extend_from_slice(MAGIC);
        out.u8(SNAPSHOT_VERSION);
        out.varint(strings.list.len() as u64);
        for s in &strings.list {
            out.bytes(s.as_bytes());
        }
        out.buf.extend_from_slice(&body.buf);
        let sum = fnv1a64(&out.buf);
        out.buf.extend_from_slice(&sum.to_le_bytes());
        out.buf
    }

    /// Decodes a snapshot. Every failure is `SnapshotCorrupt` or `SnapshotVersion`.
    pub fn restore(bytes: &[u8]) -> Result<Session> {
        if bytes.len() > MAX_SNAPSHOT_BYTES {
            return Err(Error::new(
                ErrorCode::TooLarge,
                "",
                format!("snapshot is {} bytes, at most {MAX_SNAPSHOT_BYTES}", bytes.len()),
            ));
        }
        if bytes.len() < PAYLOAD_START + CHECKSUM_LEN || !bytes.starts_with(MAGIC) {
            return Err(Error::new(ErrorCode::SnapshotCorrupt, "", "not an edge-personalize session snapshot"));
        }
        let version = bytes.get(MAGIC.len()).copied().unwrap_or(0);
        if version != SNAPSHOT_VERSION && version != SNAPSHOT_VERSION_WITHOUT_SEEN_IDS {
            return Err(Error::new(
                ErrorCode::SnapshotVersion,
                "",
                format!("snapshot format version {version}; this build reads versions 1 to {SNAPSHOT_VERSION}"),
            ));
        }
        let (payload, sum) = bytes
            .len()
            .checked_sub(CHECKSUM_LEN)
            .and_then(|at| bytes.split_at_checked(at))
            .ok_or_else(|| Error::new(ErrorCode::SnapshotCorrupt, "", "snapshot is truncated"))?;
        let mut sum_bytes = [0u8; CHECKSUM_LEN];
        sum_bytes.copy_from_slice(sum);
        if fnv1a64(payload) != u64::from_le_bytes(sum_bytes) {
            return Err(Error::new(ErrorCode::SnapshotCorrupt, "", "snapshot checksum does not match"));
        }
        let mut r = Reader::new(payload.get(PAYLOAD_START..).unwrap_or(&[]));
        let n = r.count(MAX_STRINGS)?;
        let mut strings = Vec::with_capacity(n);
        for _ in 0..n {
            strings.push(r.string(MAX_ID_LEN)?);
        }
        let get = |i: u64| -> Result<String> {
            strings
                .get(i as usize)
                .cloned()
                .ok_or_else(|| Error::new(ErrorCode::SnapshotCorrupt, "", "snapshot string reference out of range"))
        };
        let opt = |i: u64| -> Result<Option<String>> { i.checked_sub(1).map(get).transpose() };

        let id = get(r.varint()?)?;
        let user_id = opt(r.varint()?)?;
        let started_ms = r.f64()?;
        let last_ms = r.f64()?;
        let half_life_ms = r.f64()?;
        let mut s = Session::new(id, user_id, started_ms, half_life_ms);
        s.last_ms = last_ms;
        for c in s.counters.iter_mut() {
            *c = u32::try_from(r.varint()?).unwrap_or(u32::MAX);
        }
        s.price_sum = r.f64()?;
        s.price_count = u32::try_from(r.varint()?).unwrap_or(u32::MAX);
        let base = started_ms;
        let n = r.count(SESSION_RING)?;
        for _ in 0..n {
            let item = get(r.varint()?)?;
            let category = opt(r.varint()?)?;
            let brand = opt(r.varint()?)?;
            let kind = EventType::from_code(r.u8()?)
                .ok_or_else(|| Error::new(ErrorCode::SnapshotCorrupt, "", "unknown event type in snapshot"))?;
            let ts = base + r.zigzag()? as f64;
            let price = read_price(&mut r)?;
            s.recent.push_back(Interaction { item, category, brand, kind, ts, price, hint: CatalogHint::default() });
        }
        let mut tables: [AffinityTable; 3] = Default::default();
        for table in tables.iter_mut() {
            let n = r.count(MAX_AFFINITIES_PER_KIND)?;
            for _ in 0..n {
                let key = get(r.varint()?)?;
                let score = r.f32()? as f64;
                let at_ms = base + r.zigzag()? as f64;
                table.insert_raw(key, AffinityEntry { score: score.max(0.0), at_ms, hint: CatalogHint::default() });
            }
        }
        let [items, categories, brands] = tables;
        s.items = items;
        s.categories = categories;
        s.brands = brands;
        let n = r.count(MAX_CART_ITEMS)?;
        for _ in 0..n {
            let item = get(r.varint()?)?;
            let quantity = u32::try_from(r.varint()?).unwrap_or(1).clamp(1, 10_000);
            let price = read_price(&mut r)?;
            s.cart.push(CartLine { item, quantity, price, hint: CatalogHint::default() });
        }
        let n = r.count(MAX_PURCHASED_ITEMS)?;
        for _ in 0..n {
            s.purchased.push_back(get(r.varint()?)?);
        }
        if version >= 2 {
            let n = r.count(MAX_SEEN_EVENT_IDS)?;
            for _ in 0..n {
                s.seen_event_ids.push(r.u64()?);
            }
        }
        if !r.is_empty() {
            return Err(Error::new(ErrorCode::SnapshotCorrupt, "", "trailing bytes in snapshot"));
        }
        Ok(s)
    }
}

fn write_price(w: &mut Writer, p: Option<f64>) {
    match p {
        Some(p) => {
            w.u8(1);
            w.f64(p);
        }
        None => w.u8(0),
    }
}

fn read_price(r: &mut Reader) -> Result<Option<f64>> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(r.f64()?)),
        _ => Err(Error::new(ErrorCode::SnapshotCorrupt, "", "bad price flag in snapshot")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::json::parse;

    const T0: f64 = 1_764_000_000_000.0;

    /// A realistic 200-event session: views, clicks, carts, a purchase.
    pub(crate) fn busy_session() -> Session {
        let mut s = Session::new("01JDSESSIONIDXXXXXXXXXXXXX".into(), Some("user-42".into()), T0, 600_000.0);
        let kinds = ["product_view", "product_view", "product_click", "add_to_cart", "product_view"];
        for i in 0..200u32 {
            let kind = kinds.get(i as usize % kinds.len()).copied().unwrap_or("product_view");
            let text = format!(
                r#"{{"id":"ev-{i}","type":"{kind}","item":{{"id":"sku-{}","category":"category-{}","brand":"brand-{}","price":{}.99}}}}"#,
                (i * 37) % 500,
                i % 12,
                i % 20,
                10 + i % 90
            );
            let ev = Event::from_value(&parse(&text).expect("json"), T0 + 1e9).expect("event");
            s.apply(&ev, T0 + i as f64 * 9_000.0);
        }
        let ev = Event::from_value(&parse(r#"{"type":"purchase","items":[{"id":"sku-37"}]}"#).expect("json"), T0 + 1e9)
            .expect("event");
        s.apply(&ev, T0 + 1_801_000.0);
        s
    }

    #[test]
    fn round_trip_is_exact_up_to_f32_scores() {
        let s = busy_session();
        let bytes = s.snapshot();
        let back = Session::restore(&bytes).expect("restore");
        assert_eq!(back.recent, s.recent);
        assert_eq!(back.cart, s.cart);
        assert_eq!(back.purchased, s.purchased);
        assert_eq!(back.counters, s.counters);
        assert_eq!(back.seen_event_ids.len(), 200);
        assert_eq!(back.seen_event_ids, s.seen_event_ids);
        assert!(back.has_seen_event("ev-0") && back.has_seen_event("ev-199") && !back.has_seen_event("ev-200"));
        let now = T0 + 2_000_000.0;
        for (k, _) in s.categories.iter() {
            let a = s.categories.get(k, now, s.half_life_ms);
            let b = back.categories.get(k, now, s.half_life_ms);
            assert!((a - b).abs() <= a * 1e-6, "{k}: {a} vs {b}");
        }
        // Snapshot of the restored session is byte-identical.
        assert_eq!(back.snapshot(), bytes);
    }

    #[test]
    fn a_200_event_session_is_under_16_kb() {
        let bytes = busy_session().snapshot();
        assert!(bytes.len() < 16 * 1024, "{} bytes", bytes.len());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_a_typed_error() {
        let bytes = busy_session().snapshot();
        for cut in 0..bytes.len() {
            let err = Session::restore(&bytes[..cut]).expect_err("truncated");
            assert_eq!(err.code, ErrorCode::SnapshotCorrupt, "cut at {cut}");
        }
        for i in (0..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            if let Some(x) = b.get_mut(i) {
                *x ^= 0x10;
            }
            let err = Session::restore(&b).expect_err("flipped");
            assert!(matches!(err.code, ErrorCode::SnapshotCorrupt | ErrorCode::SnapshotVersion), "byte {i}: {err}");
        }
    }

    #[test]
    fn future_version_is_reported_as_such() {
        let mut bytes = busy_session().snapshot();
        if let Some(v) = bytes.get_mut(3) {
            *v = SNAPSHOT_VERSION + 1;
        }
        assert_eq!(Session::restore(&bytes).expect_err("future").code, ErrorCode::SnapshotVersion);
    }

    #[test]
    fn version_1_snapshots_are_still_read_with_an_empty_id_window() {
        let mut s = busy_session();
        s.seen_event_ids.clear();
        let v2 = s.snapshot();
        // A v1 snapshot is the v2 body without the seen-ids count (one 0 byte
        // when empty), under version byte 1 and its own checksum.
        let body_end = v2.len() - 8;
        assert_eq!(v2.get(body_end - 1), Some(&0));
        let mut v1 = v2.get(..body_end - 1).expect("body").to_vec();
        if let Some(v) = v1.get_mut(3) {
            *v = 1;
        }
        let sum = fnv1a64(&v1);
        v1.extend_from_slice(&sum.to_le_bytes());
        let back = Session::restore(&v1).expect("v1 restores");
        assert_eq!(back.recent, s.recent);
        assert!(back.seen_event_ids.is_empty());
        assert_eq!(back.snapshot(), v2);
    }

    #[test]
    fn garbage_and_empty_input_are_rejected() {
        for b in [&b""[..], b"EPS", b"hello world, not a snapshot", &[0u8; 64]] {
            assert_eq!(Session::restore(b).expect_err("garbage").code, ErrorCode::SnapshotCorrupt);
        }
    }
}
