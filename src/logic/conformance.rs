//! Shared helpers for table-driven tests: the JsonLogic conformance file
//! format, and result comparison. Used by the native and the wasm tests, so
//! every platform runs the same cases the same way.

use super::ops::MAX_VALUE_DEPTH;
use crate::error::{Error, ErrorCode, Result};
use crate::json::{parse, Value};

/// Reads a JsonLogic test file (`tests.json` format): a JSON array whose
/// strings are section headers (skipped) and whose objects are cases
/// `{"description"?, "rule", "data"?, "result"}`. Returns
/// `(description, rule, data, expected)`; a missing `data` is `null`, a
/// missing description is the rule's JSON text.
pub fn conformance_cases(json_text: &str) -> Result<Vec<(String, Value, Value, Value)>> {
    let doc = parse(json_text)?;
    let entries = doc
        .as_array()
        .ok_or_else(|| Error::new(ErrorCode::WrongType, "", format!("expected an array of cases, got {}", doc.type_name())))?;
    let mut cases = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let case = match entry {
            Value::String(_) => continue,
            Value::Object(case) => case,
            other => {
                return Err(Error::new(
                    ErrorCode::WrongType,
                    format!("[{i}]"),
                    format!("expected a case object or a header string, got {}", other.type_name()),
                ))
            }
        };
        let field = |name: &str| {
            case.get(name)
                .cloned()
                .ok_or_else(|| Error::new(ErrorCode::MissingField, format!("[{i}].{name}"), format!("case has no \"{name}\"")))
        };
        let rule = field("rule")?;
        let expected = field("result")?;
        let data = case.get("data").cloned().unwrap_or(Value::Null);
        let description = match case.get("description") {
            Some(Value::String(d)) => d.clone(),
            _ => crate::json::to_json_string(&rule),
        };
        cases.push((description, rule, data, expected));
    }
    Ok(cases)
}

/// Deep equality for results: numbers compare as f64 (`1` and `1.0` are the
/// same; `NaN` equals `NaN` here, since JSON cannot tell them apart), objects
/// compare key by key regardless of order.
/// Values nested deeper than `MAX_JSON_DEPTH` levels compare unequal.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    equal_within(a, b, MAX_VALUE_DEPTH)
}

fn equal_within(a: &Value, b: &Value, depth: usize) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => {
            depth > 0 && x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal_within(p, q, depth.saturating_sub(1)))
        }
        (Value::Object(x), Value::Object(y)) => {
            depth > 0
                && x.len() == y.len()
                && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal_within(v, w, depth.saturating_sub(1))))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cases_and_skips_headers() {
        let cases = conformance_cases(
            r##"["# header", {"description": "d", "rule": {"var": "a"}, "data": {"a": 1}, "result": 1},
                {"rule": 17, "result": 17}]"##,
        )
        .unwrap_or_default();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].0, "d");
        assert_eq!(cases[1].0, "17");
        assert_eq!(cases[1].2, Value::Null);
        let e = conformance_cases(r#"[{"rule": 1}]"#).err().map(|e| (e.code, e.path));
        assert_eq!(e, Some((ErrorCode::MissingField, "[0].result".to_string())));
        assert!(conformance_cases("{}").is_err());
    }

    #[test]
    fn compares_numbers_as_f64_and_objects_unordered() {
        let p = |s: &str| parse(s).unwrap_or_default();
        assert!(values_equal(&p("[1, {\"a\": 2, \"b\": [3]}]"), &p("[1.0, {\"b\": [3e0], \"a\": 2}]")));
        assert!(!values_equal(&p("[1]"), &p("[\"1\"]")));
        assert!(!values_equal(&p("{\"a\": 1}"), &p("{\"a\": 1, \"b\": 2}")));
        assert!(values_equal(&Value::Number(f64::NAN), &Value::Number(f64::NAN)));
    }
}
