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
//! (Placeholder until the model module lands: it rejects every artifact, so
//! decisions run on the linear scorer alone.)

use crate::error::{Error, ErrorCode, Result};

pub struct SessionModel {
    version: String,
}

impl SessionModel {
    pub fn from_bytes(_bytes: &[u8]) -> Result<SessionModel> {
        Err(Error::new(ErrorCode::ModelCorrupt, "", "this build cannot read model artifacts yet"))
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    pub fn item_index(&self, _id: &str) -> Option<u32> {
        None
    }
    pub fn item_id(&self, _idx: u32) -> Option<&str> {
        None
    }
    pub fn recommend(&self, _session: &[u32], _k: usize, _out: &mut Vec<(u32, f32)>) {}
}
