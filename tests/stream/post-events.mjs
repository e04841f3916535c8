// Posts synthetic events in batches, either straight to the gateway (Kafka REST Proxy v2) or
// to the Worker's /v1/collect, and writes the ids that were accepted to a file for
// consume.mjs. Prints one JSON line of statistics.
//
//   node post-events.mjs --target gateway --url http://127.0.0.1:28082 --topic ep-events \
//        --count 5000 --sessions 200 --batch 50 --concurrency 4 --ids-out posted-ids.txt
//   node post-events.mjs --target worker --url http://127.0.0.1:28787 --write-key KEY ...
//
// A batch refused with 429 or 503 is resent after its Retry-After (nothing of it was
// written). Any other failure, or a per-record error, stops the run with exit status 1:
// resending a partly written batch would create duplicates the check must not hide.
import { writeFileSync } from "node:fs";
import { makeEvents } from "./events.mjs";

function parseArgs(argv) {
  const o = { target: "gateway", url: "http://127.0.0.1:28082", topic: "ep-events", count: 5000, sessions: 200,
    batch: 50, concurrency: 4, idsOut: null, writeKey: process.env.EP_WRITE_KEY || "", token: process.env.EP_GATEWAY_TOKEN || "",
    origin: null, maxRetries: 50 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const v = () => (inline !== undefined ? inline : argv[++i]);
    switch (flag) {
      case "--target": o.target = v(); break;
      case "--url": o.url = v().replace(/\/$/, ""); break;
      case "--topic": o.topic = v(); break;
      case "--count": o.count = Number(v()); break;
      case "--sessions": o.sessions = Number(v()); break;
      case "--batch": o.batch = Number(v()); break;
      case "--concurrency": o.concurrency = Number(v()); break;
      case "--ids-out": o.idsOut = v(); break;
      case "--write-key": o.writeKey = v(); break;
      case "--token": o.token = v(); break;
      case "--origin": o.origin = v(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!["gateway", "worker"].includes(o.target)) throw new Error("--target is gateway or worker");
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One batch to the gateway; resolves to the number of records written. */
async function postGateway(o, events) {
  const headers = { "content-type": "application/vnd.kafka.json.v2+json" };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const body = JSON.stringify({ records: events.map((e) => ({ key: e.sessionId, value: e })) });
  const res = await fetch(`${o.url}/topics/${o.topic}`, { method: "POST", headers, body });
  const text = await res.text();
  if (res.status === 429 || res.status === 503) return { retryAfter: Number(res.headers.get("retry-after") || 1) };
  if (res.status !== 200) throw new Error(`gateway answered ${res.status}: ${text.slice(0, 300)}`);
  const offsets = JSON.parse(text).offsets;
  if (!Array.isArray(offsets) || offsets.length !== events.length) throw new Error(`gateway returned ${offsets?.length} offsets for ${events.length} records`);
  const failed = offsets.filter((x) => x.error_code !== null);
  if (failed.length) throw new Error(`gateway failed ${failed.length} records: ${JSON.stringify(failed[0])}`);
  return { accepted: events.map((e) => e.id) };
}

/** One batch to the Worker's /v1/collect. */
async function postWorker(o, events) {
  const headers = { "content-type": "application/json" };
  if (o.writeKey) headers["x-ep-write-key"] = o.writeKey;
  if (o.origin) headers.origin = o.origin;
  const res = await fetch(`${o.url}/v1/collect`, { method: "POST", headers, body: JSON.stringify({ events }) });
  const text = await res.text();
  if (res.status === 429 || res.status === 503) return { retryAfter: Number(res.headers.get("retry-after") || 1) };
  if (res.status < 200 || res.status > 299) throw new Error(`worker answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  const results = Array.isArray(body.results) ? body.results : null;
  if (!results || results.length !== events.length) throw new Error(`worker returned no per-event results: ${text.slice(0, 300)}`);
  const bad = results.filter((r) => r.status !== "accepted");
  if (bad.length) throw new Error(`worker rejected ${bad.length} events: ${JSON.stringify(bad[0])}`);
  return { accepted: results.map((r, i) => r.id ?? events[i].id) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const events = makeEvents(o.count, o.sessions);
  const batches = [];
  for (let i = 0; i < events.length; i += o.batch) batches.push(events.slice(i, i + o.batch));
  const post = o.target === "gateway" ? postGateway : postWorker;
  const accepted = [];
  let requests = 0, retries = 0, next = 0;
  const started = performance.now();

  async function lane() {
    while (next < batches.length) {
      const batch = batches[next++];
      for (let attempt = 0; ; attempt++) {
        requests++;
        const r = await post(o, batch);
        if (r.accepted) { accepted.push(...r.accepted); break; }
        if (attempt >= o.maxRetries) throw new Error(`batch still refused after ${attempt} retries`);
        retries++;
        await sleep(Math.max(0.05, r.retryAfter) * 1000);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  const elapsedMs = performance.now() - started;
  if (o.idsOut) writeFileSync(o.idsOut, accepted.join("\n") + "\n");
  console.log(JSON.stringify({
    target: o.target, posted: accepted.length, batches: batches.length, requests, retries,
    sessions: new Set(events.map((e) => e.sessionId)).size,
    elapsedMs: Math.round(elapsedMs), eventsPerSec: Math.round(accepted.length / (elapsedMs / 1000)),
  }));
}

main().catch((e) => {
  console.error(`post-events: ${e.message}`);
  process.exit(1);
});
