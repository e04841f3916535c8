//! The broker side: one lazily connected rskafka client, a topic-metadata cache and one
//! partition client per (topic, partition).
//!
//! Topic existence is checked by listing *all* topics, never by asking for one topic by name:
//! some brokers (Tansu among them) create a topic whenever its metadata is requested by name,
//! and a REST proxy must not create topics because of a typo in a URL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder};
use rskafka::record::Record;
use rskafka::BackoffConfig;
use tokio::sync::Mutex;

use crate::error::{classify_kafka_error, ApiError, ErrorCode, RecordError};

/// A topic that is present is re-checked this often (partition counts may grow).
const TOPIC_TTL: Duration = Duration::from_secs(30);
/// A topic that is absent is looked up again at most this often, so a flood of requests for
/// a missing topic costs one metadata request per interval, not one each.
const MISS_RECHECK: Duration = Duration::from_millis(500);

struct TopicCache {
    partitions: HashMap<String, u32>,
    fetched: Option<Instant>,
}

/// Access to the Kafka cluster for the gateway.
pub struct Kafka {
    brokers: Vec<String>,
    timeout: Duration,
    /// Held across a connection attempt, so concurrent requests share one attempt.
    client: Mutex<Option<Arc<Client>>>,
    /// Mirrors `client.is_some()` for readers that must not wait behind a connect.
    connected: AtomicBool,
    topics: Mutex<TopicCache>,
    partition_clients: Mutex<HashMap<(String, i32), Arc<PartitionClient>>>,
}

/// A retriable 503. The detail (rskafka's text, which names broker addresses) goes to the
/// gateway's log only; the client learns which step failed.
fn unavailable(what: &str, err: impl std::fmt::Display) -> ApiError {
    eprintln!("ep-gateway: Kafka unavailable ({what}): {err}");
    ApiError::new(
        ErrorCode::KafkaRetriable,
        format!("Kafka unavailable ({what})"),
    )
}

/// Classifies an rskafka error for the client, logging the whole of it here.
fn logged(what: &str, err: &rskafka::client::error::Error) -> RecordError {
    eprintln!("ep-gateway: Kafka {what} failed: {err}");
    classify_kafka_error(err)
}

impl Kafka {
    /// No connection is made until the first request needs one, so the gateway can start
    /// before the broker and recover when the broker comes back.
    pub fn new(brokers: Vec<String>, timeout: Duration) -> Self {
        Kafka {
            brokers,
            timeout,
            client: Mutex::new(None),
            connected: AtomicBool::new(false),
            topics: Mutex::new(TopicCache {
                partitions: HashMap::new(),
                fetched: None,
            }),
            partition_clients: Mutex::new(HashMap::new()),
        }
    }

    fn backoff(&self) -> BackoffConfig {
        BackoffConfig {
            init_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
            deadline: Some(self.timeout),
        }
    }

    /// Whether a client connection has been established (for the health endpoint, which
    /// must answer at once even while a request waits for the broker).
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    async fn client(&self) -> Result<Arc<Client>, ApiError> {
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(Arc::clone(c));
        }
        let build = ClientBuilder::new(self.brokers.clone())
            .client_id("ep-gateway")
            .backoff_config(self.backoff())
            .build();
        let client = match tokio::time::timeout(self.timeout, build).await {
            Ok(Ok(c)) => Arc::new(c),
            Ok(Err(e)) => return Err(unavailable("connect", e)),
            Err(_) => return Err(unavailable("connect", "timed out")),
        };
        *guard = Some(Arc::clone(&client));
        self.connected.store(true, Ordering::Relaxed);
        Ok(client)
    }

    async fn fetch_topics(&self) -> Result<HashMap<String, u32>, ApiError> {
        let client = self.client().await?;
        let topics = match tokio::time::timeout(self.timeout, client.list_topics()).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return Err(unavailable("metadata", e)),
            Err(_) => return Err(unavailable("metadata", "timed out")),
        };
        Ok(topics
            .into_iter()
            .map(|t| {
                (
                    t.name,
                    u32::try_from(t.partitions.len()).unwrap_or(u32::MAX),
                )
            })
            .collect())
    }

    /// Names of all topics (fresh from the broker).
    pub async fn list_topics(&self) -> Result<Vec<String>, ApiError> {
        let fresh = self.fetch_topics().await?;
        let mut names: Vec<String> = fresh.keys().cloned().collect();
        names.sort();
        let mut cache = self.topics.lock().await;
        cache.partitions = fresh;
        cache.fetched = Some(Instant::now());
        Ok(names)
    }

    /// The partition count of `topic`, or 404 when the broker has no such topic.
    pub async fn partition_count(&self, topic: &str) -> Result<u32, ApiError> {
        // Holding the lock across the refresh coalesces concurrent refreshes into one.
        let mut cache = self.topics.lock().await;
        let age = cache.fetched.map(|t| t.elapsed());
        let known = cache.partitions.get(topic).copied();
        let stale = match (known, age) {
            (_, None) => true,
            (Some(_), Some(age)) => age > TOPIC_TTL,
            (None, Some(age)) => age > MISS_RECHECK,
        };
        if stale {
            match self.fetch_topics().await {
                Ok(fresh) => {
                    cache.partitions = fresh;
                    cache.fetched = Some(Instant::now());
                }
                // A known topic keeps working from the cache while metadata is failing;
                // the produce itself will tell whether the broker is really gone.
                Err(e) if known.is_none() => return Err(e),
                Err(_) => {}
            }
        }
        match cache.partitions.get(topic) {
            Some(&n) if n > 0 => Ok(n),
            _ => Err(ApiError::topic_not_found()),
        }
    }

    async fn partition_client(
        &self,
        topic: &str,
        partition: i32,
    ) -> Result<Arc<PartitionClient>, RecordError> {
        let key = (topic.to_string(), partition);
        if let Some(pc) = self.partition_clients.lock().await.get(&key) {
            return Ok(Arc::clone(pc));
        }
        let client = self.client().await.map_err(|e| RecordError {
            retriable: true,
            message: e.message,
        })?;
        // `Error`, not `Retry`: the topic was just seen in the listing, and a deleted topic
        // should fail fast rather than retry until the deadline.
        let create = client.partition_client(topic, partition, UnknownTopicHandling::Error);
        let pc = match tokio::time::timeout(self.timeout, create).await {
            Ok(Ok(pc)) => Arc::new(pc),
            Ok(Err(e)) => return Err(logged("leader lookup", &e)),
            Err(_) => {
                return Err(RecordError {
                    retriable: true,
                    message: "Kafka unavailable (leader lookup): timed out".into(),
                })
            }
        };
        // Two requests may race to create the same client; keep the first, both work.
        let mut map = self.partition_clients.lock().await;
        Ok(Arc::clone(map.entry(key).or_insert(pc)))
    }

    /// Writes `records` to one partition, in order. Returns their offsets.
    /// rskafka always produces with acks=all, so an offset means the record is committed.
    pub async fn produce(
        &self,
        topic: &str,
        partition: i32,
        records: Vec<Record>,
    ) -> Result<Vec<i64>, RecordError> {
        let pc = self.partition_client(topic, partition).await?;
        let n = records.len();
        match tokio::time::timeout(
            self.timeout,
            pc.produce(records, Compression::NoCompression),
        )
        .await
        {
            Ok(Ok(offsets)) if offsets.len() == n => Ok(offsets),
            Ok(Ok(offsets)) => Err(RecordError {
                retriable: false,
                message: format!("Kafka returned {} offsets for {n} records", offsets.len()),
            }),
            Ok(Err(e)) => Err(logged("produce", &e)),
            Err(_) => Err(RecordError {
                retriable: true,
                message: "Kafka produce timed out".into(),
            }),
        }
    }
}
