//! `ep-model`: builds, evaluates and reports on the session model.
//!
//! ```text
//! ep-model build  --train FILE [--format sessions|ndjson] --out model.epm [--tune] [--version V]
//!                 [--neighbours MAX] [--max-gzip BYTES] [--set name=value,...]
//! ep-model eval   --train TRAIN --test TEST [--json] [--tune]
//! ep-model tune   --train FILE [--format sessions|ndjson]
//! ep-model report --events FILE.ndjson [--json]
//! ep-model synth  --sessions N --items M [--seed S] --out FILE
//! ```
//! Progress goes to stderr; results (JSON or text) to stdout.

use std::process::ExitCode;
use std::time::Instant;

use edge_personalize::model::build::{self, BuildParams};
use edge_personalize::model::data::{self, Dataset};
use edge_personalize::model::eval::{self, ItemKnn, Pop, SPop};
use edge_personalize::model::{report, SessionModel};

const USAGE: &str = "usage:
  ep-model build  --train FILE [--format sessions|ndjson] --out model.epm [--tune] [--version V]
                  [--neighbours MAX] [--max-gzip BYTES] [--set name=value,...]
  ep-model eval   --train TRAIN --test TEST [--json] [--tune] [--set name=value,...]
  ep-model tune   --train FILE [--format sessions|ndjson] [--rounds R] [--set name=value,...]
  ep-model report --events FILE.ndjson [--json]
  ep-model synth  --sessions N --items M [--seed S] --out FILE";

struct Args {
    flags: Vec<(String, Option<String>)>,
}

impl Args {
    fn parse(raw: &[String]) -> Result<Args, String> {
        let mut flags = Vec::new();
        let mut i = 0;
        while let Some(a) = raw.get(i) {
            let Some(name) = a.strip_prefix("--") else {
                return Err(format!("unexpected argument {a:?}"));
            };
            let boolean = matches!(name, "json" | "tune");
            if boolean {
                flags.push((name.to_string(), None));
                i += 1;
            } else {
                let v = raw.get(i + 1).ok_or_else(|| format!("--{name} needs a value"))?;
                flags.push((name.to_string(), Some(v.clone())));
                i += 2;
            }
        }
        Ok(Args { flags })
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }
    fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }
    fn need(&self, name: &str) -> Result<&str, String> {
        self.get(name).ok_or_else(|| format!("missing --{name}"))
    }
    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: not a number: {v:?}")),
        }
    }
    fn check(&self, allowed: &[&str]) -> Result<(), String> {
        for (n, _) in &self.flags {
            if !allowed.contains(&n.as_str()) {
                return Err(format!("unknown option --{n}"));
            }
        }
        Ok(())
    }
}

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

fn is_ndjson(args: &Args, path: &str) -> Result<bool, String> {
    match args.get("format") {
        Some("sessions") => Ok(false),
        Some("ndjson") => Ok(true),
        Some(other) => Err(format!("--format must be sessions or ndjson, got {other:?}")),
        None => Ok(path.ends_with(".ndjson") || path.ends_with(".jsonl")),
    }
}

fn load(args: &Args) -> Result<Dataset, String> {
    let path = args.need("train")?;
    let ndjson = is_ndjson(args, path)?;
    let t = Instant::now();
    let text = read(path)?;
    let ds = data::read_dataset(&text, ndjson).map_err(|e| format!("{path}: {e}"))?;
    let clicks: usize = ds.sessions.iter().map(|s| s.items.len()).sum();
    eprintln!(
        "read {path}: {} sessions, {clicks} clicks, {} items, {} logged conversions ({:.2}s)",
        ds.sessions.len(),
        ds.items.len(),
        ds.feedback.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(ds)
}

fn log_line(s: &str) {
    eprintln!("{s}");
}

fn params_line(p: &BuildParams) -> String {
    format!("{p:?}")
}

fn maybe_tune(args: &Args, ds: &Dataset, mut p: BuildParams) -> Result<BuildParams, String> {
    if args.has("tune") {
        let t = Instant::now();
        let rounds = args.num("rounds", 2usize)?;
        let tuned = build::tune(ds, &p, 0.1, rounds, &mut log_line).map_err(|e| e.to_string())?;
        eprintln!(
            "tuned on the last 10% ({} examples): HR@20 {:.2} MRR@20 {:.2} (defaults: {:.2} / {:.2}) in {:.1}s",
            tuned.validation_examples,
            tuned.metrics.hr(),
            tuned.metrics.mrr(),
            tuned.default_metrics.hr(),
            tuned.default_metrics.mrr(),
            t.elapsed().as_secs_f64()
        );
        p = tuned.params;
    }
    eprintln!("params: {}", params_line(&p));
    Ok(p)
}

/// Build parameters from the defaults, `--neighbours`, `--set` overrides and,
/// with `--tune`, self-tuning on the tail of the training data.
fn params(args: &Args, ds: &Dataset) -> Result<BuildParams, String> {
    let mut p = BuildParams::default();
    p.neighbours = args.num("neighbours", p.neighbours)?;
    if let Some(spec) = args.get("set") {
        build::apply_overrides(&mut p, spec)?;
    }
    maybe_tune(args, ds, p)
}

fn cmd_build(args: &Args) -> Result<(), String> {
    args.check(&["train", "format", "out", "tune", "version", "neighbours", "rounds", "set", "max-gzip"])?;
    let out = args.need("out")?.to_string();
    let ds = load(args)?;
    let mut p = params(args, &ds)?;
    let budget: Option<usize> = match args.get("max-gzip") {
        Some(v) => Some(v.parse().map_err(|_| format!("--max-gzip: not a number: {v:?}"))?),
        None => None,
    };
    let t = Instant::now();
    let version =
        args.get("version").map(str::to_string).unwrap_or_else(|| format!("ep-{}-n{}", ds.items.len(), p.neighbours));
    let (model, bytes, gz) = loop {
        let model = build::build(&ds, &p, &version).map_err(|e| e.to_string())?;
        let bytes = model.to_bytes();
        let gz = eval::gzip_size(&bytes);
        match (budget, gz) {
            (Some(b), Some(g)) if g > b => {
                if p.per_item <= 0.05 {
                    return Err(format!("cannot fit the model into {b} gzip bytes (smallest try: {g})"));
                }
                // Over budget: shorten the neighbour lists and rebuild.
                p.per_item = if p.per_item > 0.0 { p.per_item * 0.9 } else { p.neighbours as f32 / 4.0 };
                p.power = if p.per_item > 0.0 { p.power } else { 0.5 };
                eprintln!("{g} gzip bytes is over the {b} byte budget: per_item -> {:.3}", p.per_item);
            }
            (Some(_), None) => {
                eprintln!("warning: gzip not found, cannot check --max-gzip");
                break (model, bytes, gz);
            }
            _ => break (model, bytes, gz),
        }
    };
    std::fs::write(&out, &bytes).map_err(|e| format!("{out}: {e}"))?;
    let gz = gz.map(|g| g.to_string()).unwrap_or_else(|| "?".into());
    eprintln!(
        "wrote {out}: {} items, {} bytes ({} gzip), version {:?}, built in {:.2}s",
        model.len(),
        bytes.len(),
        gz,
        model.version(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn cmd_tune(args: &Args) -> Result<(), String> {
    args.check(&["train", "format", "rounds", "neighbours", "set"])?;
    let ds = load(args)?;
    let mut p = BuildParams::default();
    p.neighbours = args.num("neighbours", p.neighbours)?;
    if let Some(spec) = args.get("set") {
        build::apply_overrides(&mut p, spec)?;
    }
    let rounds = args.num("rounds", 2usize)?;
    let tuned = build::tune(&ds, &p, 0.1, rounds, &mut log_line).map_err(|e| e.to_string())?;
    println!(
        "{{\"validation_examples\":{},\"defaults\":{{\"hr20\":{:.2},\"mrr20\":{:.2}}},\"tuned\":{{\"hr20\":{:.2},\"mrr20\":{:.2}}},\"params\":\"{}\"}}",
        tuned.validation_examples,
        tuned.default_metrics.hr(),
        tuned.default_metrics.mrr(),
        tuned.metrics.hr(),
        tuned.metrics.mrr(),
        params_line(&tuned.params)
    );
    Ok(())
}

fn metrics_json(m: &eval::Metrics) -> String {
    format!("{{\"hr20\":{:.2},\"mrr20\":{:.2}}}", m.hr(), m.mrr())
}

fn cmd_eval(args: &Args) -> Result<(), String> {
    args.check(&["train", "test", "json", "tune", "format", "rounds", "neighbours", "set"])?;
    let test_path = args.need("test")?.to_string();
    let ds = load(args)?;
    let p = params(args, &ds)?;
    let t = Instant::now();
    let built = build::build(&ds, &p, "eval").map_err(|e| e.to_string())?;
    let bytes = built.to_bytes();
    let build_s = t.elapsed().as_secs_f64();
    // Evaluate the artifact exactly as a client loads it.
    let model = SessionModel::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let gz = eval::gzip_size(&bytes);
    eprintln!(
        "built model in {build_s:.2}s: {} bytes, {} gzip",
        bytes.len(),
        gz.map(|g| g.to_string()).unwrap_or_else(|| "?".into())
    );
    let test = data::read_sessions_text_known(&read(&test_path)?, &ds.items);
    let train: Vec<Vec<u32>> = ds.sessions.iter().map(|s| s.items.clone()).collect();
    let n = ds.items.len();
    eprintln!("{test_path}: {} sessions, {} examples", test.len(), eval::count_examples(&test));

    let t = Instant::now();
    let m_model = eval::evaluate_model(&model, ds.items.ids(), &test, 20);
    let eval_s = t.elapsed().as_secs_f64();
    eprintln!(
        "model:   HR@20 {:.2} MRR@20 {:.2} ({eval_s:.2}s for {} examples)",
        m_model.hr(),
        m_model.mrr(),
        m_model.examples
    );
    // Per-session (per-example) scoring time, median of individual calls.
    let mut times = Vec::new();
    let mut out = Vec::new();
    let ids = ds.items.ids();
    let in_model = |s: &Vec<u32>| -> Vec<u32> {
        s.iter().map(|&i| ids.get(i as usize).and_then(|id| model.item_index(id)).unwrap_or(u32::MAX)).collect()
    };
    for s in test.iter().take(5000).map(in_model) {
        for t in 1..s.len() {
            let prefix = s.get(..t).unwrap_or(&[]);
            let t0 = Instant::now();
            model.recommend(prefix, 20, &mut out);
            times.push(t0.elapsed().as_nanos() as u64);
        }
    }
    times.sort_unstable();
    if let Some(med) = times.get(times.len() / 2) {
        eprintln!("recommend: median {:.2} µs per call natively ({} calls)", *med as f64 / 1000.0, times.len());
    }
    let t = Instant::now();
    let m_pop = eval::evaluate(&Pop::new(n, &train), &test, 20);
    eprintln!("pop:     HR@20 {:.2} MRR@20 {:.2}", m_pop.hr(), m_pop.mrr());
    let m_spop = eval::evaluate(&SPop::new(n, &train), &test, 20);
    eprintln!("spop:    HR@20 {:.2} MRR@20 {:.2}", m_spop.hr(), m_spop.mrr());
    let knn = ItemKnn::new(n, &train, 100);
    let m_knn = eval::evaluate(&knn, &test, 20);
    eprintln!(
        "itemknn: HR@20 {:.2} MRR@20 {:.2} (baselines {:.2}s)",
        m_knn.hr(),
        m_knn.mrr(),
        t.elapsed().as_secs_f64()
    );
    let json = format!(
        "{{\"examples\":{},\"model\":{},\"pop\":{},\"spop\":{},\"itemknn\":{},\"artifact_bytes\":{},\"artifact_gzip_bytes\":{}}}",
        m_model.examples,
        metrics_json(&m_model),
        metrics_json(&m_pop),
        metrics_json(&m_spop),
        metrics_json(&m_knn),
        bytes.len(),
        gz.map(|g| g.to_string()).unwrap_or_else(|| "null".into())
    );
    if args.has("json") {
        println!("{json}");
    } else {
        println!("examples {}", m_model.examples);
        for (name, m) in [("model", &m_model), ("pop", &m_pop), ("spop", &m_spop), ("itemknn", &m_knn)] {
            println!("{name:<8} HR@20 {:>6.2}  MRR@20 {:>6.2}", m.hr(), m.mrr());
        }
        println!("artifact {} bytes, {} gzip", bytes.len(), gz.map(|g| g.to_string()).unwrap_or_else(|| "?".into()));
    }
    Ok(())
}

fn cmd_report(args: &Args) -> Result<(), String> {
    args.check(&["events", "json"])?;
    let path = args.need("events")?;
    let rep = report::report(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    if args.has("json") {
        println!("{}", rep.to_json());
    } else {
        print!("{}", rep.to_text());
    }
    Ok(())
}

fn cmd_synth(args: &Args) -> Result<(), String> {
    args.check(&["sessions", "items", "seed", "out"])?;
    let text = build::synthetic_sessions(
        args.num("seed", 1u64)?,
        args.num("sessions", 500usize)?,
        args.num("items", 200usize)?,
    );
    let out = args.need("out")?;
    std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))?;
    Ok(())
}

pub fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = raw.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let args = match Args::parse(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ep-model: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let r = match cmd.as_str() {
        "build" => cmd_build(&args),
        "eval" => cmd_eval(&args),
        "tune" => cmd_tune(&args),
        "report" => cmd_report(&args),
        "synth" => cmd_synth(&args),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown command {other:?}")),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ep-model: {e}");
            ExitCode::FAILURE
        }
    }
}
