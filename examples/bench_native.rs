//! Native benchmark of the engine on the shared workload (`make bench`).
//!
//! ```text
//! node bench/workload.mjs dist/bench/workload.json
//! cargo run --release --example bench_native -- dist/bench/workload.json [compatible.json] > dist/bench/native.json
//! ```
//!
//! Prints one JSON object of medians: decide (10k items, 200-event session,
//! 25 rules, k=10), track per event, one rule condition against the live
//! session, one JsonLogic conformance case, catalog load, snapshot/restore.
//! The clock is the workload's `nowMs`, so runs are reproducible.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use edge_personalize::decide::{DecisionScope, SessionView};
use edge_personalize::engine::{Config, Engine};
use edge_personalize::json::{self, Map, Value};
use edge_personalize::logic::{eval_json, Condition};

/// Median ns per operation over `batches` batches; each batch repeats `f`
/// until it ran for at least ~20 ms (the count is fixed after calibration).
fn measure(ops_per_call: usize, batches: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let mut calls = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..calls {
            f();
        }
        if t.elapsed().as_nanos() >= 20_000_000 || calls >= 1 << 20 {
            break;
        }
        calls *= 2;
    }
    let mut per: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_nanos() as f64 / (calls * ops_per_call) as f64
        })
        .collect();
    per.sort_by(f64::total_cmp);
    per.get(per.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median of single timed runs, for operations too slow to batch.
fn measure_once(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut per: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    per.sort_by(f64::total_cmp);
    per.get(per.len() / 2).copied().unwrap_or(f64::NAN)
}

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("workload has no \"{key}\""))
}

fn run() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: bench_native WORKLOAD.json [CONFORMANCE.json]")?;
    let conformance = args.next();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let w = json::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let now = field(&w, "nowMs")?.as_f64().ok_or("nowMs is not a number")?;
    let catalog = field(&w, "catalog")?;
    let rules = field(&w, "rules")?;
    let request = field(&w, "request")?;
    let config = Config::from_value(field(&w, "config")?).map_err(|e| e.to_string())?;
    // Events carry `offsetMs`; the engine wants `ts`.
    let events: Vec<Value> = field(&w, "events")?
        .as_array()
        .ok_or("events is not an array")?
        .iter()
        .map(|e| {
            let o = e.as_object().ok_or("an event is not an object")?;
            let off = o.get("offsetMs").and_then(Value::as_f64).ok_or("an event has no offsetMs")?;
            let mut m: Map = o.iter().filter(|(k, _)| *k != "offsetMs").map(|(k, v)| (k.to_string(), v.clone())).collect();
            m.insert("ts", Value::Number(now + off));
            Ok(Value::Object(m))
        })
        .collect::<Result<_, &str>>()?;
    let first_ts = events.first().and_then(|e| e.get("ts")).and_then(Value::as_f64).unwrap_or(now);

    let mut out = Map::new();
    let put = |out: &mut Map, k: &str, v: f64| out.insert(k, Value::Number((v * 1000.0).round() / 1000.0));

    // Catalog load, from the parsed value (JSON parsing measured separately).
    let catalog_text = json::to_json_string(catalog);
    let load_ns = measure_once(5, || {
        let mut e = Engine::new(config.clone(), now);
        black_box(e.load_catalog(catalog).ok());
    });
    put(&mut out, "catalog_load_ms", load_ns / 1e6);
    let parse_ns = measure_once(5, || {
        black_box(json::parse(&catalog_text).ok());
    });
    put(&mut out, "catalog_parse_ms", parse_ns / 1e6);

    // track: 200 events into a fresh session, per event.
    let track_ns = measure(events.len(), 11, || {
        let mut e = Engine::new(config.clone(), first_ts);
        for ev in &events {
            black_box(e.track(ev, now).ok());
        }
    });
    put(&mut out, "track_us", track_ns / 1e3);

    // The engine after the whole session.
    let mut engine = Engine::new(config.clone(), first_ts);
    engine.load_catalog(catalog).map_err(|e| format!("catalog: {e}"))?;
    engine.load_rules(rules).map_err(|e| format!("rules: {e}"))?;
    for (i, ev) in events.iter().enumerate() {
        engine.track(ev, now).map_err(|e| format!("events[{i}]: {e}"))?;
    }
    let decision = engine.decide(request, now).map_err(|e| format!("decide: {e}"))?;
    let decide_ns = measure(1, 11, || {
        black_box(engine.decide(request, now).ok());
    });
    put(&mut out, "decide_us", decide_ns / 1e3);
    out.insert(
        "decide_item_ids",
        Value::Array(decision.items.iter().map(|i| Value::from(i.id.as_str())).collect()),
    );
    out.insert(
        "decide_rules_fired",
        Value::Array(decision.rules_fired.iter().map(|r| Value::from(r.as_str())).collect()),
    );
    if !decision.rule_failures.is_empty() {
        out.insert(
            "decide_rule_failures",
            Value::Array(decision.rule_failures.iter().map(|f| Value::from(format!("{}: {}", f.rule, f.message))).collect()),
        );
    }

    // One rule condition against the live session and one catalog item,
    // compiled once, as decide evaluates them.
    let conditions: Vec<Condition> = rules
        .get("rules")
        .and_then(Value::as_array)
        .ok_or("rules.rules is not an array")?
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let c = r.get("condition").cloned().unwrap_or(Value::Bool(true));
            Condition::compile(&c).map_err(|e| format!("rules[{i}].condition: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let item = engine
        .catalog()
        .get("sku-04243")
        .or_else(|| engine.catalog().item(0))
        .ok_or("empty catalog")?
        .value
        .clone();
    let context = request.get("context").cloned().unwrap_or(Value::Object(Map::new()));
    let slot = request.get("slot").and_then(Value::as_str).unwrap_or("default").to_string();
    let view = SessionView::new(engine.session(), now);
    let rule_ns = measure(conditions.len(), 11, || {
        let scope = DecisionScope { view: &view, slot: &slot, context: &context, item: Some(&item) };
        for c in &conditions {
            black_box(c.eval(&scope).ok());
        }
    });
    put(&mut out, "rule_condition_ns", rule_ns);
    // The same conditions on plain data as the Node bench builds it (the
    // session as state() reports it, the item, the context), compiled once:
    // what wasm's CompiledCondition.matches on a ConditionData does.
    let mut data = Map::new();
    data.insert("session", engine.state(now));
    data.insert("item", item.clone());
    data.insert("context", context.clone());
    data.insert("slot", Value::from(slot.as_str()));
    data.insert("now", Value::Number(now));
    let data = Value::Object(data);
    let data_ns = measure(conditions.len(), 11, || {
        for c in &conditions {
            black_box(c.matches(&data).ok());
        }
    });
    put(&mut out, "rule_condition_data_ns", data_ns);

    // The JsonLogic conformance cases: compile + eval on plain data, per case.
    if let Some(p) = conformance {
        let t = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
        let all = json::parse(&t).map_err(|e| format!("{p}: {e}"))?;
        let cases: Vec<(Value, Value)> = all
            .as_array()
            .unwrap_or(&[])
            .iter()
            .filter_map(|c| c.as_object())
            .map(|c| (c.get("rule").cloned().unwrap_or(Value::Null), c.get("data").cloned().unwrap_or(Value::Null)))
            .collect();
        let case_ns = measure(cases.len().max(1), 11, || {
            for (rule, data) in &cases {
                black_box(eval_json(rule, data).ok());
            }
        });
        put(&mut out, "conformance_case_ns", case_ns);
        // Compiled once, evaluated only (whether the rule holds), as the Node
        // bench's like-with-like measure.
        let compiled: Vec<(Condition, &Value)> =
            cases.iter().filter_map(|(rule, data)| Some((Condition::compile(rule).ok()?, data))).collect();
        let matches_ns = measure(compiled.len().max(1), 11, || {
            for (c, data) in &compiled {
                black_box(c.matches(*data).ok());
            }
        });
        put(&mut out, "conformance_matches_ns", matches_ns);
        put(&mut out, "conformance_cases", cases.len() as f64);
    }

    // Snapshot and restore of the 200-event session.
    let snap = engine.snapshot();
    put(&mut out, "snapshot_bytes", snap.len() as f64);
    let snap_ns = measure(1, 11, || {
        black_box(engine.snapshot());
    });
    put(&mut out, "snapshot_us", snap_ns / 1e3);
    let mut fresh = Engine::new(config, now);
    let restore_ns = measure(1, 11, || {
        black_box(fresh.restore(&snap, now).ok());
    });
    put(&mut out, "restore_us", restore_ns / 1e3);

    Ok(json::to_json_string(&Value::Object(out)))
}

fn main() -> ExitCode {
    match run() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_native: {e}");
            ExitCode::FAILURE
        }
    }
}
