//! Compact JSON output, byte-for-byte what JavaScript's `JSON.stringify` gives.
//!
//! ```
//! use edge_personalize::json::{parse, to_json_string};
//! let v = parse(r#"{ "a": [1.0, 2.5, 1e21, "é\n"] }"#).unwrap();
//! assert_eq!(to_json_string(&v), r#"{"a":[1,2.5,1e+21,"é\n"]}"#);
//! ```
//!
//! Numbers follow ECMAScript `Number::toString`: the shortest digits that
//! round-trip, integers without `.0`, plain notation for 1e-7 < |n| < 1e21 and
//! exponent notation (`1e+21`, `1e-7`) outside it; `-0` prints `0`; NaN and
//! infinities print `null`. Strings escape `"`, `\` and control characters
//! (`\b \f \n \r \t`, others as `\u00XX`), nothing else.

use std::fmt::Write as _;

use super::Value;

/// Appends the compact JSON text of `v` to `out`.
///
/// Recursion depth follows the value's nesting; values from [`super::parse`]
/// and the serde bridge are at most `MAX_JSON_DEPTH` deep.
pub fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(*n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// The compact JSON text of `v`.
pub fn to_json_string(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

/// A number as JavaScript's `String(n)` gives it (NaN/infinity: `null`), for messages.
pub fn number_text(n: f64) -> String {
    let mut out = String::new();
    write_number(n, &mut out);
    out
}

/// Appends a number as JavaScript's `String(n)` would (NaN/infinity: `null`).
pub(crate) fn write_number(n: f64, out: &mut String) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n == 0.0 {
        out.push('0'); // also -0
        return;
    }
    // Integers below 2^53 are the common case: print them directly.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        let _ = write!(out, "{}", n as i64);
        return;
    }
    super::num::write_shortest(n, out);
}

/// Appends `s` as a quoted JSON string.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len().saturating_add(2));
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or(""));
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        run = i.saturating_add(1);
    }
    out.push_str(s.get(run..).unwrap_or(""));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Map};

    fn num(n: f64) -> String {
        to_json_string(&Value::Number(n))
    }

    #[test]
    fn numbers_like_javascript() {
        // Expected strings are what node prints for String(n).
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (3.0, "3"),
            (-3.0, "-3"),
            (2.5, "2.5"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (9007199254740991.0, "9007199254740991"),
            (9007199254740992.0, "9007199254740992"),
            (-9007199254740993.0, "-9007199254740992"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e-6, "0.000001"),
            (1.5e-6, "0.0000015"),
            (1e-7, "1e-7"),
            (-1.25e-7, "-1.25e-7"),
            (5e-324, "5e-324"),
            (59.9, "59.9"),
            (1234.5678, "1234.5678"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (f64::NEG_INFINITY, "null"),
        ];
        for &(n, want) in cases {
            assert_eq!(num(n), want, "{n:e}");
        }
    }

    #[test]
    fn strings_escape_like_javascript() {
        let s = Value::from("a\"b\\c/d\u{8}\u{c}\n\r\t\u{1}\u{1f}é😀\u{2028}");
        assert_eq!(to_json_string(&s), "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001fé😀\u{2028}\"");
        assert_eq!(to_json_string(&Value::from("")), "\"\"");
    }

    #[test]
    fn containers_compact_in_order() {
        let mut m = Map::new();
        m.insert("z", Value::Array(vec![Value::Null, Value::Bool(true), Value::Bool(false)]));
        m.insert("a", Value::Object(Map::new()));
        m.insert("n", Value::Array(vec![]));
        assert_eq!(to_json_string(&Value::Object(m)), r#"{"z":[null,true,false],"a":{},"n":[]}"#);
    }

    #[test]
    fn round_trips_through_the_parser() {
        let text = r#"{"a":[1,-2.5,1e+21,1e-7,"x\"y\u0000"],"b":{"c":null,"d":true},"e":"😀"}"#;
        let v = parse(text).unwrap_or_default();
        assert_eq!(to_json_string(&v), text);
        for n in [0.1, 1e-300, 123.456e200, 7.0e-10, 2f64.powi(60), -1.0 / 7.0] {
            let back = parse(&num(n)).ok().and_then(|v| v.as_f64());
            assert_eq!(back, Some(n));
        }
    }
}
