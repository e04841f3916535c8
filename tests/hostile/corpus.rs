//! The hostile-input corpus (`cases.json`) turned into concrete inputs, shared
//! by the native runner (`tests/hostile.rs`) and the wasm runner
//! (`tests/wasm_common/mod.rs`, Node and headless Chromium).
//!
//! The corpus is data; this module only expands it:
//! - `input` is a JSON template. Objects with one `$`-key are generators:
//!   `{"$repeat": "ab", "times": N}` (a string), `{"$array": V, "times": N}`,
//!   `{"$range": N}` (`[0, 1, ..., N-1]`), `{"$nest": {"depth": N, "wrap": W, "leaf": L}}`
//!   (`W` with the string `"$hole"` replaced by the next level, `N` times),
//!   `{"$number": "NaN" | "Infinity" | "-Infinity"}` (a real non-finite number:
//!   a JS `NaN` in wasm), `{"$lone_surrogate": "prefix"}` (the prefix and an
//!   unpaired U+D800: a real JS string in wasm; natively, where a Rust string
//!   cannot hold one, the U+FFFD that the JSON parser and `TextEncoder` put in
//!   its place), `{"$now_plus_ms": D}` (the runner's clock plus D).
//! - `text` is JSON text handed over as text (a string, or a template that is
//!   expanded and serialized, for huge texts).
//! - `bytes` describes a byte input: a `source` (`snapshot`: the good state's
//!   snapshot; `model`: the fixture model; `ascii`; `fill`), then `transforms`
//!   applied in order (`truncate`, `flip_bit`, `set_byte`, `add_to_byte`,
//!   `append`, `replace`, `fix_snapshot_checksum`), then optionally a `sweep`
//!   that yields many inputs (every truncation point, or bit flips across a
//!   byte range, each optionally followed by `after` transforms), generated
//!   here, not stored. `{"$concat": [...]}` joins strings (huge or deep texts).
//!
//! `expect` is the stable error code, `"ok"` where accepting is the correct
//! behaviour (then `why` says why), or for sequences and batches the outcomes
//! joined by commas. `expect_native` overrides it natively where the platforms
//! differ by design, and says why in `why`.

#![allow(dead_code)]

use edge_personalize::ids::fnv1a64;
use edge_personalize::json::{self, Map, Value};

pub const CASES_JSON: &str = include_str!("cases.json");

/// Markers a wasm runner turns into values JSON text cannot carry. They start
/// with U+0001, which no case uses in its own strings.
pub const NAN_MARK: &str = "\u{1}$NaN";
pub const INF_MARK: &str = "\u{1}$Infinity";
pub const NEG_INF_MARK: &str = "\u{1}$-Infinity";
pub const LONE_SURROGATE_MARK: &str = "\u{1}$LS:";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Native,
    Wasm,
}

/// What the runner needs from its own engine to build byte inputs.
pub struct Sources<'a> {
    /// The good state's snapshot, taken by the runner.
    pub snapshot: &'a [u8],
    /// The fixture model artifact.
    pub model: &'a [u8],
    /// The runner's clock (fixed natively, `Date.now()` in wasm).
    pub now_ms: f64,
}

/// One concrete input of a case.
#[derive(Clone, Debug)]
pub enum Input {
    /// A value; in wasm, JSON text with markers that the runner revives into
    /// NaN / Infinity / lone surrogates (see [`Case::js_text`]).
    Value(Value),
    /// JSON text, handed to the API as text (natively: parsed by the core's parser).
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub class: String,
    pub target: String,
    pub inputs: Vec<Input>,
    /// The expected outcome of every input (a sweep shares one).
    pub expect: String,
}

fn field<'a>(o: &'a Map, key: &str, name: &str) -> Result<&'a Value, String> {
    o.get(key).ok_or_else(|| format!("case {name}: missing \"{key}\""))
}

fn num(v: &Value, what: &str) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("{what}: expected a number"))
}

/// Parses the corpus and expands every case for `platform`.
pub fn load(platform: Platform, sources: &Sources) -> Result<Vec<Case>, String> {
    let doc = json::parse(CASES_JSON).map_err(|e| format!("cases.json: {e}"))?;
    let list = doc.get("cases").and_then(Value::as_array).ok_or("cases.json: no \"cases\" array")?;
    let mut out = Vec::with_capacity(list.len());
    let mut names: Vec<&str> = Vec::new();
    for c in list {
        let o = c.as_object().ok_or("cases.json: a case is not an object")?;
        let name = field(o, "name", "?")?.as_str().ok_or("a case name is not a string")?;
        if names.contains(&name) {
            return Err(format!("duplicate case name {name}"));
        }
        names.push(name);
        let class = field(o, "class", name)?.as_str().ok_or("class")?.to_string();
        let target = field(o, "target", name)?.as_str().ok_or("target")?.to_string();
        let expect_key = match (platform, o.get("expect_native")) {
            (Platform::Native, Some(_)) => "expect_native",
            _ => "expect",
        };
        let expect = field(o, expect_key, name)?.as_str().ok_or("expect")?.to_string();
        if (expect.contains("ok") || o.get("expect_native").is_some()) && o.get("why").is_none() {
            return Err(format!("case {name}: an accepting or platform-specific expectation needs \"why\""));
        }
        let inputs = if let Some(t) = o.get("input") {
            vec![Input::Value(expand(t, platform, sources.now_ms).map_err(|e| format!("case {name}: {e}"))?)]
        } else if let Some(t) = o.get("text") {
            // A template that expands to a string is the text itself.
            let text = match expand(t, platform, sources.now_ms).map_err(|e| format!("case {name}: {e}"))? {
                Value::String(s) => s,
                other => json::to_json_string(&other),
            };
            vec![Input::Text(text)]
        } else if let Some(b) = o.get("bytes") {
            bytes_inputs(b, sources).map_err(|e| format!("case {name}: {e}"))?
        } else {
            return Err(format!("case {name}: no input, text or bytes"));
        };
        out.push(Case { name: name.to_string(), class, target, inputs, expect });
    }
    Ok(out)
}

/// Expands the generators of a template (see the module doc).
pub fn expand(t: &Value, platform: Platform, now_ms: f64) -> Result<Value, String> {
    match t {
        Value::Array(items) => Ok(Value::Array(items.iter().map(|i| expand(i, platform, now_ms)).collect::<Result<_, _>>()?)),
        Value::Object(o) => {
            let first = o.keys().next().unwrap_or("");
            if !first.starts_with('$') {
                let mut m = Map::with_capacity(o.len());
                for (k, v) in o.iter() {
                    m.push_unique(k, expand(v, platform, now_ms)?);
                }
                return Ok(Value::Object(m));
            }
            let times = || o.get("times").and_then(Value::as_f64).map(|n| n as usize).ok_or("\"times\" missing");
            match first {
                "$repeat" => {
                    let s = o.get("$repeat").and_then(Value::as_str).ok_or("$repeat wants a string")?;
                    Ok(Value::String(s.repeat(times()?)))
                }
                "$array" => {
                    let v = expand(o.get("$array").ok_or("$array")?, platform, now_ms)?;
                    Ok(Value::Array(vec![v; times()?]))
                }
                "$range" => {
                    let n = num(o.get("$range").ok_or("$range")?, "$range")? as usize;
                    Ok(Value::Array((0..n).map(|i| Value::Number(i as f64)).collect()))
                }
                "$nest" => {
                    let spec = o.get("$nest").ok_or("$nest")?;
                    let depth = num(spec.get("depth").ok_or("$nest.depth")?, "$nest.depth")? as usize;
                    let wrap = spec.get("wrap").ok_or("$nest.wrap")?;
                    let mut v = expand(spec.get("leaf").ok_or("$nest.leaf")?, platform, now_ms)?;
                    for _ in 0..depth {
                        v = fill_hole(wrap, &v);
                    }
                    Ok(v)
                }
                "$number" => {
                    let which = o.get("$number").and_then(Value::as_str).ok_or("$number")?;
                    let (n, mark) = match which {
                        "NaN" => (f64::NAN, NAN_MARK),
                        "Infinity" => (f64::INFINITY, INF_MARK),
                        "-Infinity" => (f64::NEG_INFINITY, NEG_INF_MARK),
                        other => return Err(format!("$number {other}")),
                    };
                    Ok(match platform {
                        Platform::Native => Value::Number(n),
                        Platform::Wasm => Value::String(mark.to_string()),
                    })
                }
                "$lone_surrogate" => {
                    let prefix = o.get("$lone_surrogate").and_then(Value::as_str).ok_or("$lone_surrogate")?;
                    Ok(Value::String(match platform {
                        Platform::Native => format!("{prefix}\u{FFFD}"),
                        Platform::Wasm => format!("{LONE_SURROGATE_MARK}{prefix}"),
                    }))
                }
                "$concat" => {
                    let mut out = String::new();
                    for part in o.get("$concat").and_then(Value::as_array).ok_or("$concat wants a list")? {
                        match expand(part, platform, now_ms)? {
                            Value::String(s) => out.push_str(&s),
                            other => out.push_str(&json::to_json_string(&other)),
                        }
                    }
                    Ok(Value::String(out))
                }
                "$now_plus_ms" => Ok(Value::Number(now_ms + num(o.get("$now_plus_ms").ok_or("$now_plus_ms")?, "$now_plus_ms")?)),
                other => Err(format!("unknown generator {other}")),
            }
        }
        other => Ok(other.clone()),
    }
}

fn fill_hole(wrap: &Value, inner: &Value) -> Value {
    match wrap {
        Value::String(s) if s == "$hole" => inner.clone(),
        Value::Array(items) => Value::Array(items.iter().map(|i| fill_hole(i, inner)).collect()),
        Value::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                m.push_unique(k, fill_hole(v, inner));
            }
            Value::Object(m)
        }
        other => other.clone(),
    }
}

/// Whether a value holds a non-finite number (natively it cannot go through
/// JSON text, so the runner hands it over as is).
pub fn has_non_finite(v: &Value) -> bool {
    match v {
        Value::Number(n) => !n.is_finite(),
        Value::Array(a) => a.iter().any(has_non_finite),
        Value::Object(o) => o.iter().any(|(_, v)| has_non_finite(v)),
        _ => false,
    }
}

fn index(len: usize, i: f64) -> usize {
    if i < 0.0 {
        len.saturating_sub((-i) as usize)
    } else {
        (i as usize).min(len)
    }
}

fn bytes_inputs(spec: &Value, sources: &Sources) -> Result<Vec<Input>, String> {
    let base: Vec<u8> = match spec.get("source").and_then(Value::as_str) {
        Some("snapshot") => sources.snapshot.to_vec(),
        Some("model") => sources.model.to_vec(),
        Some("ascii") => spec.get("ascii").and_then(Value::as_str).ok_or("ascii")?.as_bytes().to_vec(),
        Some("fill") => {
            let byte = spec.get("byte").and_then(Value::as_f64).unwrap_or(0.0) as u8;
            let len = spec.get("len").and_then(Value::as_f64).ok_or("fill.len")? as usize;
            vec![byte; len]
        }
        other => return Err(format!("unknown byte source {other:?}")),
    };
    let mut b = base;
    if let Some(list) = spec.get("transforms").and_then(Value::as_array) {
        for t in list {
            b = transform(b, t)?;
        }
    }
    let Some(sweep) = spec.get("sweep") else { return Ok(vec![Input::Bytes(b)]) };
    let kind = sweep.get("kind").and_then(Value::as_str).ok_or("sweep.kind")?;
    let from = index(b.len(), sweep.get("from").and_then(Value::as_f64).unwrap_or(0.0));
    let to = index(b.len(), sweep.get("to").and_then(Value::as_f64).unwrap_or(b.len() as f64));
    let step = sweep.get("step").and_then(Value::as_f64).unwrap_or(1.0).max(1.0) as usize;
    let mut out = Vec::new();
    match kind {
        // Every cut point in [from, to): the input is the first `cut` bytes.
        "truncate" => {
            for cut in (from..to).step_by(step) {
                out.push(Input::Bytes(b.get(..cut).unwrap_or(&[]).to_vec()));
            }
        }
        // Bit positions from bit 8*from to 8*to, every `step` bits.
        "flip_bit" => {
            for bit in (from * 8..to * 8).step_by(step) {
                let mut c = b.clone();
                if let Some(x) = c.get_mut(bit / 8) {
                    *x ^= 1 << (bit % 8);
                }
                out.push(Input::Bytes(c));
            }
        }
        other => return Err(format!("unknown sweep {other}")),
    }
    if let Some(after) = sweep.get("after").and_then(Value::as_array) {
        for input in out.iter_mut() {
            if let Input::Bytes(b) = input {
                for t in after {
                    *b = transform(std::mem::take(b), t)?;
                }
            }
        }
    }
    if out.is_empty() {
        return Err("empty sweep".into());
    }
    Ok(out)
}

fn transform(mut b: Vec<u8>, t: &Value) -> Result<Vec<u8>, String> {
    let o = t.as_object().ok_or("a transform is an object")?;
    let (k, v) = o.iter().next().ok_or("empty transform")?;
    match k {
        "truncate" => {
            let n = index(b.len(), num(v, "truncate")?);
            b.truncate(n);
        }
        "flip_bit" => {
            let bit = num(v, "flip_bit")? as usize;
            let x = b.get_mut(bit / 8).ok_or("flip_bit past the end")?;
            *x ^= 1 << (bit % 8);
        }
        "set_byte" => {
            let pair = v.as_array().ok_or("set_byte [index, value]")?;
            let i = index(b.len(), num(pair.first().ok_or("set_byte index")?, "index")?);
            let val = num(pair.get(1).ok_or("set_byte value")?, "value")? as u8;
            *b.get_mut(i).ok_or("set_byte past the end")? = val;
        }
        "add_to_byte" => {
            let pair = v.as_array().ok_or("add_to_byte [index, delta]")?;
            let i = index(b.len(), num(pair.first().ok_or("add_to_byte index")?, "index")?);
            let delta = num(pair.get(1).ok_or("add_to_byte delta")?, "delta")? as i64;
            let x = b.get_mut(i).ok_or("add_to_byte past the end")?;
            *x = (i64::from(*x) + delta).rem_euclid(256) as u8;
        }
        "append" => {
            for x in v.as_array().ok_or("append [bytes]")? {
                b.push(num(x, "append")? as u8);
            }
        }
        // Replaces the first occurrence of an ASCII string by raw bytes (for
        // invalid UTF-8 inside a length-prefixed string).
        "replace" => {
            let find = v.get("find").and_then(Value::as_str).ok_or("replace.find")?.as_bytes();
            let with: Vec<u8> = v
                .get("with_bytes")
                .and_then(Value::as_array)
                .ok_or("replace.with_bytes")?
                .iter()
                .map(|x| x.as_f64().unwrap_or(0.0) as u8)
                .collect();
            let at = b.windows(find.len()).position(|w| w == find).ok_or("replace: not found")?;
            b.splice(at..at + find.len(), with);
        }
        // Recomputes the snapshot's trailing FNV-1a checksum, so the damage
        // reaches the decoder behind it instead of stopping at the checksum.
        "fix_snapshot_checksum" => {
            let body = b.len().checked_sub(8).ok_or("too short for a checksum")?;
            let sum = fnv1a64(b.get(..body).unwrap_or(&[]));
            b.truncate(body);
            b.extend_from_slice(&sum.to_le_bytes());
        }
        other => return Err(format!("unknown transform {other}")),
    }
    Ok(b)
}

/// Counts of cases, concrete inputs and distinct classes.
pub fn counts(cases: &[Case]) -> (usize, usize, usize) {
    let mut classes: Vec<&str> = cases.iter().map(|c| c.class.as_str()).collect();
    classes.sort_unstable();
    classes.dedup();
    (cases.len(), cases.iter().map(|c| c.inputs.len()).sum(), classes.len())
}

/// The classes issue 8 asks for; every case belongs to one of them and each
/// has at least one case.
pub const REQUIRED_CLASSES: [&str; 10] = [
    "deep_json",
    "huge",
    "non_finite",
    "timestamps",
    "duplicate_ids",
    "unicode",
    "prototype_keys",
    "runaway_rules",
    "corrupt_bytes",
    "wrong_version",
];

pub fn check_coverage(cases: &[Case]) -> Result<(), String> {
    if let Some(c) = cases.iter().find(|c| !REQUIRED_CLASSES.contains(&c.class.as_str())) {
        return Err(format!("case {} has an unknown class {}", c.name, c.class));
    }
    match REQUIRED_CLASSES.iter().find(|class| !cases.iter().any(|c| c.class == **class)) {
        Some(missing) => Err(format!("no case for class {missing}")),
        None => Ok(()),
    }
}
