//! Time-ordered unique ids (ULID layout): 48 bits of milliseconds, then 80
//! random bits, in Crockford base32, 26 characters.
//!
//! Event ids are the idempotency key end to end (outbox, Worker, queue, Kafka),
//! so they must be unique and sort by creation time. Within one millisecond the
//! random part is incremented instead of redrawn, keeping ids strictly
//! increasing from one generator.

/// A number no earlier call in this process returned (from 1 up): the
/// generation of a built catalog or rule set, which caches keyed by it (the
/// sessions' catalog hints, kept rule-part results, the facade's kept JS
/// strings) compare so they never read one build's entries for another.
pub(crate) fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Makes ids from a clock value and a seeded random generator.
#[derive(Clone, Debug)]
pub struct IdGen {
    last_ms: u64,
    last_rand: u128,
}

impl Default for IdGen {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGen {
    pub fn new() -> Self {
        IdGen { last_ms: 0, last_rand: 0 }
    }

    /// A new id for time `now_ms`. A clock that goes backwards keeps the last
    /// time, so ids never go backwards either.
    pub fn next(&mut self, now_ms: f64, rng: &mut fastrand::Rng) -> String {
        let ms = if now_ms.is_finite() && now_ms > 0.0 { now_ms as u64 } else { 0 };
        let ms = ms.min((1u64 << 48) - 1);
        let rand_mask: u128 = (1u128 << 80) - 1;
        if ms <= self.last_ms && self.last_ms != 0 {
            // Same (or earlier) millisecond: count up from the last id.
            self.last_rand = self.last_rand.wrapping_add(1) & rand_mask;
        } else {
            self.last_ms = ms;
            self.last_rand = ((rng.u64(..) as u128) << 16 | rng.u16(..) as u128) & rand_mask;
        }
        encode(self.last_ms, self.last_rand)
    }
}

fn encode(ms: u64, rand: u128) -> String {
    let value: u128 = ((ms as u128) << 80) | rand;
    let mut out = [0u8; 26];
    // 26 base-32 digits, most significant first: shifts 125, 120, ..., 0.
    for (slot, shift) in out.iter_mut().zip((0..=125u32).rev().step_by(5)) {
        let digit = ((value >> shift) & 31) as usize;
        *slot = ALPHABET.get(digit).copied().unwrap_or(b'0');
    }
    // Every byte comes from ALPHABET, which is ASCII. One copy, not a push
    // per char (that was a seventh of track() in wasm).
    std::str::from_utf8(&out).map(str::to_string).unwrap_or_default()
}

/// A 64-bit FNV-1a hash: cheap, stable across platforms, used for the
/// holdout split and checksums where cryptographic strength is not needed.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_26_chars_and_strictly_increasing() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut g = IdGen::new();
        let mut prev = String::new();
        for i in 0..1000 {
            let id = g.next(1_764_000_000_000.0 + (i / 10) as f64, &mut rng);
            assert_eq!(id.len(), 26);
            assert!(id > prev, "{id} <= {prev}");
            prev = id;
        }
    }

    #[test]
    fn clock_going_backwards_keeps_order() {
        let mut rng = fastrand::Rng::with_seed(1);
        let mut g = IdGen::new();
        let a = g.next(2_000_000.0, &mut rng);
        let b = g.next(1_000_000.0, &mut rng);
        assert!(b > a);
    }

    #[test]
    fn time_prefix_sorts_by_time() {
        let mut rng = fastrand::Rng::with_seed(3);
        let a = IdGen::new().next(1_000.0, &mut rng);
        let b = IdGen::new().next(2_000.0, &mut rng);
        assert!(a < b);
    }

    #[test]
    fn fnv_known_value() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }
}
