//! The Kafka REST Proxy produce subset: request parsing and response shapes, free of I/O.
//!
//! v2: `POST /topics/{topic}`, Content-Type `application/vnd.kafka.json.v2+json` (or
//! `application/json`), body `{"records":[{"key":..,"value":..,"partition"?:n}]}`, answered
//! with one `offsets` entry per record.
//!
//! v3: `POST /v3/clusters/{cluster}/topics/{topic}/records`, Content-Type `application/json`,
//! body `{"key":{"type":"JSON","data":..},"value":{..},"partition_id"?:n,"headers"?:[..]}`,
//! answered with a delivery report (`error_code` 200 on success). Several records may be sent
//! as concatenated JSON objects in one body (the proxy's streaming form); each gets its report.
//!
//! Keys and values of the JSON embedded format become Kafka bytes as compact JSON text: the
//! client's own text with insignificant whitespace removed, so numbers and member order are
//! kept exactly as written.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{ApiError, ErrorCode, RecordError};

/// Media types a v2 produce accepts: the JSON embedded format, or plain JSON (treated alike).
pub const V2_CONTENT_TYPES: &[&str] = &["application/vnd.kafka.json.v2+json", "application/json"];
/// The media type v2 answers with.
pub const V2_RESPONSE_TYPE: &str = "application/vnd.kafka.v2+json";

/// How a v3 key or value was given; echoed in the delivery report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Json,
    String,
    Binary,
}

impl DataType {
    fn name(self) -> &'static str {
        match self {
            DataType::Json => "JSON",
            DataType::String => "STRING",
            DataType::Binary => "BINARY",
        }
    }
}

/// One record as it will go to Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRecord {
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// The partition the client asked for, if any (checked against the topic later).
    pub partition: Option<i32>,
    pub headers: BTreeMap<String, Vec<u8>>,
    /// The client's timestamp (v3), else the gateway stamps the receive time.
    pub timestamp: Option<DateTime<Utc>>,
    /// v3 only: the declared types, for the delivery report.
    pub key_type: Option<DataType>,
    pub value_type: Option<DataType>,
}

/// Where a record ended up, or why it did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Written {
        partition: i32,
        offset: i64,
        timestamp: DateTime<Utc>,
    },
    Failed {
        partition: i32,
        error: RecordError,
    },
}

/// Checks a request's Content-Type (parameters such as `charset` are ignored).
pub fn check_content_type(header: Option<&str>, accepted: &[&str]) -> Result<(), ApiError> {
    let media = header
        .and_then(|h| h.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if accepted.contains(&media.as_str()) {
        Ok(())
    } else {
        let got = if media.is_empty() {
            "none".to_string()
        } else {
            media
        };
        Err(ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!(
                "Unsupported Content-Type {got}; use {}",
                accepted.join(" or ")
            ),
        ))
    }
}

/// Kafka's longest topic name.
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// Kafka's rule for topic names: 1..=249 of `[A-Za-z0-9._-]`, and not `.` or `..`.
pub fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TOPIC_NAME_LEN
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// Removes whitespace outside strings from JSON text that is already known to be valid.
pub fn compact_json(raw: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut in_string = false;
    let mut escaped = false;
    for &b in raw.as_bytes() {
        if in_string {
            out.push(b);
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            if b == b'"' {
                in_string = true;
            }
            out.push(b);
        }
    }
    out
}

/// Maps a serde_json failure: broken JSON is 400, a wrong shape is 422.
fn body_error(err: serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::new(ErrorCode::MalformedJson, format!("Malformed JSON: {err}"))
        }
        Category::Data => {
            ApiError::new(ErrorCode::Unprocessable, format!("Invalid request: {err}"))
        }
    }
}

fn partition_field(p: Option<i64>, what: &str) -> Result<Option<i32>, ApiError> {
    match p {
        None => Ok(None),
        Some(n) => i32::try_from(n)
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidPartition,
                    format!("{what}: invalid partition {n}"),
                )
            }),
    }
}

fn check_size(bytes: &Option<Vec<u8>>, max: usize, what: &str) -> Result<(), ApiError> {
    match bytes {
        Some(b) if b.len() > max => Err(ApiError::new(
            ErrorCode::RecordTooLarge,
            format!("{what} is {} bytes; the limit is {max}", b.len()),
        )),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct V2Body {
    records: Vec<V2Record>,
}

#[derive(Deserialize)]
struct V2Record {
    #[serde(default)]
    key: Option<Box<RawValue>>,
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    partition: Option<i64>,
}

/// Parses a v2 produce body. Validation is all-or-nothing: one bad record rejects the
/// request before anything is written, so a client never has to untangle a half-written
/// batch caused by its own input.
pub fn parse_v2(body: &[u8], max_record_bytes: usize) -> Result<Vec<OutRecord>, ApiError> {
    let parsed: V2Body = serde_json::from_slice(body).map_err(body_error)?;
    if parsed.records.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            "records: must not be empty",
        ));
    }
    let mut out = Vec::with_capacity(parsed.records.len());
    for (i, r) in parsed.records.into_iter().enumerate() {
        let key = r.key.map(|k| compact_json(k.get()));
        let value = r.value.map(|v| compact_json(v.get()));
        check_size(&key, max_record_bytes, &format!("records[{i}].key"))?;
        check_size(&value, max_record_bytes, &format!("records[{i}].value"))?;
        out.push(OutRecord {
            key,
            value,
            partition: partition_field(r.partition, &format!("records[{i}].partition"))?,
            headers: BTreeMap::new(),
            timestamp: None,
            key_type: None,
            value_type: None,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct V3Body {
    #[serde(default)]
    partition_id: Option<i64>,
    #[serde(default)]
    headers: Option<Vec<V3Header>>,
    #[serde(default)]
    key: Option<V3Data>,
    #[serde(default)]
    value: Option<V3Data>,
    #[serde(default)]
    timestamp: Option<String>,
}

#[derive(Deserialize)]
struct V3Header {
    name: String,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
struct V3Data {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    data: Option<Box<RawValue>>,
    #[serde(default)]
    schema: Option<Box<RawValue>>,
    #[serde(default)]
    schema_id: Option<Box<RawValue>>,
    #[serde(default)]
    subject: Option<Box<RawValue>>,
}

fn v3_data(d: Option<V3Data>, what: &str) -> Result<(Option<Vec<u8>>, Option<DataType>), ApiError> {
    let Some(d) = d else { return Ok((None, None)) };
    if d.schema.is_some() || d.schema_id.is_some() || d.subject.is_some() {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            format!("{what}: schemas are not supported; use type JSON, STRING or BINARY"),
        ));
    }
    let kind = match d.kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("JSON") => DataType::Json,
        Some("STRING") => DataType::String,
        Some("BINARY") => DataType::Binary,
        Some(other) => {
            return Err(ApiError::new(
                ErrorCode::Unprocessable,
                format!("{what}.type: unsupported type {other}; use JSON, STRING or BINARY"),
            ))
        }
    };
    let Some(raw) = d.data else {
        return Ok((None, Some(kind)));
    };
    let bytes = match kind {
        DataType::Json => compact_json(raw.get()),
        DataType::String | DataType::Binary => {
            let s: String = serde_json::from_str(raw.get()).map_err(|_| {
                ApiError::new(
                    ErrorCode::Unprocessable,
                    format!("{what}.data: type {} needs a JSON string", kind.name()),
                )
            })?;
            if kind == DataType::String {
                s.into_bytes()
            } else {
                base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|e| {
                        ApiError::new(
                            ErrorCode::Unprocessable,
                            format!("{what}.data: invalid base64: {e}"),
                        )
                    })?
            }
        }
    };
    Ok((Some(bytes), Some(kind)))
}

fn v3_record(b: V3Body, max_record_bytes: usize) -> Result<OutRecord, ApiError> {
    let (key, key_type) = v3_data(b.key, "key")?;
    let (value, value_type) = v3_data(b.value, "value")?;
    check_size(&key, max_record_bytes, "key")?;
    check_size(&value, max_record_bytes, "value")?;
    let mut headers = BTreeMap::new();
    for (i, h) in b.headers.unwrap_or_default().into_iter().enumerate() {
        let value = match h.value {
            None => Vec::new(),
            Some(v) => base64::engine::general_purpose::STANDARD
                .decode(v.as_bytes())
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::Unprocessable,
                        format!("headers[{i}].value: invalid base64: {e}"),
                    )
                })?,
        };
        if headers.insert(h.name.clone(), value).is_some() {
            return Err(ApiError::new(
                ErrorCode::Unprocessable,
                format!("headers[{i}]: duplicate header name {:?}", h.name),
            ));
        }
    }
    let timestamp = match b.timestamp {
        None => None,
        Some(t) => Some(
            DateTime::parse_from_rfc3339(&t)
                .map_err(|e| {
                    ApiError::new(
                        ErrorCode::Unprocessable,
                        format!("timestamp: '{t}' is not an RFC 3339 date-time: {e}"),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    Ok(OutRecord {
        key,
        value,
        partition: partition_field(b.partition_id, "partition_id")?,
        headers,
        timestamp,
        key_type,
        value_type,
    })
}

/// Parses a v3 produce body: one record, or several concatenated JSON objects.
/// As with v2, any invalid record rejects the whole request before anything is written.
pub fn parse_v3(body: &[u8], max_record_bytes: usize) -> Result<Vec<OutRecord>, ApiError> {
    let mut out = Vec::new();
    for item in serde_json::Deserializer::from_slice(body).into_iter::<V3Body>() {
        let b = item.map_err(body_error)?;
        out.push(v3_record(b, max_record_bytes)?);
    }
    if out.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            "the body holds no record",
        ));
    }
    Ok(out)
}

#[derive(Serialize)]
struct V2Offset<'a> {
    partition: i32,
    offset: Option<i64>,
    error_code: Option<u32>,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct V2Response<'a> {
    key_schema_id: Option<u32>,
    value_schema_id: Option<u32>,
    offsets: Vec<V2Offset<'a>>,
}

#[derive(Serialize)]
struct V3Size {
    #[serde(rename = "type")]
    kind: &'static str,
    size: usize,
}

#[derive(Serialize)]
struct V3Report<'a> {
    error_code: u32,
    cluster_id: &'a str,
    topic_name: &'a str,
    partition_id: i32,
    offset: i64,
    timestamp: String,
    key: Option<V3Size>,
    value: Option<V3Size>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: u32,
    message: &'a str,
}

/// Serializes a response body. Field order follows the structs (the proxy's documented
/// order); serializing these plain structs cannot fail, the fallback is only for form.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_string())
}

/// The `{"error_code": n, "message": "..."}` envelope.
pub fn error_body(code: u32, message: &str) -> String {
    to_json(&ErrorBody {
        error_code: code,
        message,
    })
}

/// The v2 produce response: one `offsets` entry per record, in request order.
pub fn v2_response(outcomes: &[Outcome]) -> String {
    let offsets = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Written {
                partition, offset, ..
            } => V2Offset {
                partition: *partition,
                offset: Some(*offset),
                error_code: None,
                error: None,
            },
            Outcome::Failed { partition, error } => V2Offset {
                partition: *partition,
                offset: None,
                error_code: Some(error.v2_code()),
                error: Some(&error.message),
            },
        })
        .collect();
    to_json(&V2Response {
        key_schema_id: None,
        value_schema_id: None,
        offsets,
    })
}

/// One v3 delivery report.
pub fn v3_report(cluster_id: &str, topic: &str, record: &OutRecord, outcome: &Outcome) -> String {
    match outcome {
        Outcome::Written {
            partition,
            offset,
            timestamp,
        } => {
            let size = |bytes: &Option<Vec<u8>>, kind: Option<DataType>| {
                bytes.as_ref().map(|b| V3Size {
                    kind: kind.unwrap_or(DataType::Json).name(),
                    size: b.len(),
                })
            };
            to_json(&V3Report {
                error_code: 200,
                cluster_id,
                topic_name: topic,
                partition_id: *partition,
                offset: *offset,
                timestamp: timestamp.to_rfc3339_opts(SecondsFormat::Millis, true),
                key: size(&record.key, record.key_type),
                value: size(&record.value, record.value_type),
            })
        }
        Outcome::Failed { error, .. } => {
            let e = error.to_api_error();
            error_body(e.code.code(), &e.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of<T: std::fmt::Debug>(r: Result<T, ApiError>) -> u32 {
        match r {
            Err(e) => e.code.code(),
            Ok(v) => panic!("expected an error, got {v:?}"),
        }
    }

    #[test]
    fn content_types() {
        let ok = [
            "application/vnd.kafka.json.v2+json",
            "application/json",
            "Application/JSON; charset=utf-8",
        ];
        for ct in ok {
            assert!(
                check_content_type(Some(ct), V2_CONTENT_TYPES).is_ok(),
                "{ct}"
            );
        }
        let bad = [
            None,
            Some(""),
            Some("text/plain"),
            Some("application/vnd.kafka.binary.v2+json"),
            Some("application/vnd.kafka.avro.v2+json"),
        ];
        for ct in bad {
            assert_eq!(
                code_of(check_content_type(ct, V2_CONTENT_TYPES)),
                415,
                "{ct:?}"
            );
        }
    }

    #[test]
    fn topic_names() {
        for ok in ["ep-events", "a", "A.b_c-9", &"x".repeat(249)] {
            assert!(valid_topic_name(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "ä", &"x".repeat(250), "%2e"] {
            assert!(!valid_topic_name(bad), "{bad}");
        }
    }

    #[test]
    fn compaction_keeps_strings_and_numbers() {
        let cases = [
            (
                "{ \"a\" : 1 ,\n \"b\":[ 1.50 , 2e3 ] }",
                "{\"a\":1,\"b\":[1.50,2e3]}",
            ),
            ("\"a b\\\" c \"", "\"a b\\\" c \""),
            ("{\"z\":1,\"a\":2}", "{\"z\":1,\"a\":2}"),
            ("\"\\\\\" ", "\"\\\\\""),
            (" null", "null"),
        ];
        for (input, want) in cases {
            assert_eq!(
                String::from_utf8_lossy(&compact_json(input)),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn v2_records_parse() {
        let body = br#"{"records":[
            {"key":"s-1","value":{"id":"01J","sessionId":"s-1","price": 59.90}},
            {"value":{"id":"02J"},"partition":2},
            {"key":null,"value":null}
        ]}"#;
        let Ok(r) = parse_v2(body, 1024) else {
            panic!("must parse")
        };
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].key.as_deref(), Some(&b"\"s-1\""[..]));
        assert_eq!(
            r[0].value.as_deref(),
            Some(&br#"{"id":"01J","sessionId":"s-1","price":59.90}"#[..])
        );
        assert_eq!(r[0].partition, None);
        assert_eq!(r[1].key, None);
        assert_eq!(r[1].partition, Some(2));
        assert_eq!((r[2].key.as_ref(), r[2].value.as_ref()), (None, None));
    }

    #[test]
    fn v2_rejections() {
        let cases: &[(&[u8], u32)] = &[
            (b"", 400),
            (b"{\"records\":[", 400),
            (b"not json", 400),
            (b"{}", 422),
            (b"{\"records\":{}}", 422),
            (b"{\"records\":[]}", 422),
            (b"{\"records\":[{\"value\":1,\"partition\":-1}]}", 42202),
            (
                b"{\"records\":[{\"value\":1,\"partition\":4294967296}]}",
                42202,
            ),
            (b"{\"records\":[{\"value\":1,\"partition\":\"0\"}]}", 422),
            (b"{\"records\":[{\"value\":\"0123456789abcdef\"}]}", 42201),
            (
                b"{\"records\":[{\"key\":\"0123456789abcdef\",\"value\":1}]}",
                42201,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                code_of(parse_v2(body, 16)),
                *want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn v3_records_parse() {
        let body = br#"{"partition_id":1,"key":{"type":"STRING","data":"s-1"},
            "value":{"type":"JSON","data":{"id":"01J"}},
            "headers":[{"name":"event-id","value":"MDFK"}],
            "timestamp":"2026-11-26T06:00:00.123Z"}
            {"key":{"type":"BINARY","data":"AAEC"},"value":{"data":[1, 2]}}"#;
        let Ok(r) = parse_v3(body, 1024) else {
            panic!("must parse")
        };
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].key.as_deref(), Some(&b"s-1"[..]));
        assert_eq!(r[0].value.as_deref(), Some(&br#"{"id":"01J"}"#[..]));
        assert_eq!(r[0].partition, Some(1));
        assert_eq!(
            r[0].headers.get("event-id").map(Vec::as_slice),
            Some(&b"01J"[..])
        );
        assert_eq!(
            r[0].timestamp.map(|t| t.timestamp_millis()),
            Some(1_795_672_800_123)
        );
        assert_eq!(r[1].key.as_deref(), Some(&[0u8, 1, 2][..]));
        assert_eq!(r[1].value.as_deref(), Some(&b"[1,2]"[..]));
        assert_eq!(r[1].value_type, Some(DataType::Json));
    }

    #[test]
    fn v3_rejections() {
        let cases: &[(&[u8], u32)] = &[
            (b"", 422),
            (b"{\"value\":", 400),
            (b"{\"value\":{\"type\":\"AVRO\",\"data\":1}}", 422),
            (b"{\"value\":{\"type\":\"STRING\",\"data\":1}}", 422),
            (b"{\"value\":{\"type\":\"BINARY\",\"data\":\"***\"}}", 422),
            (b"{\"value\":{\"schema_id\":1,\"data\":1}}", 422),
            (b"{\"value\":{\"data\":1},\"partition_id\":-3}", 42202),
            (b"{\"value\":{\"data\":1},\"timestamp\":\"yesterday\"}", 422),
            (
                b"{\"value\":{\"data\":1},\"headers\":[{\"name\":\"a\"},{\"name\":\"a\"}]}",
                422,
            ),
            (b"{\"value\":{\"data\":\"0123456789abcdef\"}}", 42201),
        ];
        for (body, want) in cases {
            assert_eq!(
                code_of(parse_v3(body, 16)),
                *want,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    use serde_json::{json, Value};

    fn parsed(s: String) -> Value {
        serde_json::from_str(&s).unwrap_or(Value::Null)
    }

    #[test]
    fn responses_have_the_proxy_shapes() {
        let ts = DateTime::from_timestamp_millis(1_795_672_800_123).unwrap_or_default();
        let outcomes = [
            Outcome::Written {
                partition: 1,
                offset: 7,
                timestamp: ts,
            },
            Outcome::Failed {
                partition: 2,
                error: RecordError {
                    retriable: true,
                    message: "broker down".into(),
                },
            },
        ];
        let v2 = v2_response(&outcomes);
        assert!(v2.starts_with(r#"{"key_schema_id":null,"value_schema_id":null,"offsets":[{"partition":1,"offset":7,"#), "{v2}");
        assert_eq!(
            parsed(v2),
            json!({"key_schema_id": null, "value_schema_id": null, "offsets": [
                {"partition": 1, "offset": 7, "error_code": null, "error": null},
                {"partition": 2, "offset": null, "error_code": 2, "error": "broker down"}
            ]})
        );
        let Ok(recs) = parse_v3(
            br#"{"key":{"type":"STRING","data":"s-1"},"value":{"type":"JSON","data":{"a":1}}}"#,
            64,
        ) else {
            panic!("must parse")
        };
        assert_eq!(
            parsed(v3_report("ep-local", "ep-events", &recs[0], &outcomes[0])),
            json!({"error_code": 200, "cluster_id": "ep-local", "topic_name": "ep-events",
                   "partition_id": 1, "offset": 7, "timestamp": "2026-11-26T06:00:00.123Z",
                   "key": {"type": "STRING", "size": 3}, "value": {"type": "JSON", "size": 7}})
        );
        assert_eq!(
            parsed(v3_report("ep-local", "ep-events", &recs[0], &outcomes[1])),
            json!({"error_code": 50003, "message": "broker down"})
        );
    }
}
