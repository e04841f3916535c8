//! Snapshot restore: arbitrary bytes, and the same bytes with their checksum
//! recomputed, so mutations of a valid snapshot (the seed corpus holds one)
//! reach the decoder instead of stopping at the checksum.
//!
//! Invariants: a refused snapshot is `SnapshotCorrupt`, `SnapshotVersion` or
//! `TooLarge`, and the engine starts a fresh session that decides normally;
//! a snapshot that restores re-encodes to bytes that restore to the same
//! encoding (decode(encode(x)) == x), and the restored engine decides and tracks.
#![no_main]

use edge_personalize::session::Session;
use edge_personalize::ErrorCode;
use ep_fuzz::{check_error, check_still_decides, fixed, snapshot_with_fixed_checksum, with_busy_engine, NOW_MS};
use libfuzzer_sys::fuzz_target;

fn decode(bytes: &[u8]) {
    match Session::restore(bytes) {
        Ok(session) => {
            let encoded = session.snapshot();
            match Session::restore(&encoded) {
                Ok(again) => assert!(again.snapshot() == encoded, "snapshot encoding is not stable across a restore"),
                Err(e) => panic!("a restored session's own snapshot does not restore: {e:?}"),
            }
        }
        Err(e) => {
            check_error(&e);
            assert!(
                matches!(e.code, ErrorCode::SnapshotCorrupt | ErrorCode::SnapshotVersion | ErrorCode::TooLarge),
                "snapshot refused with an unexpected code: {e:?}"
            );
        }
    }
}

/// The engine-level restore: refused or not, the engine goes on.
fn restore_into_engine(bytes: &[u8]) {
    with_busy_engine(|engine| {
        let restored = engine.restore(bytes, NOW_MS).is_ok();
        check_still_decides(engine);
        if restored {
            // The restored session keeps working: it takes a new event.
            let ev = fixed(r#"{"type":"product_view","item":{"id":"hat-1","category":"hats","price":25}}"#);
            if let Err(e) = engine.track(&ev, NOW_MS + 2_000.0) {
                panic!("a restored session refused a valid event: {e:?}");
            }
            check_still_decides(engine);
        }
    });
}

fuzz_target!(|data: &[u8]| {
    decode(data);
    // The engine-level check runs once per input, on the variant that gets
    // furthest into the decoder.
    match snapshot_with_fixed_checksum(data) {
        Some(fixed_up) if fixed_up != data => {
            decode(&fixed_up);
            restore_into_engine(&fixed_up);
        }
        _ => restore_into_engine(data),
    }
});
