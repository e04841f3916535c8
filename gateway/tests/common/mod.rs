//! What the gateway's integration tests share: child processes stopped when
//! the test ends (however it ends), free loopback ports, a real Tansu broker
//! started from the project's own pinned install, and a minimal HTTP/1.1
//! client that sends exactly the bytes a test gives it.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Kills the child when the test ends, however it ends.
pub struct Proc(pub Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on right now, on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Waits (up to 20 s) until something accepts connections on `port`.
pub fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The Tansu binary: `EP_TANSU`, else the project's idempotent installer's
/// answer (a no-op when the binary is already there).
pub fn tansu() -> PathBuf {
    if let Ok(p) = std::env::var("EP_TANSU") {
        return PathBuf::from(p);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/stream/ensure-broker.sh");
    let out = Command::new(script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run scripts/stream/ensure-broker.sh");
    assert!(out.status.success(), "ensure-broker.sh failed");
    PathBuf::from(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .trim(),
    )
}

/// A running in-memory Tansu broker on a free loopback port.
pub struct Broker {
    pub tansu: PathBuf,
    pub port: u16,
    /// `tcp://127.0.0.1:PORT`, as Tansu's own commands take it.
    pub url: String,
    _proc: Proc,
}

impl Broker {
    pub fn start() -> Broker {
        let tansu = tansu();
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let proc = Proc(
            Command::new(&tansu)
                .args([
                    "broker",
                    "--listener-url",
                    &url,
                    "--advertised-listener-url",
                    &url,
                    "--storage-engine",
                    "memory://tansu/",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start tansu"),
        );
        wait_port(port);
        Broker {
            tansu,
            port,
            url,
            _proc: proc,
        }
    }

    /// `host:port`, as the gateway's `--broker` takes it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates `topic` with `partitions` (the gateway never creates topics).
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let created = Command::new(&self.tansu)
            .args([
                "topic",
                "create",
                "--broker",
                &self.url,
                "--partitions",
                &partitions.to_string(),
                topic,
            ])
            .status()
            .expect("tansu topic create");
        assert!(created.success(), "tansu topic create {topic}");
    }
}

/// One HTTP response: the status, the head lower-cased (header checks ignore
/// case), and the body as text.
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// The status and the gateway's `error_code`, the pair most checks compare.
    pub fn code(&self) -> (u16, Value) {
        (self.status, self.json()["error_code"].clone())
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body`
/// as they are, on a connection of its own, and reads the whole response.
pub fn raw(port: u16, head: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the gateway");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    s.write_all(format!("{head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").as_bytes())
        .expect("write head");
    // A refused body may close the connection before all of it is written.
    let _ = s.write_all(body);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    Reply {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

/// `method path` with `body` and its Content-Length, plus `headers`.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut head = format!("{method} {path} HTTP/1.1\r\nContent-Length: {}", body.len());
    for (k, v) in headers {
        head.push_str(&format!("\r\n{k}: {v}"));
    }
    raw(port, &head, body)
}
