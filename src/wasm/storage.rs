//! Browser storage adapter: snapshots in `localStorage`, base64-encoded.

use crate::error::{Error, ErrorCode, Result};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn storage() -> Result<web_sys::Storage> {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .ok_or_else(|| Error::new(ErrorCode::NotFound, "", "localStorage is not available here"))
}

pub fn save(key: &str, bytes: &[u8]) -> Result<()> {
    storage()?
        .set_item(key, &encode(bytes))
        .map_err(|_| Error::new(ErrorCode::TooLarge, "", "localStorage refused the snapshot (quota?)"))
}

pub fn load(key: &str) -> Result<Option<Vec<u8>>> {
    match storage()?.get_item(key).ok().flatten() {
        None => Ok(None),
        Some(text) => decode(&text)
            .map(Some)
            .ok_or_else(|| Error::new(ErrorCode::SnapshotCorrupt, "", "stored snapshot is not valid base64")),
    }
}

fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = [chunk.first().copied().unwrap_or(0), chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(B64.get((n >> shift & 63) as usize).copied().unwrap_or(b'A') as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity((text.len() / 4).saturating_mul(3));
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = acc << 6 | v;
        // acc keeps fewer than 8 pending bits between characters, so bits <= 13.
        bits = bits.saturating_add(6);
        if let Some(rest) = bits.checked_sub(8) {
            bits = rest;
            out.push((acc >> bits) as u8);
            acc &= (1u32 << bits).wrapping_sub(1);
        }
    }
    Some(out)
}
