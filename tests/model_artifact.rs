#![cfg(not(target_arch = "wasm32"))]
//! The model artifact: round trip, and rejection of every kind of damage
//! (truncation at every length, every single bit flip, future versions,
//! forged bodies behind a valid checksum) without a panic.

use edge_personalize::model::build::{self, BuildParams};
use edge_personalize::model::data;
use edge_personalize::model::{
    fnv1a64, Parts, ScoreParams, SessionModel, FORMAT_VERSION, HEADER_LEN, MAX_SESSION_ITEMS,
};
use edge_personalize::ErrorCode;

fn small_model(sessions: usize, items: usize) -> SessionModel {
    let text = build::synthetic_sessions(3, sessions, items);
    let ds = data::read_dataset(&text, false).expect("synthetic data reads");
    build::build(&ds, &BuildParams::default(), "test-1").expect("builds")
}

/// Rewrites the header checksum so a deliberately edited artifact passes it.
fn reseal(bytes: &mut [u8]) {
    let mut covered = bytes[..20].to_vec();
    covered.extend_from_slice(&bytes[HEADER_LEN..]);
    let sum = fnv1a64(&covered);
    bytes[20..28].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn round_trip_keeps_everything() {
    let m = small_model(400, 120);
    let bytes = m.to_bytes();
    let back = SessionModel::from_bytes(&bytes).expect("loads");
    assert_eq!(back, m);
    assert_eq!(back.to_bytes(), bytes, "serialisation is deterministic");
    assert_eq!(back.version(), "test-1");
    assert_eq!(back.len(), 120);
    for idx in 0..back.len() as u32 {
        let id = back.item_id(idx).expect("every index has an id");
        assert_eq!(back.item_index(id), Some(idx));
    }
    assert_eq!(back.item_index("no-such-item"), None);
    assert_eq!(back.item_id(back.len() as u32), None);
    let mut a = Vec::new();
    let mut b = Vec::new();
    for s in [vec![0u32], vec![3, 4, 5], vec![7, 7, 8, 1]] {
        m.recommend(&s, 20, &mut a);
        back.recommend(&s, 20, &mut b);
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }
}

#[test]
fn ids_of_every_shape_round_trip() {
    // Numeric ids use the delta encoding; "007", "+1", "-3" and long numbers must not.
    let ids: Vec<String> = [
        "17",
        "18",
        "5",
        "0",
        "007",
        "+1",
        "-3",
        "sku-1",
        "ünïcødé",
        "1000000000000000000000",
        "999999999999999",
        "20",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows = vec![vec![(1u32, 15u8), (4, 3)], vec![(0, 15)], vec![], vec![], vec![(0, 1)]];
    let parts = Parts {
        version: "v".into(),
        params: ScoreParams::default(),
        ids: ids.clone(),
        levels: 16,
        rows,
        scales: vec![1.0; 12],
        rerate: vec![0; 12],
        pop: vec![(0, 255)],
    };
    let m = SessionModel::from_parts(parts).expect("valid parts");
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(m.item_id(i as u32), Some(id.as_str()));
        assert_eq!(m.item_index(id), Some(i as u32));
    }
    let nb: Vec<(u32, f32)> = m.neighbours(0).collect();
    assert_eq!(nb, vec![(1, 1.0), (4, (3.0f32 / 15.0) * (3.0 / 15.0))]);
}

#[test]
fn duplicate_ids_are_rejected() {
    let ids = vec!["a".to_string(), "a".to_string()];
    let parts = Parts { version: "v".into(), ids, levels: 16, ..Parts::default() };
    let e = SessionModel::from_parts(parts).unwrap_err();
    assert_eq!(e.code, ErrorCode::ModelCorrupt);
}

#[test]
fn truncation_at_every_length_is_model_corrupt() {
    let bytes = small_model(60, 30).to_bytes();
    assert!(bytes.len() > HEADER_LEN);
    for len in 0..bytes.len() {
        match SessionModel::from_bytes(&bytes[..len]) {
            Ok(_) => panic!("a {len}-byte prefix of a {}-byte artifact loaded", bytes.len()),
            Err(e) => assert_eq!(e.code, ErrorCode::ModelCorrupt, "prefix {len}: {e}"),
        }
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert_eq!(SessionModel::from_bytes(&padded).unwrap_err().code, ErrorCode::ModelCorrupt);
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let bytes = small_model(60, 30).to_bytes();
    let mut damaged = bytes.clone();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            damaged[i] ^= 1 << bit;
            let r = SessionModel::from_bytes(&damaged);
            damaged[i] ^= 1 << bit;
            let e = r.err().unwrap_or_else(|| panic!("flip of bit {bit} in byte {i} went unnoticed"));
            // A flip in the version field may read as a future version; all else is corruption.
            if !(8..10).contains(&i) {
                assert_eq!(e.code, ErrorCode::ModelCorrupt, "byte {i} bit {bit}: {e}");
            } else {
                assert!(matches!(e.code, ErrorCode::ModelCorrupt | ErrorCode::ModelVersion));
            }
        }
    }
    assert_eq!(damaged, bytes);
}

#[test]
fn future_format_is_model_version() {
    let mut bytes = small_model(60, 30).to_bytes();
    bytes[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    reseal(&mut bytes);
    let e = SessionModel::from_bytes(&bytes).unwrap_err();
    assert_eq!(e.code, ErrorCode::ModelVersion);
    assert_eq!(e.path, "header.version");
    // Even unsealed, the version is reported first: the actionable message.
    bytes[20] ^= 0xff;
    assert_eq!(SessionModel::from_bytes(&bytes).unwrap_err().code, ErrorCode::ModelVersion);
}

#[test]
fn wrong_magic_and_garbage_are_model_corrupt() {
    for junk in [&b""[..], b"EPMODEL", b"not a model at all, just text....", &[0u8; 64][..]] {
        assert_eq!(SessionModel::from_bytes(junk).unwrap_err().code, ErrorCode::ModelCorrupt);
    }
}

#[test]
fn forged_bodies_behind_a_valid_checksum_never_panic() {
    // Damage past the checksum: each edit is resealed, so the parser's own
    // bounds checks are what stands between the bytes and a panic.
    let bytes = small_model(60, 30).to_bytes();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut rejected = 0;
    for round in 0..3000 {
        let mut b = bytes.clone();
        let edits = 1 + (next() % 4) as usize;
        for _ in 0..edits {
            let body_len = b.len() - HEADER_LEN;
            let pos = HEADER_LEN + (next() as usize % body_len);
            b[pos] = match round % 3 {
                0 => next() as u8,
                1 => 0xff,
                _ => 0x80,
            };
        }
        if round % 7 == 0 {
            // forge the item count too
            let n = (next() % 5_000_000) as u32;
            b[12..16].copy_from_slice(&n.to_le_bytes());
        }
        reseal(&mut b);
        match SessionModel::from_bytes(&b) {
            Ok(m) => {
                // Whatever loads must still answer safely.
                let mut out = Vec::new();
                m.recommend(&[0, 1, 2, u32::MAX], 20, &mut out);
                assert!(out.len() <= 20);
            }
            Err(e) => {
                assert_eq!(e.code, ErrorCode::ModelCorrupt, "{e}");
                rejected += 1;
            }
        }
    }
    assert!(rejected > 1000, "most random edits must be caught, got {rejected}");
}

#[test]
fn recommend_contract() {
    let m = small_model(400, 120);
    let mut out = Vec::new();
    m.recommend(&[5, 6, 7], 0, &mut out);
    assert!(out.is_empty());
    m.recommend(&[], 10, &mut out);
    assert!(out.len() <= 10, "empty session: popularity only");
    for k in [1usize, 5, 20, 200] {
        m.recommend(&[5, 6, 7, u32::MAX, 1_000_000], k, &mut out);
        assert!(out.len() <= k);
        assert!(out.iter().all(|&(i, s)| (i as usize) < m.len() && s > 0.0 && s.is_finite()));
        assert!(out.windows(2).all(|w| w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0)));
        let mut ids: Vec<u32> = out.iter().map(|&(i, _)| i).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), out.len(), "no duplicates");
    }
    // Unknown indices are ignored, not an error.
    let mut clean = Vec::new();
    m.recommend(&[5, 6, 7], 20, &mut clean);
    m.recommend(&[5, u32::MAX, 6, 7], 20, &mut out);
    assert_eq!(out.len(), clean.len());
    // A top-5 is the head of the top-20.
    let mut top5 = Vec::new();
    m.recommend(&[5, 6, 7], 5, &mut top5);
    assert_eq!(top5[..], clean[..5]);
    // Very long sessions only look at the most recent items.
    let long: Vec<u32> = (0..(MAX_SESSION_ITEMS as u32 * 3)).map(|i| i % 120).collect();
    m.recommend(&long, 20, &mut out);
    let mut tail = Vec::new();
    m.recommend(&long[long.len() - MAX_SESSION_ITEMS..], 20, &mut tail);
    assert_eq!(out, tail);
}

#[test]
fn repeat_boost_ranks_session_items() {
    // With neighbours off and no popularity, the ranking is exactly the
    // repeat boost: most recent first, repeated clicks add up.
    let m = small_model(400, 120);
    let p = ScoreParams {
        depth: 0,
        decay: 0.5,
        repeat: 1.0,
        repeat_decay: 0.5,
        pop: 0.0,
        repeat_mix: 1.0,
        hop: 0.0,
        hop_from: 0,
    };
    let m = m.with_params(p);
    let mut out = Vec::new();
    m.recommend(&[10, 11, 12], 20, &mut out);
    assert_eq!(out, vec![(12, 1.0), (11, 0.5), (10, 0.25)]);
    m.recommend(&[10, 11, 10, 12], 20, &mut out);
    assert_eq!(out, vec![(12, 1.0), (10, 0.5 + 0.125), (11, 0.25)]);
}

// Found by `make fuzz` (model_load): a checksum-valid artifact whose
// repeat_decay was 1e24 scored a repeated item `inf`, which the engine turned
// into NaN when it scaled the picks by the top score. Huge-but-finite
// parameters still load (the builder's `--set` may write them; the reader
// already refuses NaN and infinity), but recommend leaves out scores that overflow.
#[test]
fn overflowing_parameters_never_give_infinite_scores() {
    let m = small_model(400, 120).with_params(ScoreParams { repeat_decay: 1e24, depth: 0, ..ScoreParams::default() });
    let loaded = SessionModel::from_bytes(&m.to_bytes()).expect("finite parameters load");
    let session: Vec<u32> = (0..20).map(|i| i % 4).collect();
    let mut out = Vec::new();
    loaded.recommend(&session, 20, &mut out);
    assert!(out.iter().all(|&(_, s)| s.is_finite() && s > 0.0), "{out:?}");
    // Items 0..4 repeat five times, so their boost overflowed: they are left out.
    assert!(out.iter().all(|&(i, _)| i >= 4), "{out:?}");
}

