// Reads every record of a Kafka topic with kafkajs (a stock client, pinned 2.2.4) and
// prints statistics as one JSON line: how many records, how many distinct event ids,
// duplicates, records whose key is not the event's sessionId, records on another partition
// than the Java/kafkajs default partitioner would choose for their key, and, given the list
// of posted ids, which are missing or unexpected.
//
//   node consume.mjs --broker 127.0.0.1:29092 --topic ep-events --expect 5000 \
//        [--ids posted-ids.txt] [--timeout-ms 60000]
//
// No consumer group: Tansu's group joins take seconds to tens of seconds, so partitions are
// read directly with kafkajs' own cluster/broker Fetch (the code its consumer runs after the
// join). kafkajs keeps that layer behind a private symbol; the version is pinned exactly.
// Completion is decided by counting records, not by end offsets: Tansu reports a wrong end
// offset (the last batch's first offset + 1).
//
// Exit status: 0 when the read finished (whatever the numbers: the caller judges them),
// 1 on a usage or connection error.
import { readFileSync } from "node:fs";
import kafkajs from "kafkajs";

const { Kafka, logLevel, Partitioners } = kafkajs;

function parseArgs(argv) {
  const opts = { broker: "127.0.0.1:29092", topic: "ep-events", expect: 0, ids: null, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--broker": opts.broker = value(); break;
      case "--topic": opts.topic = value(); break;
      case "--expect": opts.expect = Number(value()); break;
      case "--ids": opts.ids = value(); break;
      case "--timeout-ms": opts.timeoutMs = Number(value()); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(opts.expect) || opts.expect < 0) throw new Error("--expect needs a count");
  return opts;
}

/** The key as the producer meant it: JSON-embedded keys arrive as JSON text ("\"s-1\""). */
function keyText(buf) {
  if (buf == null) return null;
  const s = buf.toString("utf8");
  try {
    const v = JSON.parse(s);
    return typeof v === "string" ? v : s;
  } catch {
    return s;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const kafka = new Kafka({
    clientId: "ep-stream-consume",
    brokers: [opts.broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });

  // Check the topic by listing all topics: asking Tansu for one topic by name creates it.
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics();
  if (!topics.includes(opts.topic)) {
    await admin.disconnect();
    throw new Error(`topic ${opts.topic} does not exist (topics: ${topics.join(", ") || "none"})`);
  }
  await admin.disconnect();

  const createCluster = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === "private:Kafka:createCluster",
  );
  if (!createCluster) throw new Error("this kafkajs has no cluster factory (expected kafkajs 2.2.4)");
  const cluster = kafka[createCluster]({ allowAutoTopicCreation: false });
  await cluster.connect();
  await cluster.addTargetTopic(opts.topic);
  const partitionMetadata = cluster.findTopicPartitionMetadata(opts.topic);
  const partitions = partitionMetadata.map((p) => p.partitionId).sort((a, b) => a - b);

  const placement = Partitioners.DefaultPartitioner();
  const wantIds = opts.ids
    ? readFileSync(opts.ids, "utf8").split("\n").map((l) => l.trim()).filter(Boolean)
    : null;

  const next = new Map(partitions.map((p) => [p, 0n]));
  const seen = new Map(); // id -> times seen
  const perPartition = Object.fromEntries(partitions.map((p) => [p, 0]));
  let count = 0, keyMismatches = 0, misplaced = 0, unparsable = 0, noId = 0;
  const examples = [];
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  let quietRounds = 0;

  while (Date.now() < deadline) {
    let got = 0;
    for (const p of partitions) {
      const leader = partitionMetadata.find((m) => m.partitionId === p).leader;
      const broker = await cluster.findBroker({ nodeId: String(leader) });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 16 * 1024 * 1024,
        topics: [{ topic: opts.topic, partitions: [{ partition: p, fetchOffset: String(next.get(p)), maxBytes: 8 * 1024 * 1024 }] }],
      });
      for (const t of res.responses) {
        for (const part of t.partitions) {
          if (part.errorCode) throw new Error(`fetch ${opts.topic}/${part.partition}: error code ${part.errorCode}`);
          for (const m of part.messages) {
            const offset = BigInt(m.offset);
            // A fetch may start inside a batch and return records before the asked offset.
            if (offset < next.get(p)) continue;
            next.set(p, offset + 1n);
            got++;
            count++;
            perPartition[p]++;
            let ev;
            try {
              ev = JSON.parse(m.value.toString("utf8"));
            } catch {
              unparsable++;
              continue;
            }
            const id = ev && typeof ev.id === "string" ? ev.id : null;
            if (id === null) noId++;
            else seen.set(id, (seen.get(id) || 0) + 1);
            const key = keyText(m.key);
            if (key !== ev.sessionId) {
              keyMismatches++;
              if (examples.length < 5) examples.push({ partition: p, offset: m.offset, key, sessionId: ev.sessionId });
            }
            if (m.key != null) {
              const want = placement({ topic: opts.topic, partitionMetadata, message: { key: m.key } });
              if (want !== p) misplaced++;
            }
          }
        }
      }
    }
    if (got === 0) {
      // Stop after two empty rounds once the expected count is reached (a third pass would
      // only find duplicates, and two empty rounds already show there are none pending).
      quietRounds++;
      if (count >= opts.expect && quietRounds >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    } else {
      quietRounds = 0;
    }
  }
  await cluster.disconnect();

  let duplicates = 0;
  for (const n of seen.values()) duplicates += n - 1;
  const stats = {
    topic: opts.topic,
    partitions: partitions.length,
    count,
    uniqueIds: seen.size,
    duplicates,
    keyMismatches,
    misplaced,
    unparsable,
    noId,
    perPartition,
    elapsedMs: Date.now() - started,
    timedOut: count < opts.expect,
  };
  if (wantIds) {
    const want = new Set(wantIds);
    stats.expectedIds = want.size;
    stats.missing = [...want].filter((id) => !seen.has(id)).length;
    stats.unexpected = [...seen.keys()].filter((id) => !want.has(id)).length;
    stats.missingExamples = [...want].filter((id) => !seen.has(id)).slice(0, 5);
  }
  if (examples.length) stats.keyMismatchExamples = examples;
  console.log(JSON.stringify(stats));
}

main().catch((e) => {
  console.error(`consume: ${e.message}`);
  process.exit(1);
});
