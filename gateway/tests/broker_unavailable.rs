//! The gateway in front of a broker that never answers (a socket that accepts and stays
//! silent) or is not there at all: it still starts and answers health checks, a produce fails
//! as a retriable 503 with Retry-After (at the latest when the produce timeout passes), and
//! while produce requests hold every in-flight slot the next one is refused at once with 429
//! instead of queueing.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{free_port, request, wait_port, Proc};

/// A v2 produce-style request; the reply as (status, lower-cased head, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let r = request(
        port,
        method,
        path,
        &[("Content-Type", "application/vnd.kafka.json.v2+json")],
        body.as_bytes(),
    );
    (r.status, r.head, r.body)
}

#[test]
fn a_silent_broker_gives_503_and_overload_gives_429() {
    // Accepts connections and never says a word, like a hung broker.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_broker = silent.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming().flatten() {
            held.push(conn);
        }
    });
    let port = free_port();
    let _gw = Proc(
        Command::new(env!("CARGO_BIN_EXE_ep-gateway"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--broker",
                &format!("127.0.0.1:{dead_broker}"),
                "--max-in-flight",
                "1",
                "--produce-timeout-ms",
                "1500",
            ])
            .stderr(Stdio::null())
            .spawn()
            .expect("start ep-gateway"),
    );
    wait_port(port);

    let (status, _, body) = http(port, "GET", "/healthz", "");
    assert_eq!(status, 200);
    assert!(body.contains("\"brokerConnected\":false"), "{body}");

    let record = r#"{"records":[{"key":"s-1","value":{"id":"a","sessionId":"s-1"}}]}"#;
    // A holds the only in-flight slot while the gateway tries to reach the broker.
    let slow = std::thread::spawn(move || {
        let started = Instant::now();
        let r = http(port, "POST", "/topics/ep-events", record);
        (r, started.elapsed())
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, _, h) = http(port, "GET", "/healthz", "");
        if h.contains("\"inFlight\":1") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first request never became in-flight: {h}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let (status, head, body) = http(port, "POST", "/topics/ep-events", record);
    assert_eq!(status, 429, "{body}");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert!(body.contains("\"error_code\":42901"), "{body}");

    let ((status, head, body), took) = slow.join().expect("the slow request");
    assert_eq!(status, 503, "{body}");
    assert!(head.contains("retry-after: 2"), "{head}");
    assert!(body.contains("\"error_code\":50003"), "{body}");
    assert!(
        took < Duration::from_secs(10),
        "the produce timeout bounds the wait: {took:?}"
    );

    let (_, _, h) = http(port, "GET", "/healthz", "");
    assert!(
        h.contains("\"inFlight\":0") && h.contains("\"requestsRefusedBusy\":1"),
        "{h}"
    );
}

#[test]
fn a_missing_broker_fails_fast_as_retriable() {
    let nothing_there = free_port();
    let port = free_port();
    let _gw = Proc(
        Command::new(env!("CARGO_BIN_EXE_ep-gateway"))
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--broker",
                &format!("127.0.0.1:{nothing_there}"),
                "--produce-timeout-ms",
                "5000",
            ])
            .stderr(Stdio::null())
            .spawn()
            .expect("start ep-gateway"),
    );
    wait_port(port);
    let (status, head, body) = http(
        port,
        "POST",
        "/topics/ep-events",
        r#"{"records":[{"value":1}]}"#,
    );
    assert_eq!(status, 503, "{body}");
    assert!(head.contains("retry-after: 2"), "{head}");
    assert!(body.contains("\"error_code\":50003"), "{body}");
}
