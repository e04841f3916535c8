//! The gateway's security controls against the real pieces: a Tansu broker and the ep-gateway
//! binary on free loopback ports. With a token configured, nothing is produced or listed
//! without it (401, whatever the guess); `/healthz` tells an unauthenticated caller nothing
//! but "ok"; bodies are bounded whether declared or chunked; topic names are checked and
//! never auto-created; internal topics are out of reach; and no error body carries the
//! broker's address or rskafka's text.

use std::process::{Command, Stdio};

use serde_json::json;

mod common;
use common::{free_port, raw, request, wait_port, Broker, Proc, Reply};

const TOKEN: &str = "sec-test-token-0123456789";
const TOPIC: &str = "sec-events";
const OTHER_TOPIC: &str = "sec-private";

const V2: (&str, &str) = ("Content-Type", "application/vnd.kafka.json.v2+json");

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn one_record() -> Vec<u8> {
    json!({"records": [{"key": "s-1", "value": {"id": "01SEC", "sessionId": "s-1"}}]})
        .to_string()
        .into_bytes()
}

/// The counters `/healthz` shows to an authorized caller.
fn written(port: u16) -> u64 {
    let a = bearer();
    let h = request(port, "GET", "/healthz", &[("Authorization", &a)], b"");
    h.json()["recordsWritten"].as_u64().expect("recordsWritten")
}

/// What no answer may contain: the broker's address or port, rskafka's or Tansu's words.
fn assert_no_internals(r: &Reply, broker_port: u16) {
    let lower = r.body.to_ascii_lowercase();
    for needle in [
        "127.0.0.1".to_string(),
        format!("{broker_port}"),
        "rskafka".into(),
        "tansu".into(),
        "connection error".into(),
        "panicked".into(),
        ".rs:".into(),
    ] {
        assert!(!lower.contains(&needle), "'{needle}' leaked: {}", r.body);
    }
}

fn start_gateway(port: u16, broker: &str, extra: &[&str], token: Option<&str>) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ep-gateway"));
    cmd.args([
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--broker",
        broker,
        "--max-body",
        "4096",
        "--produce-timeout-ms",
        "3000",
    ])
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(t) = token {
        cmd.env("EP_GATEWAY_TOKEN", t);
    }
    let p = Proc(cmd.spawn().expect("start ep-gateway"));
    wait_port(port);
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_controls_against_tansu() {
    let broker_proc = Broker::start();
    for topic in [TOPIC, OTHER_TOPIC] {
        broker_proc.create_topic(topic, 1);
    }
    let broker_port = broker_proc.port;
    let broker = format!("127.0.0.1:{broker_port}");
    let port = free_port();
    let _gw = start_gateway(port, &broker, &[], Some(TOKEN));
    let a = bearer();

    // --- Token: every wrong or missing form is 401 with the Bearer challenge, nothing is
    // written, and the same holds for listing topics.
    let same_length_wrong: String = TOKEN.chars().rev().collect::<String>();
    assert_eq!(same_length_wrong.len(), TOKEN.len());
    let wrong = [
        None,
        Some("".to_string()),
        Some("Bearer".to_string()),
        Some("Bearer ".to_string()),
        Some(format!("Bearer {same_length_wrong}")),
        Some(format!("Bearer {}", &TOKEN[..TOKEN.len() - 1])),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Bearer {}", TOKEN.to_uppercase())),
        Some(format!("Bearer  {TOKEN}")),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_string()),
        Some(format!("Bearer {}", "k".repeat(8000))),
    ];
    for auth in &wrong {
        let mut headers = vec![V2];
        if let Some(v) = auth {
            headers.push(("Authorization", v.as_str()));
        }
        for (method, path, body) in [
            ("POST", format!("/topics/{TOPIC}"), one_record()),
            (
                "POST",
                format!("/v3/clusters/ep-local/topics/{TOPIC}/records"),
                b"{}".to_vec(),
            ),
            ("GET", "/topics".to_string(), Vec::new()),
            ("GET", "/v3/clusters".to_string(), Vec::new()),
        ] {
            let r = request(port, method, &path, &headers, &body);
            assert_eq!(
                r.code(),
                (401, json!(40101)),
                "{method} {path} with {auth:?}"
            );
            assert!(r.head.contains("www-authenticate: bearer"), "{}", r.head);
            assert!(!r.body.contains(TOKEN), "the token must not be echoed");
        }
    }
    assert_eq!(
        written(port),
        0,
        "nothing was written by unauthenticated requests"
    );
    let r = request(
        port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[V2, ("Authorization", &a)],
        &one_record(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = request(
        port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[V2, ("authorization", &format!("bearer {TOKEN}"))],
        &one_record(),
    );
    assert_eq!(r.status, 200, "the scheme is case-insensitive: {}", r.body);
    assert_eq!(written(port), 2);

    // --- /healthz: "ok" and nothing else without the token; counters with it; never the
    // broker's address, the token or the configuration.
    for auth in [None, Some("Bearer wrong")] {
        let headers: Vec<(&str, &str)> = auth.map(|v| ("Authorization", v)).into_iter().collect();
        let h = request(port, "GET", "/healthz", &headers, b"");
        assert_eq!(h.status, 200);
        assert_eq!(
            h.json(),
            json!({"status": "ok"}),
            "unauthenticated health shows only liveness"
        );
    }
    let h = request(port, "GET", "/healthz", &[("Authorization", &a)], b"");
    assert_eq!(h.json()["recordsWritten"], json!(2));
    assert_no_internals(&h, broker_port);
    assert!(!h.body.contains(TOKEN));

    // --- Body limits: declared over the limit, chunked over the limit without a length,
    // and a lying Content-Length smaller than the body sent.
    let big = format!(r#"{{"records":[{{"value":"{}"}}]}}"#, "x".repeat(5000));
    let r = request(
        port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[V2, ("Authorization", &a)],
        big.as_bytes(),
    );
    assert_eq!(r.code(), (413, json!(413)));
    let mut chunked = Vec::new();
    for piece in big.as_bytes().chunks(1000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = raw(
        port,
        &format!("POST /topics/{TOPIC} HTTP/1.1\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nAuthorization: {a}\r\nTransfer-Encoding: chunked"),
        &chunked,
    );
    assert_eq!(
        r.code(),
        (413, json!(413)),
        "chunked bodies are counted while read"
    );
    let r = raw(
        port,
        &format!("POST /topics/{TOPIC} HTTP/1.1\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nAuthorization: {a}\r\nContent-Length: 10"),
        big.as_bytes(),
    );
    assert!(
        r.status == 400 || r.status == 422,
        "only the declared 10 bytes are read: {} {}",
        r.status,
        r.body
    );
    assert_eq!(written(port), 2, "no oversize body was written");

    // --- Topic names: illegal names, traversal attempts, internal topics and unknown
    // topics are all 404 40401, and none of them gets created on the broker.
    for topic in [
        "no-such-topic",
        "..",
        "%2e%2e",
        "..%2F..%2Fetc",
        "a%2Fb",
        "__consumer_offsets",
        "__cluster_metadata",
        "sec%00events",
        &"t".repeat(250),
    ] {
        let r = request(
            port,
            "POST",
            &format!("/topics/{topic}"),
            &[V2, ("Authorization", &a)],
            &one_record(),
        );
        assert_eq!(
            r.json(),
            json!({"error_code": 40401, "message": "Topic not found"}),
            "{topic}"
        );
        assert_eq!(r.status, 404);
        let r = request(
            port,
            "POST",
            &format!("/v3/clusters/ep-local/topics/{topic}/records"),
            &[("Content-Type", "application/json"), ("Authorization", &a)],
            br#"{"value":{"data":1}}"#,
        );
        assert_eq!(r.code(), (404, json!(40401)), "v3 {topic}");
    }
    for path in [
        "/topics/../topics/sec-events",
        "/topics/sec-events/..",
        "/topics/sec-events/x",
    ] {
        let r = request(
            port,
            "POST",
            path,
            &[V2, ("Authorization", &a)],
            &one_record(),
        );
        assert_eq!(r.status, 404, "{path}: {}", r.body);
    }
    let listed = request(port, "GET", "/topics", &[("Authorization", &a)], b"");
    let mut names: Vec<String> = serde_json::from_value(listed.json()).expect("a list");
    names.sort();
    assert_eq!(
        names,
        vec![TOPIC.to_string(), OTHER_TOPIC.to_string()],
        "nothing was auto-created"
    );
    assert_eq!(written(port), 2);

    // --- Every error body is the envelope with a stable code, free of internals.
    let errors = [
        request(
            port,
            "POST",
            &format!("/topics/{TOPIC}"),
            &[V2, ("Authorization", &a)],
            b"{not json",
        ),
        request(
            port,
            "POST",
            &format!("/topics/{TOPIC}"),
            &[("Content-Type", "text/plain"), ("Authorization", &a)],
            b"{}",
        ),
        request(
            port,
            "POST",
            &format!("/topics/{TOPIC}"),
            &[V2, ("Authorization", &a)],
            br#"{"records":[{"value":1,"partition":7}]}"#,
        ),
        request(
            port,
            "DELETE",
            &format!("/topics/{TOPIC}"),
            &[("Authorization", &a)],
            b"",
        ),
        request(port, "GET", "/admin", &[("Authorization", &a)], b""),
    ];
    for r in &errors {
        let v = r.json();
        assert!(
            v["error_code"].is_u64() && v["message"].is_string(),
            "{}",
            r.body
        );
        assert_eq!(v.as_object().map(|o| o.len()), Some(2), "{}", r.body);
        assert_no_internals(r, broker_port);
    }

    // --- An allowlist (--topics) narrows what may be produced to and listed.
    let port2 = free_port();
    let _gw2 = start_gateway(port2, &broker, &["--topics", TOPIC], Some(TOKEN));
    let r = request(
        port2,
        "POST",
        &format!("/topics/{OTHER_TOPIC}"),
        &[V2, ("Authorization", &a)],
        &one_record(),
    );
    assert_eq!(
        r.code(),
        (404, json!(40401)),
        "a topic outside --topics is not found"
    );
    let r = request(
        port2,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[V2, ("Authorization", &a)],
        &one_record(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let listed = request(port2, "GET", "/topics", &[("Authorization", &a)], b"");
    assert_eq!(listed.json(), json!([TOPIC]));
}

#[test]
fn broker_failures_leak_no_broker_details() {
    // Nothing listens on this port: every produce fails to connect.
    let dead = free_port();
    let port = free_port();
    let _gw = start_gateway(port, &format!("127.0.0.1:{dead}"), &[], None);
    let r = request(port, "POST", "/topics/ep-events", &[V2], &one_record());
    assert_eq!(r.code(), (503, json!(50003)), "{}", r.body);
    assert_eq!(r.json()["message"], json!("Kafka unavailable (connect)"));
    assert_no_internals(&r, dead);
    let r = request(port, "GET", "/topics", &[], b"");
    assert_eq!(r.status, 503);
    assert_no_internals(&r, dead);
    // Without a token configured, health shows the counters (anyone who can reach it may
    // produce), still without the broker's address.
    let h = request(port, "GET", "/healthz", &[], b"");
    assert_eq!(h.json()["brokerConnected"], json!(false));
    assert_no_internals(&h, dead);
}
