#![cfg(not(target_arch = "wasm32"))]
//! The committed model fixture the native/wasm agreement test uses:
//! `tests/model-fixtures/small.epm` (built from a synthetic dataset),
//! `small_sessions.txt` (300 sessions, item ids) and `small_top20.txt` (for
//! each session, the native top 20 as `id:score-bits-hex`, best first).
//! A wasm test loads the same artifact, scores the same sessions and must
//! produce the same lines.
//!
//! Regenerate after a builder or format change:
//! `UPDATE_MODEL_FIXTURES=1 cargo test --test model_fixture`.

use std::path::PathBuf;

use edge_personalize::model::build::{self, BuildParams};
use edge_personalize::model::{data, SessionModel};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join("model-fixtures")
}

/// The fixture's training data and sessions, generated deterministically.
fn generate() -> (Vec<u8>, String, String) {
    let train = build::synthetic_sessions(7, 2000, 400);
    let ds = data::read_dataset(&train, false).expect("synthetic data reads");
    let model = build::build(&ds, &BuildParams::default(), "fixture-small-1").expect("builds");
    let bytes = model.to_bytes();
    let sessions = build::synthetic_sessions(8, 300, 400);
    let expected = top20_lines(&SessionModel::from_bytes(&bytes).expect("loads"), &sessions);
    (bytes, sessions, expected)
}

/// One line per session: the top 20 as `id:bits` (f32 bits in hex, so
/// agreement is checked bit for bit).
fn top20_lines(model: &SessionModel, sessions: &str) -> String {
    let mut out = String::new();
    let mut top = Vec::new();
    for line in sessions.lines() {
        let s: Vec<u32> = line.split_whitespace().filter_map(|id| model.item_index(id)).collect();
        model.recommend(&s, 20, &mut top);
        let parts: Vec<String> =
            top.iter().map(|&(i, sc)| format!("{}:{:08x}", model.item_id(i).unwrap_or("?"), sc.to_bits())).collect();
        out.push_str(&parts.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn committed_fixture_matches_native_scoring() {
    let d = dir();
    let (bytes, sessions, expected) = generate();
    if std::env::var_os("UPDATE_MODEL_FIXTURES").is_some() {
        std::fs::create_dir_all(&d).expect("fixture dir");
        std::fs::write(d.join("small.epm"), &bytes).expect("write");
        std::fs::write(d.join("small_sessions.txt"), &sessions).expect("write");
        std::fs::write(d.join("small_top20.txt"), &expected).expect("write");
    }
    let committed = std::fs::read(d.join("small.epm")).expect("tests/model-fixtures/small.epm exists");
    let model = SessionModel::from_bytes(&committed).expect("the committed fixture loads");
    let committed_sessions = std::fs::read_to_string(d.join("small_sessions.txt")).expect("sessions");
    let committed_expected = std::fs::read_to_string(d.join("small_top20.txt")).expect("expected");
    assert_eq!(committed_sessions.lines().count(), 300);
    // The committed expectations are what this build computes from the committed artifact.
    let ours = top20_lines(&model, &committed_sessions);
    for (i, (a, b)) in ours.lines().zip(committed_expected.lines()).enumerate() {
        assert_eq!(a, b, "session {} (line {}) ranks differently", i, i + 1);
    }
    assert_eq!(ours.lines().count(), committed_expected.lines().count());
    assert!(committed_expected.lines().all(|l| l.split(' ').count() == 20), "every session gets a full top 20");
    assert!(
        committed == bytes,
        "the builder no longer reproduces the fixture: run UPDATE_MODEL_FIXTURES=1 cargo test --test model_fixture"
    );
}
