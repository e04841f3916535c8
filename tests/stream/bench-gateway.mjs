// Gateway throughput benchmark (not a test): posts synthetic events to a running ep-gateway
// with the v2 API at several batch sizes and concurrencies, and prints one JSON object with
// events/s, requests/s and latency percentiles per configuration. The load generator shares
// the machine with the gateway and the broker, so numbers are a floor, not a ceiling.
//
//   node bench-gateway.mjs --url http://127.0.0.1:28082 --topic ep-events [--events 20000] [--token T]
import { makeEvents } from "./events.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const url = (args.url || "http://127.0.0.1:28082").replace(/\/$/, "");
const topic = args.topic || "ep-events";
const total = Number(args.events || 20000);
const token = args.token || process.env.EP_GATEWAY_TOKEN || "";

const CONFIGS = [
  { batch: 1, concurrency: 8 },
  { batch: 50, concurrency: 1 },
  { batch: 50, concurrency: 8 },
  { batch: 500, concurrency: 4 },
];

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}

async function run({ batch, concurrency }) {
  const n = batch === 1 ? Math.min(total, 5000) : total;
  const events = makeEvents(n, 200);
  const bodies = [];
  for (let i = 0; i < events.length; i += batch) {
    bodies.push(JSON.stringify({ records: events.slice(i, i + batch).map((e) => ({ key: e.sessionId, value: e })) }));
  }
  const headers = { "content-type": "application/vnd.kafka.json.v2+json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const latencies = [];
  let next = 0, refused = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      for (;;) {
        const t0 = performance.now();
        const res = await fetch(`${url}/topics/${topic}`, { method: "POST", headers, body });
        const text = await res.text();
        if (res.status === 429) { refused++; await new Promise((r) => setTimeout(r, 50)); continue; }
        if (res.status !== 200 || text.includes('"error_code":1') || text.includes('"error_code":2')) {
          throw new Error(`gateway answered ${res.status}: ${text.slice(0, 200)}`);
        }
        latencies.push(performance.now() - t0);
        break;
      }
    }
  }));
  const secs = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    batch, concurrency, events: n, requests: bodies.length, refused429: refused,
    eventsPerSec: Math.round(n / secs), requestsPerSec: Math.round(bodies.length / secs),
    latencyMs: { p50: +pct(latencies, 50).toFixed(2), p99: +pct(latencies, 99).toFixed(2) },
  };
}

const results = [];
for (const c of CONFIGS) results.push(await run(c));
console.log(JSON.stringify({ gateway: url, topic, results }, null, 1));
