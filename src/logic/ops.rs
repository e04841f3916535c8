//! JavaScript's value semantics, as json-logic-js inherits them.
//!
//! JsonLogic is defined by its JavaScript reference implementation, so these
//! helpers reproduce the ECMAScript rules it relies on: truthiness (with
//! JsonLogic's one change: `[]` is falsy), `ToNumber`, `parseFloat`,
//! `ToString`, loose (`==`) and strict (`===`) equality, the relational
//! operators and `String.prototype.substr`.
//!
//! Where JavaScript compares arrays and objects by reference, we compare by
//! address: a value read twice from the same place in the data is "the same
//! object"; two values built separately never are (as in JS).
//!
//! Every walk over nested values is bounded by [`MAX_VALUE_DEPTH`] levels:
//! deeper parts are treated as empty, so no input can exhaust the stack.

use std::cmp::Ordering;

use crate::json::{write_json, Value};

/// How deep helpers walk into nested arrays when converting to strings.
pub(crate) const MAX_VALUE_DEPTH: usize = crate::limits::MAX_JSON_DEPTH;

/// JsonLogic truthiness: `false`, `null`, `0`, `NaN`, `""` and `[]` are falsy;
/// everything else (including `"0"` and `{}`) is truthy.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(_) => true,
    }
}

/// JavaScript's StrWhiteSpaceChar (what `Number(" 1 ")` and `parseFloat` skip).
fn is_js_space(c: char) -> bool {
    c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}')
}

/// ECMAScript `ToNumber`.
pub(crate) fn to_number(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => *n,
        Value::String(s) => str_to_number(s),
        Value::Array(_) => str_to_number(&to_js_string(v)),
        Value::Object(_) => f64::NAN,
    }
}

/// `ToNumber` applied to a string: the whole (trimmed) text must be a number.
pub(crate) fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    let radix = match t.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        let digits = t.get(2..).unwrap_or("");
        if digits.is_empty() {
            return f64::NAN;
        }
        let mut n = 0.0f64;
        for c in digits.chars() {
            match c.to_digit(radix) {
                Some(d) => n = n * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        return n;
    }
    match decimal_prefix(t) {
        Some((n, len)) if len == t.len() => n,
        _ => f64::NAN,
    }
}

/// The longest prefix of `s` that is a JS StrDecimalLiteral (`[+-]` then
/// `Infinity` or digits with optional fraction and exponent): its value and
/// byte length. `None` when no prefix is a number.
fn decimal_prefix(s: &str) -> Option<(f64, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    if s.get(i..).is_some_and(|r| r.starts_with("Infinity")) {
        let n = if neg { f64::NEG_INFINITY } else { f64::INFINITY };
        return Some((n, i.saturating_add("Infinity".len())));
    }
    let count = |from: usize| b.iter().skip(from).take_while(|c| c.is_ascii_digit()).count();
    let int_digits = count(i);
    // Positions within `s`: saturating never changes them.
    let mut end = i.saturating_add(int_digits);
    let mut frac_digits = 0;
    if b.get(end) == Some(&b'.') {
        frac_digits = count(end.saturating_add(1));
        if int_digits > 0 || frac_digits > 0 {
            end = end.saturating_add(1).saturating_add(frac_digits);
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if let Some(b'e' | b'E') = b.get(end) {
        let mut j = end.saturating_add(1);
        if let Some(b'+' | b'-') = b.get(j) {
            j = j.saturating_add(1);
        }
        let exp_digits = count(j);
        if exp_digits > 0 {
            end = j.saturating_add(exp_digits);
        }
    }
    let text = s.get(..end)?;
    // The same decimal grammar ("1.", ".5", "+1e3").
    crate::json::parse_decimal(text).map(|n| (n, end))
}

/// JavaScript's global `parseFloat`: `ToString`, skip leading white space,
/// then the longest numeric prefix; `NaN` when there is none.
pub(crate) fn parse_float(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        Value::String(s) => str_parse_float(s),
        Value::Null | Value::Bool(_) | Value::Object(_) => f64::NAN,
        Value::Array(_) => str_parse_float(&to_js_string(v)),
    }
}

fn str_parse_float(s: &str) -> f64 {
    let t = s.trim_start_matches(is_js_space);
    decimal_prefix(t).map_or(f64::NAN, |(n, _)| n)
}

/// ECMAScript `ToIntegerOrInfinity`: truncate toward zero, `NaN` is 0.
pub(crate) fn to_integer(n: f64) -> f64 {
    if n.is_nan() {
        0.0
    } else {
        n.trunc()
    }
}

/// ECMAScript `ToString` (what `String(v)` gives).
pub(crate) fn to_js_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            push_js_string(v, &mut out, 0);
            out
        }
    }
}

/// Appends `String(v)`; `null` inside an array joins as "" (Array.join rules).
pub(crate) fn push_js_string(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Null => {
            if depth == 0 {
                out.push_str("null");
            }
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_number(*n, out),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            if depth >= MAX_VALUE_DEPTH {
                return;
            }
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_js_string(item, out, depth.saturating_add(1));
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
}

/// Appends a number as `String(n)` does (unlike JSON: `NaN`, `Infinity`).
pub(crate) fn push_number(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
    } else if n.is_infinite() {
        out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        write_json(&Value::Number(n), out);
    }
}

/// JavaScript `a === b`. Arrays and objects are equal only when they are the
/// same value in memory (JS reference identity).
pub(crate) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => crate::json::str_eq(x, y),
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => std::ptr::eq(a, b),
        _ => false,
    }
}

/// A primitive after ECMAScript `ToPrimitive` (arrays and objects become strings).
enum Prim<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Str(std::borrow::Cow<'a, str>),
}

fn to_primitive(v: &Value) -> Prim<'_> {
    match v {
        Value::Null => Prim::Null,
        Value::Bool(b) => Prim::Bool(*b),
        Value::Number(n) => Prim::Num(*n),
        Value::String(s) => Prim::Str(std::borrow::Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Prim::Str(std::borrow::Cow::Owned(to_js_string(v))),
    }
}

/// JavaScript `a == b` (the Abstract Equality Comparison).
pub(crate) fn loose_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // Same type: strict equality (reference identity for arrays/objects).
        (Value::Null, Value::Null)
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_))
        | (Value::Array(_), Value::Array(_))
        | (Value::Object(_), Value::Object(_)) => strict_eq(a, b),
        // null equals only null (and undefined, which data cannot hold).
        (Value::Null, _) | (_, Value::Null) => false,
        // An array against an object: both are objects, compared by reference.
        (Value::Array(_), Value::Object(_)) | (Value::Object(_), Value::Array(_)) => false,
        _ => prim_loose_eq(to_primitive(a), to_primitive(b)),
    }
}

fn prim_loose_eq(a: Prim<'_>, b: Prim<'_>) -> bool {
    match (a, b) {
        (Prim::Null, Prim::Null) => true,
        (Prim::Null, _) | (_, Prim::Null) => false,
        (Prim::Str(x), Prim::Str(y)) => x == y,
        (Prim::Bool(x), Prim::Bool(y)) => x == y,
        (x, y) => prim_number(&x) == prim_number(&y),
    }
}

fn prim_number(p: &Prim<'_>) -> f64 {
    match p {
        Prim::Null => 0.0,
        Prim::Bool(b) => f64::from(u8::from(*b)),
        Prim::Num(n) => *n,
        Prim::Str(s) => str_to_number(s),
    }
}

/// The ECMAScript Abstract Relational Comparison of `a` and `b`: `None` when
/// it is undefined (a `NaN` was involved), so every `<`/`<=` test is false.
pub(crate) fn js_compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        _ => match (to_primitive(a), to_primitive(b)) {
            (Prim::Str(x), Prim::Str(y)) => Some(cmp_utf16(&x, &y)),
            (x, y) => prim_number(&x).partial_cmp(&prim_number(&y)),
        },
    }
}

/// Orders strings as JavaScript does: by UTF-16 code units.
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// JavaScript `a < b`.
pub(crate) fn js_lt(a: &Value, b: &Value) -> bool {
    js_compare(a, b) == Some(Ordering::Less)
}

/// JavaScript `a <= b`.
pub(crate) fn js_le(a: &Value, b: &Value) -> bool {
    matches!(js_compare(a, b), Some(Ordering::Less | Ordering::Equal))
}

/// `Math.max` / `Math.min` over numbers already converted: `NaN` wins, and
/// `+0` is greater than `-0`.
pub(crate) fn js_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a == 0.0 && a.is_sign_negative() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

pub(crate) fn js_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a == 0.0 && a.is_sign_negative() {
            a
        } else {
            b
        }
    } else if a < b {
        a
    } else {
        b
    }
}

/// The length of a string in UTF-16 code units (JavaScript's `.length`).
pub(crate) fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// `String.prototype.substr(start, length)` in UTF-16 code units.
/// `length: None` means "to the end". A surrogate pair cut in half becomes
/// U+FFFD (JS would keep the lone surrogate, which Rust strings cannot hold).
pub(crate) fn substr(s: &str, start: f64, length: Option<f64>) -> String {
    let size = utf16_len(s) as f64;
    let mut from = to_integer(start);
    if from < 0.0 {
        from = (size + from).max(0.0);
    }
    let from = from.min(size);
    let len = match length {
        None => size - from,
        Some(l) => to_integer(l).clamp(0.0, size - from),
    };
    if len <= 0.0 {
        return String::new();
    }
    // Both are integers within 0..=size, so the casts are exact.
    let (from, to) = (from as usize, (from + len) as usize);
    if s.is_ascii() {
        return s.get(from..to).unwrap_or("").to_string();
    }
    let units: Vec<u16> = s.encode_utf16().skip(from).take(to.saturating_sub(from)).collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn v(s: &str) -> Value {
        parse(s).unwrap_or(Value::String(format!("bad test json {s}")))
    }

    #[test]
    fn to_number_follows_ecmascript() {
        let cases: &[(&str, f64)] = &[
            ("null", 0.0),
            ("true", 1.0),
            ("false", 0.0),
            ("\"\"", 0.0),
            ("\"  \\n\"", 0.0),
            ("\" 12 \"", 12.0),
            ("\"1.5e3\"", 1500.0),
            ("\".5\"", 0.5),
            ("\"5.\"", 5.0),
            ("\"-0x10\"", f64::NAN),
            ("\"0x10\"", 16.0),
            ("\"0b101\"", 5.0),
            ("\"0o17\"", 15.0),
            ("\"-Infinity\"", f64::NEG_INFINITY),
            ("\"1e\"", f64::NAN),
            ("\"12px\"", f64::NAN),
            ("\"inf\"", f64::NAN),
            ("[]", 0.0),
            ("[7]", 7.0),
            ("[1,2]", f64::NAN),
            ("{}", f64::NAN),
        ];
        for (text, want) in cases {
            let got = to_number(&v(text));
            assert!(got == *want || (got.is_nan() && want.is_nan()), "{text}: {got}");
        }
    }

    #[test]
    fn parse_float_takes_the_longest_prefix() {
        let cases: &[(&str, f64)] = &[
            ("\"12px\"", 12.0),
            ("\"  -3.5e2x\"", -350.0),
            ("\"1e\"", 1.0),
            ("\"0x10\"", 0.0),
            ("\".5.5\"", 0.5),
            ("\"Infinityx\"", f64::INFINITY),
            ("\"\"", f64::NAN),
            ("\"abc\"", f64::NAN),
            ("null", f64::NAN),
            ("true", f64::NAN),
            ("[\"3\", 4]", 3.0),
        ];
        for (text, want) in cases {
            let got = parse_float(&v(text));
            assert!(got == *want || (got.is_nan() && want.is_nan()), "{text}: {got}");
        }
    }

    #[test]
    fn to_string_follows_ecmascript() {
        assert_eq!(to_js_string(&v("null")), "null");
        assert_eq!(to_js_string(&v("[1, null, [2, [true]], \"x\", {}]")), "1,,2,true,x,[object Object]");
        assert_eq!(to_js_string(&v("1e21")), "1e+21");
        assert_eq!(to_js_string(&Value::Number(f64::NAN)), "NaN");
        assert_eq!(to_js_string(&Value::Number(f64::NEG_INFINITY)), "-Infinity");
    }

    #[test]
    fn loose_equality_table() {
        // [a, b, a == b in JavaScript]
        let table = v(r#"[
            [1, "1", true], [0, "", true], [0, "0", true], ["", "0", false],
            [null, 0, false], [null, false, false], [null, null, true], [null, "", false],
            [false, "0", true], [true, "1", true], [true, 2, false], [false, [], true],
            [[], "", true], [[1], 1, true], [[1,2], "1,2", true], [{}, "[object Object]", true],
            [{}, 1, false], ["a", "a", true], [1.5, "1.50", true], [0, "0x0", true],
            [[], false, true], [[0], false, true], [[1], true, true], [" \n", 0, true]
        ]"#);
        for row in table.as_array().unwrap_or(&[]) {
            let r = row.as_array().unwrap_or(&[]);
            let (a, b, want) = (&r[0], &r[1], r[2].as_bool().unwrap_or(false));
            assert_eq!(loose_eq(a, b), want, "{a:?} == {b:?}");
            assert_eq!(loose_eq(b, a), want, "{b:?} == {a:?}");
        }
        let arr = v("[1]");
        assert!(loose_eq(&arr, &arr) && strict_eq(&arr, &arr));
        assert!(!loose_eq(&arr, &arr.clone()));
        assert!(!strict_eq(&Value::Number(f64::NAN), &Value::Number(f64::NAN)));
    }

    #[test]
    fn relational_comparison() {
        assert!(js_lt(&v("\"10\""), &v("\"9\""))); // string comparison
        assert!(!js_lt(&v("10"), &v("\"9\""))); // numeric comparison
        assert!(js_lt(&v("null"), &v("1")));
        assert!(!js_lt(&v("\"a\""), &v("1")) && !js_le(&v("\"a\""), &v("1")));
        assert!(js_le(&v("[2]"), &v("2")));
        // U+FF61 sorts after U+1F600 in UTF-16 (0xFF61 > 0xD83D), unlike in UTF-8.
        assert!(js_lt(&Value::from("😀"), &Value::from("｡")));
    }

    #[test]
    fn substr_counts_utf16_units() {
        assert_eq!(substr("jsonlogic", 4.0, None), "logic");
        assert_eq!(substr("jsonlogic", -5.0, Some(2.0)), "lo");
        assert_eq!(substr("jsonlogic", 20.0, None), "");
        assert_eq!(substr("jsonlogic", f64::NAN, Some(f64::INFINITY)), "jsonlogic");
        assert_eq!(substr("héllo wörld", 1.0, Some(4.0)), "éllo");
        assert_eq!(substr("日本語テキスト", -3.0, None), "キスト");
        // "😀" is two UTF-16 units, as in JS: "a😀b".substr(1, 2) === "😀".
        assert_eq!(substr("a😀b", 1.0, Some(2.0)), "😀");
        assert_eq!(substr("a😀b", 3.0, None), "b");
        assert_eq!(substr("a😀b", 1.0, Some(1.0)), "\u{FFFD}");
    }

    #[test]
    fn min_max_and_truthiness() {
        assert!(js_max(0.0, -0.0).is_sign_positive() && js_min(0.0, -0.0).is_sign_negative());
        assert!(js_max(1.0, f64::NAN).is_nan());
        for (text, want) in [("[]", false), ("[0]", true), ("\"0\"", true), ("\"\"", false), ("0", false), ("{}", true)] {
            assert_eq!(truthy(&v(text)), want, "{text}");
        }
        assert!(!truthy(&Value::Number(f64::NAN)));
    }
}
