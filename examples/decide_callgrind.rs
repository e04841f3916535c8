//! `decide` alone, repeated, for instruction counts under callgrind: the
//! stable A/B measure on a shared machine (`bench/README.md`).
//!
//! ```text
//! node bench/workload.mjs dist/bench/workload.json
//! cargo build --release --example decide_callgrind
//! valgrind --tool=callgrind --toggle-collect='*decide_many*' \
//!     target/release/examples/decide_callgrind dist/bench/workload.json 20
//! ```
//! Instructions per decide = the collected count / (N + 1).

use std::hint::black_box;
use std::process::ExitCode;

use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{self, Map, Value};

/// The measured region: callgrind collects only inside this function.
#[inline(never)]
fn decide_many(e: &mut Engine, request: &Value, now: f64, n: usize) -> usize {
    (0..=n).map(|_| black_box(e.decide(request, now).map_or(0, |d| d.items.len()))).sum()
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: decide_callgrind WORKLOAD.json [N]")?;
    let n: usize = args.next().map_or(Ok(20), |s| s.parse().map_err(|_| "N is a count"))?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let w = json::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let field = |k: &str| w.get(k).ok_or_else(|| format!("workload has no \"{k}\""));
    let now = field("nowMs")?.as_f64().ok_or("nowMs is not a number")?;
    let config = Config::from_value(field("config")?).map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for e in field("events")?.as_array().ok_or("events is not an array")? {
        let o = e.as_object().ok_or("an event is not an object")?;
        let off = o.get("offsetMs").and_then(Value::as_f64).ok_or("an event has no offsetMs")?;
        let mut m: Map = o.iter().filter(|(k, _)| *k != "offsetMs").map(|(k, v)| (k.to_string(), v.clone())).collect();
        m.insert("ts", Value::Number(now + off));
        events.push(Value::Object(m));
    }
    let first = events.first().and_then(|e| e.get("ts")).and_then(Value::as_f64).unwrap_or(now);
    let mut e = Engine::new(config, first);
    e.load_catalog(field("catalog")?).map_err(|e| format!("catalog: {e}"))?;
    e.load_rules(field("rules")?).map_err(|e| format!("rules: {e}"))?;
    for ev in &events {
        e.track(ev, now).map_err(|e| format!("event: {e}"))?;
    }
    let request = field("request")?;
    let t = std::time::Instant::now();
    let items = decide_many(&mut e, request, now, n);
    eprintln!("{} decisions ({items} items), {:.1} us each", n + 1, t.elapsed().as_secs_f64() * 1e6 / (n + 1) as f64);
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decide_callgrind: {e}");
            ExitCode::FAILURE
        }
    }
}
