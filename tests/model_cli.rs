#![cfg(not(target_arch = "wasm32"))]
//! `ep-model` as a user runs it: synth -> build -> load, eval --json, report.

use std::path::PathBuf;
use std::process::Command;

use edge_personalize::json::{self, Value};
use edge_personalize::model::SessionModel;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ep-model"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ep-model-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().expect("ep-model runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "ep-model failed: {stderr}");
    (stdout, stderr)
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for p in path {
        cur = cur.get(p).unwrap_or_else(|| panic!("missing {path:?} in {v:?}"));
    }
    cur.as_f64().unwrap_or_else(|| panic!("{path:?} is not a number"))
}

#[test]
fn synth_build_eval() {
    let d = tmpdir("build");
    let train = d.join("train.txt");
    let test = d.join("test.txt");
    let model = d.join("model.epm");
    run(bin().args(["synth", "--sessions", "1500", "--items", "150", "--seed", "2", "--out"]).arg(&train));
    run(bin().args(["synth", "--sessions", "200", "--items", "150", "--seed", "3", "--out"]).arg(&test));
    let (_, log) = run(bin()
        .args(["build", "--format", "sessions", "--version", "cli-1", "--train"])
        .arg(&train)
        .arg("--out")
        .arg(&model));
    assert!(log.contains("wrote"), "progress on stderr: {log}");
    let bytes = std::fs::read(&model).expect("artifact written");
    let m = SessionModel::from_bytes(&bytes).expect("artifact loads");
    assert_eq!(m.version(), "cli-1");
    assert_eq!(m.len(), 150);

    // A size budget shrinks the lists until the artifact fits, or fails.
    let small = d.join("small.epm");
    let (_, log) = run(bin().args(["build", "--max-gzip", "6000", "--train"]).arg(&train).arg("--out").arg(&small));
    let gz =
        edge_personalize::model::eval::gzip_size(&std::fs::read(&small).expect("written")).expect("gzip is installed");
    assert!(gz <= 6000, "{gz} > 6000: {log}");
    assert!(log.contains("over the 6000 byte budget"), "{log}");
    let out = bin()
        .args(["build", "--max-gzip", "10", "--train"])
        .arg(&train)
        .arg("--out")
        .arg(d.join("never.epm"))
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot fit"));

    let (out, _) = run(bin().args(["eval", "--json", "--train"]).arg(&train).arg("--test").arg(&test));
    let v = json::parse(out.trim()).expect("stdout is one JSON object");
    let test_text = std::fs::read_to_string(&test).expect("test file");
    let examples: usize = test_text.lines().map(|l| l.split_whitespace().count().saturating_sub(1)).sum();
    assert_eq!(num(&v, &["examples"]) as usize, examples);
    for name in ["model", "pop", "spop", "itemknn"] {
        let hr = num(&v, &[name, "hr20"]);
        let mrr = num(&v, &[name, "mrr20"]);
        assert!((0.0..=100.0).contains(&hr) && (0.0..=hr).contains(&mrr), "{name}: {hr} {mrr}");
    }
    assert!(num(&v, &["model", "hr20"]) > num(&v, &["pop", "hr20"]));
    assert!(num(&v, &["artifact_bytes"]) > 0.0);
    let keys: Vec<&str> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["examples", "model", "pop", "spop", "itemknn", "artifact_bytes", "artifact_gzip_bytes"]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn build_from_ndjson_and_tune() {
    let d = tmpdir("ndjson");
    let events = d.join("events.ndjson");
    let mut text = String::new();
    for s in 0..300 {
        for (k, item) in [s % 7, (s + 1) % 7, (s + 2) % 7].iter().enumerate() {
            let kind = ["product_view", "product_click", "add_to_cart"][k];
            text.push_str(&format!(
                "{{\"type\":\"{kind}\",\"sessionId\":\"s{s}\",\"ts\":{},\"item\":{{\"id\":\"sku-{item}\"}}}}\n",
                1_764_000_000_000u64 + k as u64
            ));
        }
    }
    std::fs::write(&events, text).expect("write events");
    let model = d.join("m.epm");
    let (_, log) =
        run(bin().args(["build", "--tune", "--rounds", "1", "--train"]).arg(&events).arg("--out").arg(&model));
    assert!(log.contains("tuned on the last 10%"), "{log}");
    let m = SessionModel::from_bytes(&std::fs::read(&model).expect("model")).expect("loads");
    assert_eq!(m.len(), 7);
    let mut out = Vec::new();
    let a = m.item_index("sku-3").expect("known");
    m.recommend(&[a], 3, &mut out);
    assert_eq!(out.first().map(|&(i, _)| m.item_id(i)), Some(Some("sku-4")), "learned sku-3 -> sku-4");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn report_counts_per_group_and_slot() {
    let d = tmpdir("report");
    let events = d.join("events.ndjson");
    let lines = [
        r#"{"type":"impression","sessionId":"s1","group":"treatment","decisionId":"d1","context":{"slot":"home"},"items":[{"id":"a"}]}"#,
        r#"{"type":"product_click","sessionId":"s1","group":"treatment","decisionId":"d1","item":{"id":"a"}}"#,
        r#"{"type":"add_to_cart","sessionId":"s1","group":"treatment","decisionId":"d1","item":{"id":"a"}}"#,
        r#"{"type":"purchase","sessionId":"s1","group":"treatment","decisionId":"d1","items":[{"id":"a"}]}"#,
        r#"{"type":"impression","sessionId":"s1","group":"treatment","decisionId":"d2","context":{"slot":"pdp"},"items":[{"id":"b"}]}"#,
        r#"{"type":"impression","sessionId":"s2","group":"holdout","decisionId":"d3","context":{"slot":"home"},"items":[{"id":"c"}]}"#,
        r#"{"type":"impression","sessionId":"s3","group":"holdout","decisionId":"d4","context":{"slot":"home"},"items":[{"id":"c"}]}"#,
        r#"{"type":"product_click","sessionId":"s3","group":"holdout","decisionId":"d4","item":{"id":"c"}}"#,
        r#"{"type":"product_click","sessionId":"s3","group":"holdout","decisionId":"zzz","item":{"id":"c"}}"#,
    ];
    std::fs::write(&events, lines.join("\n")).expect("write");
    let (out, _) = run(bin().args(["report", "--json", "--events"]).arg(&events));
    let v = json::parse(out.trim()).expect("JSON");
    assert_eq!(num(&v, &["events"]), 9.0);
    // treatment: 2 impressions, 1 clicked, 1 purchased -> CTR 50, conversion 50
    assert_eq!(num(&v, &["groups", "treatment", "impressions"]), 2.0);
    assert_eq!(num(&v, &["groups", "treatment", "ctr"]), 50.0);
    assert_eq!(num(&v, &["groups", "treatment", "conversion"]), 50.0);
    // holdout: 2 impressions, 1 click, no purchase
    assert_eq!(num(&v, &["groups", "holdout", "ctr"]), 50.0);
    assert_eq!(num(&v, &["groups", "holdout", "conversion"]), 0.0);
    // slot home: 3 impressions, 2 clicked -> 66.67
    assert_eq!(num(&v, &["slots", "home", "impressions"]), 3.0);
    assert_eq!(num(&v, &["slots", "home", "ctr"]), 66.67);
    assert_eq!(num(&v, &["slots", "pdp", "ctr"]), 0.0);
    assert_eq!(num(&v, &["sessions", "treatment", "conversion"]), 100.0);
    assert_eq!(num(&v, &["sessions", "holdout", "sessions"]), 2.0);
    assert_eq!(num(&v, &["unattributed"]), 1.0);
    let (text, _) = run(bin().args(["report", "--events"]).arg(&events));
    assert!(text.contains("treatment") && text.contains("CTR"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bad_input_fails_with_a_message() {
    let out = bin().args(["build", "--train", "/nonexistent/x.txt", "--out", "/tmp/x.epm"]).output().expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.txt"));
    let out = bin().args(["eval", "--bogus", "1"]).output().expect("runs");
    assert!(!out.status.success());
    let out = bin().output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
