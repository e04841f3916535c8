//! Java-compatible murmur2, the hash behind Kafka's default partitioner.
//!
//! The Java client (and kafkajs, and librdkafka's `murmur2_random`) place a keyed record on
//! `toPositive(murmur2(keyBytes)) % numPartitions`. Using the same function here means a
//! session's events land on the same partition whether they came through this gateway or
//! straight from a stock producer, so per-session order holds across both paths.
//!
//! ```
//! use ep_gateway::murmur2::{murmur2, partition_for_key};
//! assert_eq!(murmur2(b"21"), -973932308);
//! assert_eq!(partition_for_key(b"foobar", 50), 16);
//! ```

/// Kafka's `Utils.murmur2`: MurmurHash2 (32-bit) with seed `0x9747b28c`, reading the input
/// as little-endian 4-byte words, returned as a signed 32-bit value like Java's `int`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;

    // Java computes `seed ^ length` on ints; the length wraps the same way for > 4 GiB,
    // which no record reaches.
    let mut h: u32 = SEED ^ (data.len() as u32);

    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let word: [u8; 4] = chunk.try_into().unwrap_or_default();
        let mut k = u32::from_le_bytes(word);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // The Java switch falls through from 3 to 2 to 1.
    let tail = chunks.remainder();
    if let Some(&b) = tail.get(2) {
        h ^= u32::from(b) << 16;
    }
    if let Some(&b) = tail.get(1) {
        h ^= u32::from(b) << 8;
    }
    if let Some(&b) = tail.first() {
        h ^= u32::from(b);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner picks for a keyed record:
/// `(murmur2(key) & 0x7fffffff) % partitions`. `partitions` must be at least 1; 0 yields 0.
pub fn partition_for_key(key: &[u8], partitions: u32) -> u32 {
    if partitions == 0 {
        return 0;
    }
    ((murmur2(key) as u32) & 0x7fff_ffff) % partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from Apache Kafka's `UtilsTest.testMurmur2` (the Java client's own test).
    const JAVA_VECTORS: &[(&[u8], i32)] = &[
        (b"21", -973_932_308),
        (b"foobar", -790_332_482),
        (b"a-little-bit-long-string", -985_981_536),
        (b"a-little-bit-longer-string", -1_486_304_829),
        (
            b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
            -58_897_971,
        ),
        (b"abc", 479_470_107),
    ];

    #[test]
    fn murmur2_matches_the_java_client() {
        for (input, expected) in JAVA_VECTORS {
            assert_eq!(
                murmur2(input),
                *expected,
                "murmur2({:?})",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn every_tail_length_is_folded_in() {
        // Inputs of length 4k+0..3 take different tail paths; they must all differ from
        // their prefixes (a dropped tail byte would make two of these equal).
        let hashes: Vec<i32> = (0..8).map(|n| murmur2(&b"abcdefgh"[..n])).collect();
        for (i, a) in hashes.iter().enumerate() {
            for b in hashes.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn partition_is_to_positive_modulo() {
        // toPositive(-790332482) = 1357151166; 1357151166 % 50 = 16.
        assert_eq!(partition_for_key(b"foobar", 50), 16);
        assert_eq!(partition_for_key(b"foobar", 1), 0);
        assert_eq!(partition_for_key(b"foobar", 0), 0);
        // A negative hash must not produce a negative (wrapped) partition.
        for (input, _) in JAVA_VECTORS {
            assert!(partition_for_key(input, 3) < 3);
        }
    }
}
