//! A small, fast, non-cryptographic hasher for the decision's own maps.
//!
//! std's default SipHash was a tenth of a decision's instructions: its maps
//! are keyed by catalog indices and by the session's own item ids, so there
//! is nothing for hash flooding to attack (a shopper could only slow down
//! their own page). This is the Firefox/rustc "Fx" mix, one multiply per word.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// An empty [`FxHashMap`] with room for `n` entries.
pub fn map_with_capacity<K, V>(n: usize) -> FxHashMap<K, V> {
    HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

/// Up to 8 bytes as one little-endian word, zero-padded: a loop the
/// size-optimised build inlines, where `copy_from_slice` into an array stayed
/// a call (~4% of a wasm decide, from hashing and comparing ids).
#[inline(always)]
pub fn word(chunk: &[u8]) -> u64 {
    if let Ok(full) = <[u8; 8]>::try_from(chunk) {
        return u64::from_le_bytes(full);
    }
    let mut w = 0u64;
    for (k, &b) in chunk.iter().take(8).enumerate() {
        w |= u64::from(b).wrapping_shl((k as u32).wrapping_mul(8));
    }
    w
}

#[derive(Clone, Copy, Default)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            self.add(word(c));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut m: FxHashMap<&str, usize> = map_with_capacity(4);
        let keys = ["", "a", "sku-1", "sku-10", "sku-00001", "a-much-longer-item-id-than-eight-bytes", "é"];
        for (i, k) in keys.iter().enumerate() {
            m.insert(k, i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(k), Some(&i), "{k}");
        }
        assert_eq!(m.get("sku-2"), None);
        let mut n: FxHashMap<u32, usize> = map_with_capacity(4);
        for i in 0..1000u32 {
            n.insert(i * 7, i as usize);
        }
        assert!((0..1000u32).all(|i| n.get(&(i * 7)) == Some(&(i as usize))));
        assert_eq!(n.get(&1), None);
    }
}
