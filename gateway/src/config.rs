//! Gateway configuration from command-line flags, falling back to environment variables.
//!
//! Every flag `--name VALUE` (or `--name=VALUE`) has an `EP_GATEWAY_NAME` variable; the flag
//! wins. Secrets are better passed by variable (`EP_GATEWAY_TOKEN`), since flags show in `ps`.

use std::net::SocketAddr;
use std::time::Duration;

/// Largest request body by default (413 above it).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest key or value of one record by default.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Produce requests processed at once by default (429 above it).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// Open HTTP connections at once by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Bound on one produce (with retries) and on reading a body, by default.
pub const DEFAULT_PRODUCE_TIMEOUT_MS: u64 = 10_000;

/// Everything the gateway needs to run; `Config::default()` is the documented default set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the HTTP server listens. Defaults to loopback: exposing the gateway is a choice.
    pub listen: SocketAddr,
    /// Bootstrap brokers, `host:port` (a `tcp://` prefix is accepted and dropped).
    pub brokers: Vec<String>,
    /// Largest request body accepted, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Largest key or value of one record after compaction, in bytes (422/42201 above it).
    pub max_record_bytes: usize,
    /// When set, every API route requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Produce requests processed at once; more are refused with 429 + Retry-After
    /// instead of queueing without bound.
    pub max_in_flight: usize,
    /// Open HTTP connections at once; further connections wait in the kernel backlog.
    pub max_connections: usize,
    /// Upper bound for one produce (including rskafka's retries), and for reading a body.
    pub produce_timeout: Duration,
    /// The id this gateway answers to in v3 paths (`/v3/clusters/{cluster_id}/...`).
    pub cluster_id: String,
    /// When set, the only topics that may be produced to or listed; any other answers 404
    /// like a missing topic. Internal topics (`__*`) are never reachable either way.
    pub topics: Option<Vec<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8082)),
            brokers: vec!["127.0.0.1:9092".to_string()],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            token: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            produce_timeout: Duration::from_millis(DEFAULT_PRODUCE_TIMEOUT_MS),
            cluster_id: "ep-local".to_string(),
            topics: None,
        }
    }
}

/// The usage text printed by `--help`.
pub const USAGE: &str = "\
ep-gateway: Kafka REST Proxy produce API (v2 + v3, JSON embedded format) in front of a Kafka broker

Usage: ep-gateway [OPTIONS]

Options (each also read from the environment variable shown):
  --listen ADDR            HTTP listen address        [EP_GATEWAY_LISTEN, default 127.0.0.1:8082]
  --broker HOST:PORT[,..]  bootstrap broker(s)        [EP_GATEWAY_BROKER, default 127.0.0.1:9092]
  --max-body BYTES         largest request body       [EP_GATEWAY_MAX_BODY, default 1048576]
  --max-record BYTES       largest key or value       [EP_GATEWAY_MAX_RECORD, default 1048576]
  --token TOKEN            require Bearer TOKEN       [EP_GATEWAY_TOKEN, default: no auth]
  --max-in-flight N        concurrent produce requests before 429 [EP_GATEWAY_MAX_IN_FLIGHT, default 64]
  --max-connections N      concurrent HTTP connections [EP_GATEWAY_MAX_CONNECTIONS, default 1024]
  --produce-timeout-ms MS  bound on one produce       [EP_GATEWAY_PRODUCE_TIMEOUT_MS, default 10000]
  --cluster-id ID          cluster id for v3 paths    [EP_GATEWAY_CLUSTER_ID, default ep-local]
  --topics NAME[,..]       the only topics served     [EP_GATEWAY_TOPICS, default: every non-internal topic]
  -h, --help               print this help
";

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
}

const FLAGS: &[&str] = &[
    "listen",
    "broker",
    "max-body",
    "max-record",
    "token",
    "max-in-flight",
    "max-connections",
    "produce-timeout-ms",
    "cluster-id",
    "topics",
];

fn env_name(flag: &str) -> String {
    format!("EP_GATEWAY_{}", flag.to_ascii_uppercase().replace('-', "_"))
}

impl Config {
    /// Parses `args` (without the program name), consulting `env` for flags not given.
    /// `env` is a lookup so tests need not touch the process environment.
    pub fn parse<I, F>(args: I, env: F) -> Result<Command, String>
    where
        I: IntoIterator<Item = String>,
        F: Fn(&str) -> Option<String>,
    {
        let mut given: Vec<(String, String)> = Vec::new();
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            if arg == "-h" || arg == "--help" {
                return Ok(Command::Help);
            }
            let Some(body) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument '{arg}' (see --help)"));
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => {
                    let v = it.next().ok_or_else(|| format!("--{body} needs a value"))?;
                    (body.to_string(), v)
                }
            };
            if !FLAGS.contains(&name.as_str()) {
                return Err(format!("unknown option --{name} (see --help)"));
            }
            given.push((name, value));
        }
        let get = |flag: &str| -> Option<String> {
            given
                .iter()
                .rev()
                .find(|(n, _)| n == flag)
                .map(|(_, v)| v.clone())
                .or_else(|| env(&env_name(flag)))
        };

        let mut c = Config::default();
        if let Some(v) = get("listen") {
            c.listen = v
                .parse()
                .map_err(|_| format!("--listen: '{v}' is not an IP:PORT address"))?;
        }
        if let Some(v) = get("broker") {
            let brokers: Vec<String> = v
                .split(',')
                .map(|b| {
                    b.trim()
                        .trim_start_matches("tcp://")
                        .trim_end_matches('/')
                        .to_string()
                })
                .filter(|b| !b.is_empty())
                .collect();
            if brokers.is_empty() {
                return Err("--broker: no broker address given".to_string());
            }
            c.brokers = brokers;
        }
        c.max_body_bytes = positive(&get("max-body"), "max-body", c.max_body_bytes)?;
        c.max_record_bytes = positive(&get("max-record"), "max-record", c.max_record_bytes)?;
        c.max_in_flight = positive(&get("max-in-flight"), "max-in-flight", c.max_in_flight)?;
        c.max_connections = positive(
            &get("max-connections"),
            "max-connections",
            c.max_connections,
        )?;
        let timeout_ms = positive(
            &get("produce-timeout-ms"),
            "produce-timeout-ms",
            c.produce_timeout.as_millis() as usize,
        )?;
        c.produce_timeout = Duration::from_millis(timeout_ms as u64);
        if let Some(v) = get("token") {
            if v.is_empty() {
                return Err("--token: an empty token would accept anyone; omit it instead".into());
            }
            c.token = Some(v);
        }
        if let Some(v) = get("cluster-id") {
            if v.is_empty()
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            {
                return Err(format!("--cluster-id: '{v}' must be [A-Za-z0-9._-]+"));
            }
            c.cluster_id = v;
        }
        if let Some(v) = get("topics") {
            let topics: Vec<String> = v
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            if topics.is_empty() {
                return Err("--topics: no topic given".to_string());
            }
            if let Some(bad) = topics
                .iter()
                .find(|t| !crate::api::valid_topic_name(t) || t.starts_with("__"))
            {
                return Err(format!("--topics: '{bad}' is not a producible topic name"));
            }
            c.topics = Some(topics);
        }
        Ok(Command::Run(c))
    }
}

fn positive(v: &Option<String>, flag: &str, default: usize) -> Result<usize, String> {
    match v {
        None => Ok(default),
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("--{flag}: '{s}' is not a positive integer")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Command, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::parse(args.iter().map(|s| s.to_string()), move |k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_listen_on_loopback_only() {
        let Ok(Command::Run(c)) = parse(&[], &[]) else {
            panic!("defaults must parse")
        };
        assert!(c.listen.ip().is_loopback());
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert_eq!(c.token, None);
    }

    #[test]
    fn flags_beat_environment() {
        let Ok(Command::Run(c)) = parse(
            &[
                "--listen",
                "127.0.0.1:28082",
                "--broker=tcp://127.0.0.1:29092",
                "--max-in-flight",
                "3",
            ],
            &[
                ("EP_GATEWAY_LISTEN", "127.0.0.1:1"),
                ("EP_GATEWAY_TOKEN", "s3cret"),
            ],
        ) else {
            panic!("must parse")
        };
        assert_eq!(c.listen.port(), 28082);
        assert_eq!(c.brokers, vec!["127.0.0.1:29092".to_string()]);
        assert_eq!(c.max_in_flight, 3);
        assert_eq!(c.token.as_deref(), Some("s3cret"));
        assert_eq!(c.topics, None);
        let Ok(Command::Run(c)) = parse(&[], &[("EP_GATEWAY_TOPICS", "ep-events, ep-other")])
        else {
            panic!("must parse")
        };
        assert_eq!(
            c.topics,
            Some(vec!["ep-events".to_string(), "ep-other".to_string()])
        );
    }

    #[test]
    fn bad_input_is_refused_with_the_flag_named() {
        let cases: &[(&[&str], &str)] = &[
            (&["--listen", "nowhere"], "--listen"),
            (&["--max-body", "0"], "--max-body"),
            (&["--max-in-flight", "-1"], "--max-in-flight"),
            (&["--token", ""], "--token"),
            (&["--cluster-id", "a/b"], "--cluster-id"),
            (&["--topics", ","], "--topics"),
            (&["--topics", "ep-events,../x"], "--topics"),
            (&["--topics", "__consumer_offsets"], "--topics"),
            (&["--bogus", "1"], "--bogus"),
            (&["--broker"], "--broker"),
            (&["stray"], "stray"),
        ];
        for (args, needle) in cases {
            match parse(args, &[]) {
                Err(e) => assert!(e.contains(needle), "{args:?}: {e}"),
                Ok(c) => panic!("{args:?} was accepted: {c:?}"),
            }
        }
        assert_eq!(parse(&["--help"], &[]), Ok(Command::Help));
    }
}
