//! Byte-level building blocks of the model artifact: LEB128 varints, a
//! bounds-checked reader that never panics, and the FNV-1a 64 checksum.
//!
//! Why FNV-1a 64: it is a few lines, needs no table (small wasm), and every
//! single-byte change of the input changes the hash (each step is a bijection
//! of the state), so truncation and bit flips are always caught.

use crate::error::{Error, ErrorCode::ModelCorrupt, Result};

/// FNV-1a 64 over `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Appends `v` as an unsigned LEB128 varint.
#[cfg(not(target_arch = "wasm32"))]
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A cursor over artifact bytes. Every read checks bounds and reports
/// `MODEL_CORRUPT` with the section name as the path.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = self.bytes.get(self.pos..end).unwrap_or(&[]);
                self.pos = end;
                Ok(s)
            }
            None => Err(corrupt(what, "artifact ends early")),
        }
    }

    /// One byte.
    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?.first().copied().unwrap_or(0))
    }

    /// A little-endian u16.
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        let mut a = [0u8; 2];
        a.copy_from_slice(b);
        Ok(u16::from_le_bytes(a))
    }

    /// A little-endian u32.
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        Ok(u32::from_le_bytes(a))
    }

    /// A little-endian u64.
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A finite f32 stored as its little-endian bits.
    pub fn f32(&mut self, what: &str) -> Result<f32> {
        let v = f32::from_bits(self.u32(what)?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(corrupt(what, "not a finite number"))
        }
    }

    /// An unsigned LEB128 varint of at most 10 bytes, no larger than `max`.
    pub fn varint(&mut self, max: u64, what: &str) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64u32).step_by(7) {
            let b = self.u8(what)?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(corrupt(what, "varint overflows 64 bits"));
            }
            v |= part << shift;
            if b & 0x80 == 0 {
                if v > max {
                    return Err(corrupt(what, &format!("value {v} above its bound {max}")));
                }
                return Ok(v);
            }
        }
        Err(corrupt(what, "varint longer than 10 bytes"))
    }
}

/// A `MODEL_CORRUPT` error at `what`.
pub fn corrupt(what: &str, msg: &str) -> Error {
    Error::new(ModelCorrupt, what, format!("model artifact is corrupt: {msg}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            put_varint(&mut b, v);
            let mut r = Reader::new(&b);
            assert_eq!(r.varint(u64::MAX, "v").ok(), Some(v));
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn fnv_known_values() {
        // Reference values of FNV-1a 64.
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
