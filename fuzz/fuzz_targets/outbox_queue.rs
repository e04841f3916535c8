//! The outbox's stored-queue decoding. After a reload the page reads its
//! stored records back and hands each `body` (event JSON text, possibly
//! damaged in storage) to `Outbox::enqueue`; collector answers (status,
//! Retry-After, body) come back through `on_response`. Both are fed here from
//! the input's lines, with sends and answers interleaved.
//!
//! The first line, when it is a valid outbox config, configures the outbox
//! (else a small one: 6 events, 2 KB, batches of 3, so bounds and drops are hit).
//!
//! Invariants (the outbox's promise, src/outbox/mod.rs): every event added
//! ends delivered, rejected, dropped (counted) or still waiting, none
//! vanishes; a batch body is JSON holding exactly its ids' events; unload
//! chunks are JSON, within their byte budget, and carry every queued event.
#![no_main]

use edge_personalize::json::{parse, Value};
use edge_personalize::outbox::{DropPolicy, Outbox, OutboxConfig};
use ep_fuzz::{check_error, NOW_MS};
use libfuzzer_sys::fuzz_target;

/// Statuses an answer can carry: success, per-event verdicts, the retryable
/// ones, a split, and the 4xx that reject a whole batch.
const STATUSES: [u16; 9] = [200, 207, 0, 429, 503, 413, 400, 401, 408];

fn small_config(policy_bit: u8) -> OutboxConfig {
    OutboxConfig {
        batch_events: 3,
        batch_bytes: 2048,
        max_events: 6,
        max_bytes: 2048,
        drop_policy: if policy_bit & 1 == 0 { DropPolicy::Oldest } else { DropPolicy::Newest },
        ..OutboxConfig::default()
    }
}

fn events_in(body: &str) -> usize {
    match parse(body) {
        Ok(v) => match v.get("events").and_then(Value::as_array) {
            Some(list) => list.len(),
            None => panic!("a request body without an events array: {body}"),
        },
        Err(e) => panic!("the outbox built a body that is not JSON ({e:?}): {body}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines: Vec<&str> = text.split('\n').collect();
    let config = match lines.first().map(|l| parse(l)) {
        Some(Ok(v)) => match OutboxConfig::from_value(&v) {
            Ok(c) => c,
            Err(e) => {
                check_error(&e);
                small_config(data.first().copied().unwrap_or(0))
            }
        },
        _ => small_config(data.first().copied().unwrap_or(0)),
    };
    let mut outbox = Outbox::new(config, 7);
    let mut added: u64 = 0;
    let mut now = NOW_MS;

    for (i, line) in lines.iter().enumerate() {
        now += 1_000.0;
        match outbox.enqueue(line, i % 3 == 0, now) {
            Ok(r) => {
                if !r.duplicate {
                    added += 1;
                }
            }
            Err(e) => check_error(&e),
        }
        if i % 2 == 1 {
            if let Some(batch) = outbox.next_batch(now, i % 4 == 1) {
                assert_eq!(events_in(&batch.body), batch.ids.len(), "batch body and ids disagree");
                let answer = lines.get(i + 1).copied().unwrap_or(line);
                let status = STATUSES[line.len() % STATUSES.len()];
                let retry_after = if line.len() % 5 == 0 { Some(line.len() as f64 - 3.0) } else { None };
                let out = outbox.on_response(batch.seq, status, retry_after, answer, now + 50.0);
                assert!(out.delivered.len() + out.rejected.len() <= batch.ids.len(), "an answer settled more events than it carried");
                if let Some(at) = out.retry_at_ms {
                    assert!(!at.is_nan(), "retry time is NaN");
                }
            }
        }
        if i % 7 == 6 {
            outbox.abandon_in_flight();
            now = now.max(outbox.next_wake_ms().unwrap_or(now));
        }
    }

    let status = outbox.status();
    let budget = 1024 + lines.len() * 7;
    let chunks = outbox.unload_chunks(budget);
    let mut in_chunks = 0;
    for chunk in &chunks {
        let n = events_in(chunk);
        assert!(n == 1 || chunk.len() <= budget, "an unload chunk of {} bytes over its {budget} budget", chunk.len());
        in_chunks += n;
    }
    assert_eq!(in_chunks, status.queued, "unload chunks do not carry every queued event");

    let waiting = (status.queued + status.in_flight) as u64;
    assert_eq!(
        added,
        status.delivered + status.rejected + status.dropped + waiting,
        "events vanished: added {added}, status {status:?}"
    );
    // Far in the future every queued event is too old: all become counted drops.
    let far = 30.0 * 86_400_000.0;
    outbox.expire(now + far);
    let after = outbox.status();
    if outbox.config().max_age_ms < far - lines.len() as f64 * 1_000.0 {
        assert_eq!(after.queued, 0, "expire kept queued events past their age");
    }
    assert_eq!(added, after.delivered + after.rejected + after.dropped + after.in_flight as u64, "expire lost events");
});
