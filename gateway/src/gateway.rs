//! The gateway's shared state and the produce path between HTTP and Kafka: admission
//! (backpressure), partition choice, grouping by partition, and per-record outcomes.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rskafka::record::Record;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api::{OutRecord, Outcome};
use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::kafka::Kafka;
use crate::murmur2::partition_for_key;

/// Counters shown by `/healthz`.
#[derive(Default)]
pub struct Stats {
    pub records_written: AtomicU64,
    pub records_failed: AtomicU64,
    pub requests_refused_busy: AtomicU64,
}

/// Shared by every connection.
pub struct Gateway {
    pub config: Config,
    pub kafka: Kafka,
    pub stats: Stats,
    in_flight: Arc<Semaphore>,
    /// Spreads keyless records over partitions.
    round_robin: AtomicU32,
}

impl Gateway {
    pub fn new(config: Config) -> Self {
        let kafka = Kafka::new(config.brokers.clone(), config.produce_timeout);
        Gateway {
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
            kafka,
            stats: Stats::default(),
            round_robin: AtomicU32::new(0),
        }
    }

    /// Takes one of the `max_in_flight` produce slots, or refuses at once with 429: a proxy
    /// that queues without bound turns a slow broker into unbounded memory and latency.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        Arc::clone(&self.in_flight)
            .try_acquire_owned()
            .map_err(|_| {
                self.stats
                    .requests_refused_busy
                    .fetch_add(1, Ordering::Relaxed);
                ApiError::new(
                    ErrorCode::TooManyRequests,
                    format!(
                        "Too many produce requests in flight (limit {}); retry later",
                        self.config.max_in_flight
                    ),
                )
            })
    }

    /// Whether `topic` may be produced to or listed: a legal Kafka name (so nothing like a
    /// path or `..` reaches the broker), not internal (`__consumer_offsets` and the like hold
    /// the cluster's own state), and in `--topics` when that is set. Existence is checked
    /// later against the broker's full topic list, never by a lookup that could create it.
    pub fn topic_allowed(&self, topic: &str) -> bool {
        crate::api::valid_topic_name(topic)
            && !topic.starts_with("__")
            && self
                .config
                .topics
                .as_ref()
                .is_none_or(|allowed| allowed.iter().any(|t| t == topic))
    }

    /// Produce requests being processed now.
    pub fn in_flight(&self) -> usize {
        self.config
            .max_in_flight
            .saturating_sub(self.in_flight.available_permits())
    }

    /// Chooses each record's partition: the one asked for (checked), else murmur2 of the
    /// key bytes like the Java client, else round-robin for keyless records.
    pub fn assign_partitions(
        &self,
        records: &[OutRecord],
        partitions: u32,
    ) -> Result<Vec<i32>, ApiError> {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let p = match (r.partition, &r.key) {
                    (Some(p), _) => {
                        if u32::try_from(p).map_or(true, |p| p >= partitions) {
                            return Err(ApiError::new(
                                ErrorCode::InvalidPartition,
                                format!(
                                    "record {i}: partition {p} does not exist (the topic has {partitions})"
                                ),
                            ));
                        }
                        return Ok(p);
                    }
                    (None, Some(key)) => partition_for_key(key, partitions),
                    (None, None) => self.round_robin.fetch_add(1, Ordering::Relaxed) % partitions,
                };
                i32::try_from(p).map_err(|_| ApiError::new(ErrorCode::Internal, "partition overflow"))
            })
            .collect()
    }

    /// Writes `records` to `topic`. Request-level problems (unknown topic, bad partition,
    /// broker unreachable) are an `Err`; once records are sent, each gets its own outcome.
    /// Records for one partition go in one batch, in request order, so per-key order holds.
    pub async fn produce(
        &self,
        topic: &str,
        records: Vec<OutRecord>,
    ) -> Result<Vec<Outcome>, ApiError> {
        let partitions = self.kafka.partition_count(topic).await?;
        let assigned = self.assign_partitions(&records, partitions)?;
        let now = crate::now_utc();

        // partition -> (indices into `records`, Kafka records)
        let mut groups: BTreeMap<i32, (Vec<usize>, Vec<Record>)> = BTreeMap::new();
        let mut stamps: Vec<DateTime<Utc>> = Vec::with_capacity(records.len());
        for ((i, r), p) in records
            .into_iter()
            .enumerate()
            .zip(assigned.iter().copied())
        {
            let timestamp = r.timestamp.unwrap_or(now);
            stamps.push(timestamp);
            let g = groups.entry(p).or_default();
            g.0.push(i);
            g.1.push(Record {
                key: r.key,
                value: r.value,
                headers: r.headers,
                timestamp,
            });
        }

        let sends = groups.into_iter().map(|(p, (indices, batch))| async move {
            (p, indices, self.kafka.produce(topic, p, batch).await)
        });
        let results = futures::future::join_all(sends).await;

        let mut outcomes: Vec<Option<Outcome>> = vec![None; assigned.len()];
        for (partition, indices, result) in results {
            match result {
                Ok(offsets) => {
                    self.stats
                        .records_written
                        .fetch_add(indices.len() as u64, Ordering::Relaxed);
                    for (i, offset) in indices.into_iter().zip(offsets) {
                        let timestamp = stamps.get(i).copied().unwrap_or(now);
                        if let Some(slot) = outcomes.get_mut(i) {
                            *slot = Some(Outcome::Written {
                                partition,
                                offset,
                                timestamp,
                            });
                        }
                    }
                }
                Err(error) => {
                    self.stats
                        .records_failed
                        .fetch_add(indices.len() as u64, Ordering::Relaxed);
                    eprintln!(
                        "ep-gateway: produce to {topic}/{partition} failed: {}",
                        error.message
                    );
                    for i in indices {
                        if let Some(slot) = outcomes.get_mut(i) {
                            *slot = Some(Outcome::Failed {
                                partition,
                                error: error.clone(),
                            });
                        }
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| ApiError::new(ErrorCode::Internal, "a record got no outcome")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn rec(key: Option<&str>, partition: Option<i32>) -> OutRecord {
        OutRecord {
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(b"{}".to_vec()),
            partition,
            headers: BTreeMap::new(),
            timestamp: None,
            key_type: None,
            value_type: None,
        }
    }

    fn gateway(max_in_flight: usize) -> Gateway {
        Gateway::new(Config {
            max_in_flight,
            ..Config::default()
        })
    }

    #[test]
    fn partitions_follow_key_hash_explicit_choice_and_round_robin() {
        let g = gateway(4);
        let records = [
            rec(Some("foobar"), None),
            rec(Some("foobar"), Some(0)),
            rec(None, None),
            rec(None, None),
        ];
        let Ok(p) = g.assign_partitions(&records, 50) else {
            panic!("valid")
        };
        assert_eq!(p[0], 16); // the Java client's placement of "foobar" over 50 partitions
        assert_eq!(p[1], 0);
        assert_ne!(p[2], p[3], "keyless records rotate");
    }

    #[test]
    fn topic_names_are_checked_before_the_broker_sees_them() {
        let open = gateway(1);
        for ok in ["ep-events", "a.b_c-1", &"t".repeat(249)] {
            assert!(open.topic_allowed(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../ep-events",
            "%2e%2e",
            "a/b",
            "a%2Fb",
            "ep events",
            "ep-events\0",
            "épreuve",
            "__consumer_offsets",
            "__transaction_state",
            &"t".repeat(250),
        ] {
            assert!(!open.topic_allowed(bad), "{bad:?}");
        }
        let only = Gateway::new(Config {
            topics: Some(vec!["ep-events".to_string()]),
            ..Config::default()
        });
        assert!(only.topic_allowed("ep-events"));
        assert!(!only.topic_allowed("ep-other"));
        assert!(!only.topic_allowed("ep-events-dlq"));
    }

    #[test]
    fn a_partition_beyond_the_topic_is_refused() {
        let g = gateway(4);
        match g.assign_partitions(&[rec(Some("a"), None), rec(None, Some(3))], 3) {
            Err(e) => assert_eq!(e.code.code(), 42202),
            Ok(p) => panic!("accepted {p:?}"),
        }
    }

    #[test]
    fn admission_is_bounded_and_refuses_instead_of_queueing() {
        let g = gateway(2);
        let a = g.admit();
        let b = g.admit();
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(g.in_flight(), 2);
        match g.admit() {
            Err(e) => {
                assert_eq!(e.code.status(), 429);
                assert_eq!(e.retry_after, Some(1));
            }
            Ok(_) => panic!("a third request was admitted with a limit of 2"),
        }
        drop(a);
        assert!(g.admit().is_ok(), "a released slot is reusable");
        assert_eq!(g.stats.requests_refused_busy.load(Ordering::Relaxed), 1);
    }
}
