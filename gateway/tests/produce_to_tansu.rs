//! End to end through the real pieces: a Tansu broker (scripts/stream/ensure-broker.sh
//! installs it) and the ep-gateway binary, on free loopback ports. Records are produced over
//! HTTP with v2 and v3, then read back from the broker with rskafka and checked record by
//! record: key, value, and the partition Java's murmur2 placement predicts.

use std::process::{Command, Stdio};

use ep_gateway::murmur2::partition_for_key;
use rskafka::client::partition::UnknownTopicHandling;
use rskafka::client::ClientBuilder;
use serde_json::{json, Value};

mod common;
use common::{free_port, request, wait_port, Broker, Proc, Reply};

const TOKEN: &str = "it-secret-token";
const TOPIC: &str = "it-events";

fn auth() -> String {
    format!("Bearer {TOKEN}")
}

fn post_v2(port: u16, topic: &str, body: &Value) -> Reply {
    let a = auth();
    request(
        port,
        "POST",
        &format!("/topics/{topic}"),
        &[
            ("Content-Type", "application/vnd.kafka.json.v2+json"),
            ("Authorization", &a),
        ],
        body.to_string().as_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produces_through_the_gateway_into_tansu() {
    let broker = Broker::start();
    broker.create_topic(TOPIC, 3);
    let broker_port = broker.port;
    let gw_port = free_port();

    let _gateway = Proc(
        Command::new(env!("CARGO_BIN_EXE_ep-gateway"))
            .args([
                "--listen",
                &format!("127.0.0.1:{gw_port}"),
                "--broker",
                &format!("127.0.0.1:{broker_port}"),
                "--max-body",
                "65536",
                "--max-record",
                "2048",
                "--cluster-id",
                "it-cluster",
            ])
            .env("EP_GATEWAY_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ep-gateway"),
    );
    wait_port(gw_port);

    // Health needs no token; everything else does.
    let h = request(gw_port, "GET", "/healthz", &[], b"");
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["status"], "ok");
    let ct = [("Content-Type", "application/vnd.kafka.json.v2+json")];
    let one = json!({"records": [{"key": "s-x", "value": {"id": "x"}}]});
    let r = request(
        gw_port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &ct,
        one.to_string().as_bytes(),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (401, json!(40101))
    );
    assert!(r.head.contains("www-authenticate: bearer"));
    let r = request(
        gw_port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[ct[0], ("Authorization", "Bearer wrong")],
        one.to_string().as_bytes(),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (401, json!(40101))
    );

    // Wrong content type, unknown topic (which must not get created), bad partition, too large.
    let a = auth();
    let r = request(
        gw_port,
        "POST",
        &format!("/topics/{TOPIC}"),
        &[("Content-Type", "text/plain"), ("Authorization", &a)],
        one.to_string().as_bytes(),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (415, json!(415))
    );
    let r = post_v2(gw_port, "no-such-topic", &one);
    assert_eq!(
        r.json(),
        json!({"error_code": 40401, "message": "Topic not found"})
    );
    assert_eq!(r.status, 404);
    let topics = request(gw_port, "GET", "/topics", &[("Authorization", &a)], b"");
    assert_eq!(topics.status, 200);
    assert_eq!(
        topics.json(),
        json!([TOPIC]),
        "asking for a missing topic must not create it"
    );
    let r = post_v2(
        gw_port,
        TOPIC,
        &json!({"records": [{"value": 1, "partition": 3}]}),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (422, json!(42202))
    );
    let r = post_v2(
        gw_port,
        TOPIC,
        &json!({"records": [{"value": "x".repeat(3000)}]}),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (422, json!(42201))
    );
    let r = post_v2(
        gw_port,
        TOPIC,
        &json!({"records": (0..40).map(|_| json!({"value": "x".repeat(2000)})).collect::<Vec<_>>()}),
    );
    assert_eq!(
        (r.status, r.json()["error_code"].clone()),
        (413, json!(413))
    );

    // v2: 300 events over 60 sessions in three requests.
    let mut expected: Vec<(Vec<u8>, Vec<u8>, i32)> = Vec::new(); // key, value, partition
    for batch in 0..3 {
        let records: Vec<Value> = (0..100)
            .map(|i| {
                let n = batch * 100 + i;
                let sid = format!("s-{}", n % 60);
                json!({"key": sid, "value": {"id": format!("ev-{n:04}"), "type": "page_view", "sessionId": sid, "ts": 1_795_672_800_000u64 + n as u64}})
            })
            .collect();
        let r = post_v2(gw_port, TOPIC, &json!({ "records": records }));
        assert_eq!(r.status, 200, "{}", r.body);
        let body = r.json();
        let offsets = body["offsets"].as_array().expect("offsets");
        assert_eq!(offsets.len(), 100);
        for (rec, off) in records.iter().zip(offsets) {
            let key = rec["key"].to_string().into_bytes();
            let want = partition_for_key(&key, 3) as i64;
            assert_eq!(
                off["partition"].as_i64(),
                Some(want),
                "placement of {key:?}"
            );
            assert!(
                off["offset"].as_i64().is_some() && off["error_code"].is_null(),
                "{off}"
            );
            expected.push((key, rec["value"].to_string().into_bytes(), want as i32));
        }
    }

    // v3: one record, STRING key and a header; then a wrong cluster id.
    let v3 = json!({"key": {"type": "STRING", "data": "s-v3"}, "value": {"type": "JSON", "data": {"id": "ev-v3"}},
                    "headers": [{"name": "event-id", "value": "ZXYtdjM="}]});
    let r = request(
        gw_port,
        "POST",
        &format!("/v3/clusters/it-cluster/topics/{TOPIC}/records"),
        &[("Content-Type", "application/json"), ("Authorization", &a)],
        v3.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rep = r.json();
    let p3 = partition_for_key(b"s-v3", 3) as i64;
    assert_eq!(
        (
            rep["error_code"].clone(),
            rep["cluster_id"].clone(),
            rep["topic_name"].clone()
        ),
        (json!(200), json!("it-cluster"), json!(TOPIC))
    );
    assert_eq!(rep["partition_id"].as_i64(), Some(p3));
    assert_eq!(rep["key"], json!({"type": "STRING", "size": 4}));
    assert_eq!(rep["value"], json!({"type": "JSON", "size": 14}));
    assert!(rep["offset"].as_i64().is_some() && rep["timestamp"].is_string());
    expected.push((b"s-v3".to_vec(), br#"{"id":"ev-v3"}"#.to_vec(), p3 as i32));
    let r = request(
        gw_port,
        "POST",
        &format!("/v3/clusters/other/topics/{TOPIC}/records"),
        &[("Content-Type", "application/json"), ("Authorization", &a)],
        v3.to_string().as_bytes(),
    );
    assert_eq!(r.status, 404);
    let clusters = request(
        gw_port,
        "GET",
        "/v3/clusters",
        &[("Authorization", &a)],
        b"",
    )
    .json();
    assert_eq!(clusters["data"][0]["cluster_id"], "it-cluster");

    // Read everything back from the broker and compare record by record.
    let client = ClientBuilder::new(vec![format!("127.0.0.1:{broker_port}")])
        .build()
        .await
        .expect("rskafka client");
    let mut seen: Vec<(Vec<u8>, Vec<u8>, i32)> = Vec::new();
    for partition in 0..3 {
        let pc = client
            .partition_client(TOPIC, partition, UnknownTopicHandling::Error)
            .await
            .expect("partition client");
        let mut offset = 0;
        loop {
            let (records, high_watermark) = pc
                .fetch_records(offset, 1..1_000_000, 200)
                .await
                .expect("fetch");
            for r in &records {
                seen.push((
                    r.record.key.clone().unwrap_or_default(),
                    r.record.value.clone().unwrap_or_default(),
                    partition,
                ));
                if r.record.key.as_deref() == Some(b"s-v3") {
                    assert_eq!(
                        r.record.headers.get("event-id").map(Vec::as_slice),
                        Some(&b"ev-v3"[..])
                    );
                }
                offset = r.offset + 1;
            }
            if records.is_empty() || offset >= high_watermark {
                break;
            }
        }
    }
    expected.sort();
    seen.sort();
    assert_eq!(
        seen.len(),
        301,
        "exactly the accepted records are in the topic, none of the refused"
    );
    assert_eq!(seen, expected);
}
