//! The README's limits table is the one list of every limit. This keeps it
//! true: each row's value must equal the constant in its source file (read
//! from the source text, so the Worker's, the gateway's and the sync client's
//! constants are checked the same way as the core's), and every constant of
//! `src/limits.rs` and every `MAX_*` of `src/model/mod.rs` must have a row.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

#[derive(Clone, Copy, Debug)]
enum Unit {
    /// A count or a length; plain numbers.
    Count,
    /// Bytes; the table may say KiB or MiB.
    Bytes,
    /// Milliseconds (also `Duration`s); the table may say ms, s, min, h or days.
    Ms,
    /// Seconds; the table may say s, min, h or days.
    Seconds,
}

/// Every constant the table lists that is not in `src/limits.rs` or a model
/// `MAX_*` (those two files are enumerated from their text): file and unit.
const OTHERS: &[(&str, &str, Unit)] = &[
    ("src/session/snapshot.rs", "MAX_STRINGS", Unit::Count),
    ("src/decide/mod.rs", "MAX_REASONS", Unit::Count),
    ("src/json/serde_impl.rs", "MAX_PREALLOC", Unit::Count),
    ("pkg-template/src/sync/index.js", "CHUNK_BYTES", Unit::Bytes),
    ("pkg-template/src/sync/index.js", "KEEPALIVE_MAX_BYTES", Unit::Bytes),
    ("pkg-template/src/sync/index.js", "DEFAULT_MAX_QUEUED", Unit::Count),
    ("pkg-template/src/sync/index.js", "SETTLED_IDS_MAX", Unit::Count),
    ("pkg-template/src/sync/index.js", "SETTLED_IDS_TRIM", Unit::Count),
    ("pkg-template/src/sync/index.js", "REJECTIONS_KEPT", Unit::Count),
    ("pkg-template/src/sync/leader.js", "LEASE_MS", Unit::Ms),
    ("worker/src/settings.js", "MAX_BODY_BYTES", Unit::Bytes),
    ("worker/src/settings.js", "MAX_EVENTS_PER_BATCH", Unit::Count),
    ("worker/src/settings.js", "RATE_IP_BURST", Unit::Count),
    ("worker/src/settings.js", "RATE_IP_PER_SECOND", Unit::Count),
    ("worker/src/settings.js", "RATE_SESSION_BURST", Unit::Count),
    ("worker/src/settings.js", "RATE_SESSION_PER_SECOND", Unit::Count),
    ("worker/src/settings.js", "RATE_MAX_KEYS", Unit::Count),
    ("worker/src/settings.js", "SINK_RETRY_BASE_SECONDS", Unit::Seconds),
    ("worker/src/settings.js", "SINK_RETRY_MAX_SECONDS", Unit::Seconds),
    ("worker/src/settings.js", "SINK_TIMEOUT_MS", Unit::Ms),
    ("worker/src/settings.js", "DECIDE_MAX_K", Unit::Count),
    ("worker/src/settings.js", "CONFIG_MAX_AGE_SECONDS", Unit::Seconds),
    ("worker/src/ratelimit.js", "NO_REFILL_RETRY_SECONDS", Unit::Seconds),
    ("worker/src/sink.js", "DEAD_LETTER_TTL_SECONDS", Unit::Seconds),
    ("worker/src/collect.js", "QUEUE_BATCH_MESSAGES", Unit::Count),
    ("worker/src/collect.js", "QUEUE_BATCH_BYTES", Unit::Bytes),
    ("worker/src/collect.js", "QUEUE_MESSAGE_OVERHEAD_BYTES", Unit::Bytes),
    ("worker/src/decide.js", "MAX_SESSION_ID", Unit::Count),
    ("worker/src/render.js", "DEFAULT_K", Unit::Count),
    ("worker/src/render.js", "SESSION_COOKIE_MAX_AGE_SECONDS", Unit::Seconds),
    ("worker/src/assets.js", "ASSET_TTL_MS", Unit::Ms),
    ("worker/src/cors.js", "MAX_AGE_SECONDS", Unit::Seconds),
    ("gateway/src/config.rs", "DEFAULT_MAX_BODY_BYTES", Unit::Bytes),
    ("gateway/src/config.rs", "DEFAULT_MAX_RECORD_BYTES", Unit::Bytes),
    ("gateway/src/config.rs", "DEFAULT_MAX_IN_FLIGHT", Unit::Count),
    ("gateway/src/config.rs", "DEFAULT_MAX_CONNECTIONS", Unit::Count),
    ("gateway/src/config.rs", "DEFAULT_PRODUCE_TIMEOUT_MS", Unit::Ms),
    ("gateway/src/server.rs", "HEADER_TIMEOUT", Unit::Ms),
    ("gateway/src/server.rs", "DRAIN_TIMEOUT", Unit::Ms),
    ("gateway/src/kafka.rs", "TOPIC_TTL", Unit::Ms),
    ("gateway/src/kafka.rs", "MISS_RECHECK", Unit::Ms),
    ("gateway/src/api.rs", "MAX_TOPIC_NAME_LEN", Unit::Count),
];

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The README table's rows: constant name -> value cell.
fn readme_rows() -> HashMap<String, String> {
    let readme = read("README.md");
    let section = readme.split("\n## Limits\n").nth(1).expect("README has a Limits section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = HashMap::new();
    for line in section.lines().filter(|l| l.starts_with("| ") && l.contains('`')) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let [_, _, constant, value] = cells.as_slice() else {
            panic!("a limits row has four cells (where, limit, constant, value): {line}");
        };
        let name = constant.trim_matches('`').to_string();
        assert!(rows.insert(name.clone(), value.to_string()).is_none(), "{name} has two rows");
    }
    rows
}

/// A value cell ("8 MiB", "4,096", "30 min", "7 days") in the constant's unit.
fn cell_value(cell: &str, unit: Unit) -> f64 {
    let mut parts = cell.split_whitespace();
    let number: f64 = parts
        .next()
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("value cell {cell:?} starts with a number"));
    let scale = match (unit, parts.next()) {
        (Unit::Count | Unit::Bytes, None) => 1.0,
        (Unit::Bytes, Some("KiB")) => 1024.0,
        (Unit::Bytes, Some("MiB")) => 1024.0 * 1024.0,
        (Unit::Ms, Some("ms")) => 1.0,
        (Unit::Ms, Some("s")) => 1e3,
        (Unit::Ms, Some("min")) => 60e3,
        (Unit::Ms, Some("h")) => 3_600e3,
        (Unit::Ms, Some("days")) => 86_400e3,
        (Unit::Seconds, Some("s")) => 1.0,
        (Unit::Seconds, Some("min")) => 60.0,
        (Unit::Seconds, Some("h")) => 3_600.0,
        (Unit::Seconds, Some("days")) => 86_400.0,
        (u, s) => panic!("value cell {cell:?}: unit {s:?} does not fit a {u:?} constant"),
    };
    number * scale
}

/// The expression a constant is defined by in `text`: Rust `const NAME: T = e;`,
/// JS `const NAME = e;` or a JS object property `NAME: e,`.
fn definition<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("pub(crate) ").or_else(|| line.strip_prefix("pub ")).unwrap_or(line);
        let line = line.strip_prefix("export ").unwrap_or(line);
        let rest = line.strip_prefix("const ").unwrap_or(line).strip_prefix(name)?;
        let expr = if let Some(r) = rest.strip_prefix(" = ") {
            r
        } else if let Some(r) = rest.strip_prefix(": ") {
            r.split_once(" = ").map_or(r, |(_, e)| e)
        } else {
            return None;
        };
        Some(expr.trim_end_matches([';', ',']).trim())
    })
}

/// Evaluates a constant's expression: numbers, other constants (of the same
/// file, else of `src/limits.rs`), `+ - *`, and `Duration::from_secs/millis` (as ms).
fn eval(expr: &str, file: &str, depth: usize) -> f64 {
    assert!(depth < 8, "constant definitions nest too deep at {expr}");
    let expr = expr.trim().trim_matches('"');
    for (prefix, scale) in [("Duration::from_secs(", 1e3), ("Duration::from_millis(", 1.0)] {
        if let Some(inner) = expr.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) {
            return eval(inner, file, depth + 1) * scale;
        }
    }
    // Lowest precedence first: split on the last + or -, then on *.
    if let Some(i) = expr.rfind(" + ").max(expr.rfind(" - ")) {
        let (a, b) = expr.split_at(i);
        let rhs = eval(b.get(3..).unwrap_or(""), file, depth + 1);
        let lhs = eval(a, file, depth + 1);
        return if b.starts_with(" + ") { lhs + rhs } else { lhs - rhs };
    }
    if let Some((a, b)) = expr.split_once(" * ") {
        return eval(a, file, depth + 1) * eval(b, file, depth + 1);
    }
    if let Ok(n) = expr.replace('_', "").parse::<f64>() {
        return n;
    }
    let name = expr.rsplit("::").next().unwrap_or(expr);
    let local = read(file);
    if let Some(e) = definition(&local, name) {
        return eval(e, file, depth + 1);
    }
    let limits = read("src/limits.rs");
    let e = definition(&limits, name).unwrap_or_else(|| panic!("{file}: cannot evaluate {expr:?}"));
    eval(e, "src/limits.rs", depth + 1)
}

/// `pub const NAME` names in a Rust file, optionally only those starting with `prefix`.
fn pub_consts(file: &str, prefix: &str) -> Vec<String> {
    read(file)
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split(':').next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect()
}

/// The keys of the Worker's `DEFAULTS` (every numeric var has one), so a new
/// Worker limit cannot skip the table.
fn worker_default_keys() -> Vec<String> {
    let text = read("worker/src/settings.js");
    let block = text
        .split("DEFAULTS = Object.freeze({")
        .nth(1)
        .and_then(|rest| rest.split("});").next())
        .expect("worker/src/settings.js has a DEFAULTS block");
    block
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect()
}

fn unit_of_rust_const(file: &str, name: &str) -> Unit {
    let def = read(file);
    let line = def.lines().find(|l| l.starts_with(&format!("pub const {name}:"))).unwrap_or_default();
    if name.ends_with("_MS") {
        Unit::Ms
    } else if name.contains("BYTES") {
        Unit::Bytes
    } else {
        assert!(!line.contains("Duration"), "{name}: a Duration needs a unit");
        Unit::Count
    }
}

#[test]
fn every_limit_has_a_readme_row_with_its_value() {
    let rows = readme_rows();
    let mut checked: Vec<(String, String, Unit)> = Vec::new();
    let file = "src/limits.rs";
    for name in pub_consts(file, "") {
        let unit = unit_of_rust_const(file, &name);
        checked.push((file.to_string(), name, unit));
    }
    for name in pub_consts("src/model/mod.rs", "MAX_") {
        let unit = unit_of_rust_const("src/model/mod.rs", &name);
        checked.push(("src/model/mod.rs".to_string(), name, unit));
    }
    assert!(checked.len() >= 40, "found only {} core constants: did the files move?", checked.len());
    checked.extend(OTHERS.iter().map(|&(f, n, u)| (f.to_string(), n.to_string(), u)));
    // Enumerated, so a new default cannot skip the table: the Worker's DEFAULTS
    // and the gateway's `pub const DEFAULT_*` must all be among the checked.
    let enumerated = worker_default_keys().into_iter().chain(pub_consts("gateway/src/config.rs", "DEFAULT_"));
    let mut problems: Vec<String> = enumerated
        .filter(|name| !checked.iter().any(|(_, n, _)| n == name))
        .map(|name| format!("`{name}` is a Worker or gateway default missing from OTHERS and the table"))
        .collect();

    for (file, name, unit) in &checked {
        let text = read(file);
        let Some(expr) = definition(&text, name) else {
            problems.push(format!("{file}: no definition of {name}"));
            continue;
        };
        let source = eval(expr, file, 0);
        match rows.get(name) {
            None => problems.push(format!("README limits table has no row for `{name}` ({file}, value {source})")),
            Some(cell) => {
                let table = cell_value(cell, *unit);
                if (table - source).abs() > 1e-9 * source.abs().max(1.0) {
                    problems.push(format!("`{name}`: README says {cell} ({table}), {file} says {source}"));
                }
            }
        }
    }
    for name in rows.keys() {
        if !checked.iter().any(|(_, n, _)| n == name) {
            problems.push(format!("README row `{name}` is checked against no source: add it to OTHERS"));
        }
    }
    assert!(problems.is_empty(), "limits table out of date:\n{}", problems.join("\n"));
}

#[test]
fn the_value_parser_reads_units_and_refuses_mismatches() {
    assert_eq!(cell_value("8 MiB", Unit::Bytes), 8.0 * 1024.0 * 1024.0);
    assert_eq!(cell_value("4,096", Unit::Count), 4096.0);
    assert_eq!(cell_value("30 min", Unit::Ms), 1_800_000.0);
    assert_eq!(cell_value("7 days", Unit::Seconds), 604_800.0);
    assert!(std::panic::catch_unwind(|| cell_value("5 min", Unit::Bytes)).is_err());
    assert_eq!(eval("2 * MAX_RULE_DEPTH + 16", "src/limits.rs", 0), 80.0);
    assert_eq!(eval("CHUNK_BYTES - 1024", "pkg-template/src/sync/index.js", 0), 63.0 * 1024.0);
    assert_eq!(eval("Duration::from_millis(500)", "gateway/src/kafka.rs", 0), 500.0);
    assert!(worker_default_keys().iter().any(|k| k == "MAX_BODY_BYTES"));
}
