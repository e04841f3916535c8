//! ep-gateway: an HTTP ingestion gateway speaking the Kafka REST Proxy produce API.
//!
//! The edge Worker delivers events with the same requests it would send to Confluent REST
//! Proxy, Confluent Cloud or Redpanda's HTTP proxy; locally, this gateway answers them and
//! writes to a Kafka-protocol broker (Tansu in tests and the demo).
//!
//! Supported: v2 `POST /topics/{topic}` and `GET /topics`; v3
//! `POST /v3/clusters/{id}/topics/{topic}/records`, `GET /v3/clusters[/{id}]`; `GET /healthz`.
//! JSON embedded format (v3 also STRING and BINARY). Bounded bodies, bounded in-flight
//! produces (429 + Retry-After beyond), optional Bearer token, loopback by default.
//! See `gateway/README.md` for the request and response shapes.

pub mod api;
pub mod config;
pub mod error;
pub mod gateway;
pub mod kafka;
pub mod murmur2;
pub mod server;

/// The wall clock as a chrono timestamp (chrono's own clock feature is not compiled in).
pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
