// The queue consumer: Kafka REST v2/v3 produce, retries with backoff, dead letters.
import { env, createMessageBatch, createExecutionContext, getQueueResult } from "cloudflare:test";
import { describe, it, expect, vi, afterEach } from "vitest";
import worker from "../src/index.js";
import { backoffSeconds } from "../src/sink.js";

const SINK = "http://sink.test:8082";
const realFetch = globalThis.fetch;

function ev(i, sessionId = "s-q") {
  return { id: `01JDQ${String(i).padStart(21, "0")}`, type: "page_view", sessionId, ts: 1764135000000 + i, receivedAt: 1764135000500 + i };
}

function messages(events, attempts = 1) {
  return events.map((body, i) => ({ id: `m${i}`, timestamp: new Date(1764135000000), attempts, body }));
}

/**
 * Runs the consumer on a batch. getQueueResult reports which messages were
 * acked or retried; the retry delays are read from spies on each message.
 */
async function runBatch(queueName, msgs, envOverrides = {}) {
  const batch = createMessageBatch(queueName, msgs);
  const delays = {};
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    vi.spyOn(m, "retry").mockImplementation((opts) => {
      delays[m.id] = opts ? opts.delaySeconds : undefined;
      return retry(opts);
    });
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...envOverrides }, ctx);
  const result = await getQueueResult(batch, ctx);
  result.retryMessages = result.retryMessages.map(({ msgId }) => ({ msgId, delaySeconds: delays[msgId] }));
  return result;
}

/** Intercepts requests to the fake sink host only; returns the recorded requests. */
function sinkAnswers(answer) {
  const seen = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(SINK)) return realFetch(input, init);
    const body = await req.text();
    seen.push({ url: req.url, method: req.method, headers: Object.fromEntries(req.headers), body: JSON.parse(body) });
    return answer(seen.at(-1), seen.length);
  });
  return seen;
}

const json = (obj, status = 200) => new Response(JSON.stringify(obj), { status, headers: { "content-type": "application/vnd.kafka.v2+json" } });

afterEach(() => vi.restoreAllMocks());

describe("backoff", () => {
  it.each([
    [1, 2], [2, 4], [3, 8], [5, 32], [9, 300], [40, 300],
  ])("attempt %i waits %i s (base 2, cap 300)", (attempts, secs) => {
    expect(backoffSeconds(attempts, 2, 300)).toBe(secs);
  });
});

describe("queue consumer, v2", () => {
  it("produces one keyed record per event in one request and acks them", async () => {
    const events = [ev(1, "s-a"), ev(2, "s-b"), ev(3, "s-a")];
    const seen = sinkAnswers((r) => json({ key_schema_id: null, value_schema_id: null,
      offsets: r.body.records.map((_, i) => ({ partition: 0, offset: i, error_code: null, error: null })) }));
    const result = await runBatch("ep-events", messages(events), { SINK_URL: SINK, SINK_TOPIC: "ep-events" });
    expect(result.ackAll).toBe(false);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe(`${SINK}/topics/ep-events`);
    expect(seen[0].method).toBe("POST");
    expect(seen[0].headers["content-type"]).toBe("application/vnd.kafka.json.v2+json");
    expect(seen[0].headers.authorization).toBe("Bearer test-sink-token");
    expect(seen[0].body).toEqual({ records: events.map((e) => ({ key: e.sessionId, value: e })) });
  });

  it("retries only the records the proxy refused", async () => {
    sinkAnswers(() => json({ offsets: [
      { partition: 0, offset: 7, error_code: null, error: null },
      { partition: null, offset: null, error_code: 50003, error: "broker not available" },
    ] }));
    const result = await runBatch("ep-events", messages([ev(1), ev(2)], 3), {
      SINK_URL: SINK, SINK_RETRY_BASE_SECONDS: "2", SINK_RETRY_MAX_SECONDS: "300",
    });
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(result.retryMessages).toEqual([{ msgId: "m1", delaySeconds: 8 }]);
  });

  it.each([[500], [503], [429], [401], [404]])("retries the whole batch with backoff on HTTP %i", async (status) => {
    sinkAnswers(() => json({ error_code: status * 100, message: "no" }, status));
    const result = await runBatch("ep-events", messages([ev(1), ev(2)], 2), {
      SINK_URL: SINK, SINK_RETRY_BASE_SECONDS: "2", SINK_RETRY_MAX_SECONDS: "300",
    });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m0", delaySeconds: 4 }, { msgId: "m1", delaySeconds: 4 }]);
  });

  it("retries when the proxy cannot be reached (nothing listens on the port)", async () => {
    const result = await runBatch("ep-events", messages([ev(1)], 1), {
      SINK_URL: "http://127.0.0.1:9", SINK_RETRY_BASE_SECONDS: "5", SINK_RETRY_MAX_SECONDS: "300",
    });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "m0", delaySeconds: 5 }]);
  });

  it("retries an answer it cannot match to the records", async () => {
    sinkAnswers(() => json({ offsets: [] }));
    const result = await runBatch("ep-events", messages([ev(1)]), { SINK_URL: SINK });
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
  });
});

describe("queue consumer, v3", () => {
  it("produces each record to the v3 records endpoint, in order per session", async () => {
    const seen = sinkAnswers((r, n) => json({ error_code: 200, cluster_id: "c1", topic_name: "ep-events", partition_id: 0, offset: n }));
    const events = [ev(1, "s-a"), ev(2, "s-a"), ev(3, "s-b")];
    const result = await runBatch("ep-events", messages(events), {
      SINK_URL: SINK, SINK_API: "v3", SINK_CLUSTER_ID: "c1", SINK_AUTH: "basic", SINK_TOKEN: "key:secret",
    });
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(seen.map((r) => r.url)).toEqual(Array(3).fill(`${SINK}/v3/clusters/c1/topics/ep-events/records`));
    expect(seen[0].headers["content-type"]).toBe("application/json");
    expect(seen[0].headers.authorization).toBe("Basic " + btoa("key:secret"));
    const sA = seen.filter((r) => r.body.key.data === "s-a").map((r) => r.body.value.data.id);
    expect(sA).toEqual([events[0].id, events[1].id]);
    expect(seen[0].body).toEqual({ key: { type: "JSON", data: "s-a" }, value: { type: "JSON", data: events[0] } });
  });

  it("holds a session's later records back when an earlier one fails", async () => {
    sinkAnswers((r) => (r.body.value.data.id === ev(1).id ? json({ error_code: 500, message: "x" }, 500) : json({ error_code: 200, offset: 1 })));
    const result = await runBatch("ep-events", messages([ev(1, "s-a"), ev(2, "s-a"), ev(3, "s-b")]), {
      SINK_URL: SINK, SINK_API: "v3", SINK_CLUSTER_ID: "c1", SINK_RETRY_BASE_SECONDS: "1", SINK_RETRY_MAX_SECONDS: "300",
    });
    expect(result.explicitAcks).toEqual(["m2"]);
    expect(result.retryMessages).toEqual([{ msgId: "m0", delaySeconds: 1 }, { msgId: "m1", delaySeconds: 1 }]);
  });
});

describe("dead letters", () => {
  it("keeps dead-lettered events in KV and acks them", async () => {
    const e = ev(99, "s-dead");
    const result = await runBatch("ep-events-dlq", [{ id: "d0", timestamp: new Date(), attempts: 6, body: e }]);
    expect(result.explicitAcks).toEqual(["d0"]);
    const kept = await env.DEAD_LETTERS.get(`dead:${e.id}`, "json");
    expect(kept.event).toEqual(e);
    expect(kept.attempts).toBe(6);
  });

  it("moves an event that never reaches the sink to the dead-letter queue after max_retries", async () => {
    // The real local queue: consumer -> unreachable sink (SINK_URL in the test bindings)
    // -> retried (no delay in tests) -> after max_retries the dead-letter queue -> KV.
    const e = { ...ev(1234, "s-never"), id: "01JDDEADLETTER000000000001" };
    await env.EVENTS_QUEUE.send(e, { contentType: "json" });
    let kept = null;
    for (let i = 0; i < 100 && kept === null; i++) {
      await new Promise((r) => setTimeout(r, 250));
      kept = await env.DEAD_LETTERS.get(`dead:${e.id}`, "json");
    }
    expect(kept).not.toBeNull();
    expect(kept.event).toEqual(e);
  });
});
