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
