//! Byte-level encoding for snapshots: LEB128 varints, zigzag, strings.
//! The reader checks every length against what is left, so truncated or
//! corrupted input becomes an error, never a panic or a huge allocation.

use crate::error::{Error, ErrorCode, Result};

#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, b: u8) {
        self.buf.push(b);
    }
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    pub fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }
}

pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn corrupt(what: &str) -> Error {
    Error::new(ErrorCode::SnapshotCorrupt, "", format!("snapshot is corrupted or truncated ({what})"))
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    pub fn u8(&mut self) -> Result<u8> {
        let b = *self.data.get(self.pos).ok_or_else(|| corrupt("unexpected end"))?;
        // `pos` indexes a slice here, so it is far below usize::MAX.
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }
    pub fn varint(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(corrupt("varint too long"))
    }
    /// A varint that must be a count no larger than `max`.
    pub fn count(&mut self, max: usize) -> Result<usize> {
        let n = self.varint()?;
        if n > max as u64 {
            return Err(corrupt("count over its limit"));
        }
        Ok(n as usize)
    }
    pub fn zigzag(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ ((v & 1) as i64).wrapping_neg())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(|| corrupt("length overflow"))?;
        let s = self.data.get(self.pos..end).ok_or_else(|| corrupt("unexpected end"))?;
        self.pos = end;
        Ok(s)
    }
    pub fn f64(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        let v = f64::from_le_bytes(a);
        if !v.is_finite() {
            return Err(corrupt("non-finite number"));
        }
        Ok(v)
    }
    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    pub fn f32(&mut self) -> Result<f32> {
        let b = self.take(4)?;
        let mut a = [0u8; 4];
        a.copy_from_slice(b);
        let v = f32::from_le_bytes(a);
        if !v.is_finite() {
            return Err(corrupt("non-finite number"));
        }
        Ok(v)
    }
    pub fn string(&mut self, max_len: usize) -> Result<String> {
        let n = self.count(max_len)?;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| corrupt("invalid UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        let mut w = Writer::default();
        let nums = [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX];
        for n in nums {
            w.varint(n);
        }
        let ints = [0i64, -1, 1, -1_000_000, i64::MIN, i64::MAX];
        for i in ints {
            w.zigzag(i);
        }
        let mut r = Reader::new(&w.buf);
        for n in nums {
            assert_eq!(r.varint().expect("varint"), n);
        }
        for i in ints {
            assert_eq!(r.zigzag().expect("zigzag"), i);
        }
        assert!(r.is_empty());
    }

    #[test]
    fn truncation_is_an_error() {
        let mut w = Writer::default();
        w.bytes(b"hello");
        for cut in 0..w.buf.len() {
            assert!(Reader::new(&w.buf[..cut]).string(100).is_err());
        }
        assert!(Reader::new(&[0xff; 11]).varint().is_err());
    }
}
