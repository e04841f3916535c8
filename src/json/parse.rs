//! A strict RFC 8259 JSON parser with bounded cost.
//!
//! ```
//! use edge_personalize::json::{parse, Value};
//! let v = parse(r#"{"price": 59.9, "tags": ["a", "b"]}"#).unwrap();
//! assert_eq!(v.get("price"), Some(&Value::Number(59.9)));
//! ```
//!
//! Limits: texts over [`MAX_JSON_BYTES`] fail with `TooLarge` before any work;
//! nesting deeper than [`MAX_JSON_DEPTH`] arrays/objects fails with `TooDeep`
//! (so recursion is bounded). Everything else that is not JSON fails with
//! `InvalidJson` and a message `line L, column C: expected ..., found ...`
//! (columns count characters, both start at 1).
//!
//! Choices where the RFC leaves room:
//! - Numbers are f64 (as in JavaScript). A number that overflows to infinity
//!   (`1e400`) is rejected; one that underflows becomes 0, as in `JSON.parse`.
//! - A lone UTF-16 surrogate in a `\uXXXX` escape (`"\uD800"`) becomes U+FFFD,
//!   the replacement character: Rust strings cannot hold it, and this is what
//!   a browser's `TextEncoder` does with the same JS string.
//! - Duplicate keys: the last value wins, kept at the first key's position
//!   (what `JSON.parse` does).
//! - A leading UTF-8 byte order mark is not JSON and is rejected.

use super::{Map, Value};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::{MAX_JSON_BYTES, MAX_JSON_DEPTH};

/// Parses one JSON text (surrounding whitespace allowed) into a [`Value`].
pub fn parse(text: &str) -> Result<Value> {
    if text.len() > MAX_JSON_BYTES {
        return Err(Error::new(
            ErrorCode::TooLarge,
            "",
            format!("JSON text is {} bytes; the limit is {MAX_JSON_BYTES}", text.len()),
        ));
    }
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0, scratch: String::new() };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.expected("end of input"));
    }
    Ok(v)
}

/// Objects up to this many members are de-duplicated by linear scan; larger
/// ones by sorting key positions, so a hostile object with a million keys
/// stays O(n log n) whatever its keys (a hash map would be open to keys
/// chosen to collide, and would link a second hasher into the wasm build).
const LINEAR_DEDUP_MAX: usize = 16;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Reused buffer for strings that contain escapes.
    scratch: String,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Moves past `n` bytes. Positions stay within the input (at most
    /// MAX_JSON_BYTES) plus a few bytes, so this cannot wrap; `wrapping_add`
    /// says so without the bytes a saturating add costs in this hot path.
    fn advance(&mut self, n: usize) {
        self.pos = self.pos.wrapping_add(n);
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.advance(1);
        }
    }

    /// An `InvalidJson` error at the current position.
    fn expected(&self, what: &str) -> Error {
        self.expected_at(self.pos, what)
    }

    fn expected_at(&self, pos: usize, what: &str) -> Error {
        let pos = pos.min(self.bytes.len());
        let before = self.bytes.get(..pos).unwrap_or(&[]);
        let line = before.iter().filter(|&&b| b == b'\n').count().saturating_add(1);
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i.saturating_add(1));
        // Count characters, not bytes; `pos` may sit inside a multi-byte
        // character only in theory (we stop on ASCII), so use lossy counting.
        let column = String::from_utf8_lossy(self.bytes.get(line_start..pos).unwrap_or(&[])).chars().count().saturating_add(1);
        let found = match self.text.get(pos..).and_then(|rest| rest.chars().next()) {
            None => "end of input".to_string(),
            // Code point, not `{:?}`: Debug formatting of chars costs KBs of wasm.
            Some(c) if c.is_control() => format!("U+{:04X}", c as u32),
            Some(c) => format!("'{c}'"),
        };
        Error::new(
            ErrorCode::InvalidJson,
            "",
            format!("line {line}, column {column}: expected {what}, found {found}"),
        )
    }

    fn value(&mut self, depth: usize) -> Result<Value> {
        match self.peek() {
            Some(b'{') => self.object(depth.saturating_add(1)),
            Some(b'[') => self.array(depth.saturating_add(1)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.expected("a value")),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value> {
        if self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(word.as_bytes())) {
            self.advance(word.len());
            Ok(v)
        } else {
            Err(self.expected(&format!("a value (`{word}`?)")))
        }
    }

    fn too_deep(&self) -> Error {
        let mut e = self.expected(""); // for the line/column
        e.code = ErrorCode::TooDeep;
        let at = e.message.split(": expected").next().unwrap_or("").to_string();
        e.message = format!("{at}: nesting deeper than {MAX_JSON_DEPTH} levels");
        e
    }

    fn array(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.too_deep());
        }
        self.advance(1); // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.advance(1);
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.advance(1),
                Some(b']') => {
                    self.advance(1);
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.expected("',' or ']' in an array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_JSON_DEPTH {
            return Err(self.too_deep());
        }
        self.advance(1); // '{'
        let mut entries: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.advance(1);
            return Ok(Value::Object(Map { entries }));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.expected("a string key in an object"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.expected("':' after an object key"));
            }
            self.advance(1);
            self.skip_ws();
            let v = self.value(depth)?;
            entries.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.advance(1),
                Some(b'}') => {
                    self.advance(1);
                    return Ok(Value::Object(Map { entries: dedup(entries) }));
                }
                _ => return Err(self.expected("',' or '}' in an object")),
            }
        }
    }

    /// Parses a string starting at the opening quote. Strings without escapes
    /// are copied once from the input; escapes go through the scratch buffer.
    fn string(&mut self) -> Result<String> {
        self.advance(1); // '"'
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = self.slice(start, self.pos);
                    self.advance(1);
                    return Ok(s.to_string());
                }
                Some(b'\\') => break,
                Some(b) if b < 0x20 => return Err(self.expected("'\"' (control characters must be escaped)")),
                Some(_) => self.advance(1),
                None => return Err(self.expected("'\"' to close a string")),
            }
        }
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        buf.push_str(self.slice(start, self.pos));
        let r = self.string_slow(&mut buf);
        let out = r.map(|()| buf.as_str().to_string());
        self.scratch = buf;
        out
    }

    fn string_slow(&mut self, buf: &mut String) -> Result<()> {
        let mut run = self.pos;
        loop {
            match self.peek() {
                Some(b'"') => {
                    buf.push_str(self.slice(run, self.pos));
                    self.advance(1);
                    return Ok(());
                }
                Some(b'\\') => {
                    buf.push_str(self.slice(run, self.pos));
                    self.advance(1);
                    self.escape(buf)?;
                    run = self.pos;
                }
                Some(b) if b < 0x20 => return Err(self.expected("'\"' (control characters must be escaped)")),
                Some(_) => self.advance(1),
                None => return Err(self.expected("'\"' to close a string")),
            }
        }
    }

    /// A slice of the input between two ASCII positions (always char boundaries).
    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or("")
    }

    /// Decodes one escape; `pos` is just after the backslash.
    fn escape(&mut self, buf: &mut String) -> Result<()> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.advance(1);
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate: combine with a following low one.
                    if self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(b"\\u")) {
                        let save = self.pos;
                        self.advance(2);
                        let lo = self.hex4()?;
                        if (0xDC00..0xE000).contains(&lo) {
                            // Both are in range: the offsets are their low 10 bits.
                            let cp = (((hi & 0x3FF) << 10) | (lo & 0x3FF)).saturating_add(0x10000);
                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                        } else {
                            // Lone high surrogate; re-read the next escape on its own.
                            self.pos = save;
                            '\u{FFFD}'
                        }
                    } else {
                        '\u{FFFD}'
                    }
                } else {
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                };
                buf.push(c);
                return Ok(());
            }
            _ => return Err(self.expected("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")),
        };
        self.advance(1);
        buf.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut n = 0u32;
        for _ in 0..4 {
            let Some(d) = self.peek().and_then(|b| char::from(b).to_digit(16)) else {
                return Err(self.expected("4 hex digits after \\u"));
            };
            n = (n << 4) | d;
            self.advance(1);
        }
        Ok(n)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.advance(1);
        }
        self.pos.saturating_sub(start)
    }

    fn number(&mut self) -> Result<Value> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.advance(1);
        }
        match self.peek() {
            Some(b'0') => {
                self.advance(1);
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.expected("'.', 'e' or the end of the number (no leading zeros)"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.expected("a digit")),
        }
        let int_end = self.pos;
        let mut simple = true;
        if self.peek() == Some(b'.') {
            simple = false;
            self.advance(1);
            if self.digits() == 0 {
                return Err(self.expected("a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            simple = false;
            self.advance(1);
            if let Some(b'+' | b'-') = self.peek() {
                self.advance(1);
            }
            if self.digits() == 0 {
                return Err(self.expected("a digit in the exponent"));
            }
        }
        let s = self.slice(start, self.pos);
        // Fast path: short integers are exact in f64.
        if simple && int_end.saturating_sub(start) <= 16 {
            let (neg, digits) = match s.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, s),
            };
            if digits.len() <= 15 {
                // At most 15 ASCII digits: below 10^15, so this cannot overflow.
                let n = digits.bytes().fold(0u64, |acc, b| acc.wrapping_mul(10).wrapping_add(u64::from(b.wrapping_sub(b'0')))) as f64;
                return Ok(Value::Number(if neg { -n } else { n }));
            }
        }
        match super::num::parse_decimal(s) {
            Some(n) if n.is_finite() => Ok(Value::Number(n)),
            _ => Err(self.expected_at(start, "a number within the f64 range")),
        }
    }
}

/// Removes duplicate keys: the last value wins, at the first key's position.
fn dedup(entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    if entries.len() <= 1 {
        return entries;
    }
    if entries.len() <= LINEAR_DEDUP_MAX {
        let has_dup = entries.iter().enumerate().any(|(i, (k, _))| entries.iter().take(i).any(|(p, _)| p == k));
        if !has_dup {
            return entries;
        }
        let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.iter_mut().find(|(ok, _)| *ok == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k, v)),
            }
        }
        return out;
    }
    // For each entry, the index of its key's first occurrence: positions
    // sorted by key (stably, so equal keys stay in input order) put each
    // key's first occurrence at the head of its run.
    let first_of: Vec<usize> = {
        let key = |i: u32| entries.get(i as usize).map_or("", |(k, _)| k.as_str());
        let mut by_key: Vec<u32> = (0..entries.len() as u32).collect();
        crate::order::sort_by(&mut by_key, &|&a, &b| key(a).cmp(key(b)));
        let mut first_of: Vec<usize> = vec![0; entries.len()];
        let (mut run_head, mut prev) = (0u32, None);
        for &i in &by_key {
            if prev.is_none_or(|p| key(p) != key(i)) {
                run_head = i;
            }
            prev = Some(i);
            if let Some(f) = first_of.get_mut(i as usize) {
                *f = run_head as usize;
            }
        }
        first_of
    };
    if first_of.iter().enumerate().all(|(i, &f)| i == f) {
        return entries;
    }
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    let mut out_pos = vec![0usize; entries.len()];
    for (i, (k, v)) in entries.into_iter().enumerate() {
        let f = first_of.get(i).copied().unwrap_or(i);
        if f == i {
            if let Some(p) = out_pos.get_mut(i) {
                *p = out.len();
            }
            out.push((k, v));
        } else if let Some(slot) = out_pos.get(f).and_then(|&p| out.get_mut(p)) {
            slot.1 = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Value {
        match parse(s) {
            Ok(v) => v,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }
    fn err(s: &str) -> Error {
        match parse(s) {
            Ok(v) => panic!("{s:?} parsed as {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(ok("null"), Value::Null);
        assert_eq!(ok(" true "), Value::Bool(true));
        assert_eq!(ok("false"), Value::Bool(false));
        assert_eq!(ok("0"), Value::Number(0.0));
        assert_eq!(ok("-0"), Value::Number(-0.0));
        assert_eq!(ok("42"), Value::Number(42.0));
        assert_eq!(ok("-3.25e2"), Value::Number(-325.0));
        assert_eq!(ok("1E+2"), Value::Number(100.0));
        assert_eq!(ok("9007199254740993"), Value::Number(9007199254740992.0));
        assert_eq!(ok("123456789012345"), Value::Number(123456789012345.0));
        assert_eq!(ok("0.1"), Value::Number(0.1));
        assert_eq!(ok("1e-400"), Value::Number(0.0));
        assert_eq!(ok("\"a\""), Value::from("a"));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(ok(r#""a\"b\\c\/d\b\f\n\r\t""#), Value::from("a\"b\\c/d\u{8}\u{c}\n\r\t"));
        assert_eq!(ok(r#""\u00e9\u20AC""#), Value::from("é€"));
        assert_eq!(ok(r#""\uD83D\uDE00!""#), Value::from("😀!"));
        // The ends of the surrogate range, and hex digits in both cases.
        assert_eq!(ok(r#""\uD800\uDC00\uDBFF\uDFFF""#), Value::from("\u{10000}\u{10FFFF}"));
        assert_eq!(ok(r#""\u00e9\u00C9\u0041""#), Value::from("éÉA"));
        assert_eq!(ok(r#""x\uD800y""#), Value::from("x\u{FFFD}y"));
        assert_eq!(ok(r#""\uDC00""#), Value::from("\u{FFFD}"));
        assert_eq!(ok(r#""\uD800\u0041""#), Value::from("\u{FFFD}A"));
        assert_eq!(ok(r#""\uD800\uD83D\uDE00""#), Value::from("\u{FFFD}😀"));
        assert_eq!(ok("\"héllo ☃ 😀\""), Value::from("héllo ☃ 😀"));
        assert_eq!(err("\"a\nb\"").code, ErrorCode::InvalidJson);
        assert_eq!(err(r#""\x""#).code, ErrorCode::InvalidJson);
        assert_eq!(err(r#""\u12G4""#).code, ErrorCode::InvalidJson);
        assert_eq!(err("\"abc").code, ErrorCode::InvalidJson);
    }

    #[test]
    fn containers_and_duplicates() {
        let v = ok(r#" { "a" : [1, {"b": null}, []], "c": {} } "#);
        assert_eq!(v.get("a").and_then(Value::as_array).map(<[Value]>::len), Some(3));
        assert_eq!(v.get("c"), Some(&Value::Object(Map::new())));
        let v = ok(r#"{"a":1,"b":2,"a":3}"#);
        let m = v.as_object().cloned().unwrap_or_default();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(m.get("a"), Some(&Value::Number(3.0)));
        // Large object: the sorted-positions path.
        let mut text = String::from("{");
        for i in 0..100 {
            text.push_str(&format!("\"k{}\":{},", i % 40, i));
        }
        text.push_str("\"z\":0}");
        let v = ok(&text);
        let m = v.as_object().cloned().unwrap_or_default();
        assert_eq!(m.len(), 41);
        assert_eq!(m.keys().next(), Some("k0"));
        assert_eq!(m.get("k0"), Some(&Value::Number(80.0)));
        assert_eq!(m.get("k39"), Some(&Value::Number(79.0)));
        assert_eq!(m.keys().last(), Some("z"));
    }

    /// The large-object path (positions sorted by key) keeps exactly what the
    /// linear path keeps: each key once, at its first position, with its last value.
    #[test]
    fn large_object_dedup_matches_the_linear_rule() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..300 {
            let n = LINEAR_DEDUP_MAX + 1 + rng.usize(..200);
            let distinct = 1 + rng.usize(..n);
            let entries: Vec<(String, Value)> =
                (0..n).map(|i| (format!("k{}", rng.usize(..distinct)), Value::Number(i as f64))).collect();
            let mut want: Vec<(String, Value)> = Vec::new();
            for (k, v) in entries.clone() {
                match want.iter_mut().find(|(wk, _)| *wk == k) {
                    Some(slot) => slot.1 = v,
                    None => want.push((k, v)),
                }
            }
            assert_eq!(dedup(entries), want, "round {round}");
        }
    }

    #[test]
    fn rejects_non_json() {
        for bad in [
            "", " ", "nul", "tru", "[1,]", "[1 2]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "01", "1.", ".5", "-",
            "+1", "1e", "1e+", "NaN", "Infinity", "-Infinity", "'a'", "[1]x", "\u{feff}1", "1e400", "-1e400",
            "[", "{", "{\"a\":", "\"\\u00\"",
        ] {
            let e = err(bad);
            assert_eq!(e.code, ErrorCode::InvalidJson, "{bad:?}: {e}");
        }
    }

    #[test]
    fn error_messages_locate_the_problem() {
        let e = err("{\n  \"a\": [1, 2,, 3]\n}");
        assert_eq!(e.message, "line 2, column 14: expected a value, found ','");
        let e = err("[1, 2");
        assert_eq!(e.message, "line 1, column 6: expected ',' or ']' in an array, found end of input");
        let e = err("{\"é\": x}");
        assert_eq!(e.message, "line 1, column 7: expected a value, found 'x'");
        let e = err("1e999");
        assert_eq!(e.message, "line 1, column 1: expected a number within the f64 range, found '1'");
    }

    #[test]
    fn depth_and_size_limits() {
        let ok_depth = "[".repeat(MAX_JSON_DEPTH) + &"]".repeat(MAX_JSON_DEPTH);
        assert!(parse(&ok_depth).is_ok());
        let deep = "[".repeat(MAX_JSON_DEPTH + 1) + &"]".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(err(&deep).code, ErrorCode::TooDeep);
        let deep_obj = "{\"a\":".repeat(MAX_JSON_DEPTH + 1) + "1" + &"}".repeat(MAX_JSON_DEPTH + 1);
        assert_eq!(err(&deep_obj).code, ErrorCode::TooDeep);
        // Far deeper than the stack could take, without running out of it.
        let hostile = "[".repeat(1_000_000);
        assert_eq!(err(&hostile).code, ErrorCode::TooDeep);
        let big = " ".repeat(MAX_JSON_BYTES) + "1";
        assert_eq!(err(&big).code, ErrorCode::TooLarge);
    }
}
