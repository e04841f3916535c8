//! What the gateway's integration tests share: child processes stopped when
//! the test ends (however it ends), free loopback ports, and a real Tansu
//! broker started from the project's own pinned install.

// Each test file compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
    PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").trim())
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
                .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start tansu"),
        );
        wait_port(port);
        Broker { tansu, port, url, _proc: proc }
    }

    /// `host:port`, as the gateway's `--broker` takes it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates `topic` with `partitions` (the gateway never creates topics).
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let created = Command::new(&self.tansu)
            .args(["topic", "create", "--broker", &self.url, "--partitions", &partitions.to_string(), topic])
            .status()
            .expect("tansu topic create");
        assert!(created.success(), "tansu topic create {topic}");
    }
}
