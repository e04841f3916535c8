// The queue consumer: delivers enriched events to Kafka through the Kafka
// REST Proxy produce API, so the same code works against our gateway,
// Confluent REST Proxy / Confluent Cloud and Redpanda's HTTP proxy.
//
//   v2 (default): POST {SINK_URL}/topics/{topic}
//                 application/vnd.kafka.json.v2+json {"records":[{key,value}]}
//                 one request per batch; per-record errors in `offsets`.
//   v3 (SINK_API=v3): POST {SINK_URL}/v3/clusters/{SINK_CLUSTER_ID}/topics/{topic}/records
//                 one record per request; a session's records go one after
//                 another so their order holds, sessions go in parallel.
//
// Records are keyed by session id (Kafka keeps a key's records in order) and
// the value is the enriched event, which carries its id for de-duplication
// downstream: delivery is at least once. A message that fails is retried by
// the queue with exponential backoff (msg.retry({ delaySeconds })); after
// max_retries (wrangler.toml) the queue moves it to the dead-letter queue,
// whose consumer (below) keeps it in KV for inspection and replay.

import { settings } from "./settings.js";

const V3_PARALLEL_KEYS = 6;
const DEAD_LETTER_TTL_SECONDS = 7 * 24 * 3600;

/** Seconds to wait before attempt `attempts + 1`: base * 2^(attempts-1), capped. */
export function backoffSeconds(attempts, base, max) {
  const n = Math.max(1, attempts | 0);
  return Math.min(max, Math.round(base * 2 ** (n - 1)));
}

function authHeader(sink) {
  if (!sink.token) return {};
  return sink.auth === "basic"
    ? { authorization: "Basic " + btoa(sink.token) }
    : { authorization: "Bearer " + sink.token };
}

function keyOf(event) {
  return event && typeof event.sessionId === "string" ? event.sessionId : null;
}

/** Produces all messages in one v2 request; returns a per-message ok list. */
async function produceV2(sink, messages) {
  const url = `${sink.url}/topics/${encodeURIComponent(sink.topic)}`;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/vnd.kafka.json.v2+json",
      accept: "application/vnd.kafka.v2+json, application/json",
      ...authHeader(sink),
    },
    body: JSON.stringify({ records: messages.map((m) => ({ key: keyOf(m.body), value: m.body })) }),
    signal: AbortSignal.timeout(sink.timeoutMs),
  });
  if (!res.ok) {
    await res.body?.cancel();
    return { ok: messages.map(() => false), reason: `HTTP ${res.status}` };
  }
  const body = await res.json().catch(() => null);
  const offsets = body && Array.isArray(body.offsets) ? body.offsets : null;
  if (!offsets || offsets.length !== messages.length) {
    return { ok: messages.map(() => false), reason: "unexpected produce response" };
  }
  return {
    ok: offsets.map((o) => o && (o.error_code === null || o.error_code === undefined) && o.error == null),
    reason: "record error",
  };
}

async function produceOneV3(sink, message) {
  const url = `${sink.url}/v3/clusters/${encodeURIComponent(sink.clusterId)}/topics/${encodeURIComponent(sink.topic)}/records`;
  const key = keyOf(message.body);
  const record = { value: { type: "JSON", data: message.body } };
  if (key !== null) record.key = { type: "JSON", data: key };
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...authHeader(sink) },
    body: JSON.stringify(record),
    signal: AbortSignal.timeout(sink.timeoutMs),
  });
  if (!res.ok) {
    await res.body?.cancel();
    return false;
  }
  const body = await res.json().catch(() => null);
  return !!body && (body.error_code === undefined || body.error_code === 200);
}

/** Produces with v3: per-session sequences in parallel, records in order within one. */
async function produceV3(sink, messages) {
  const ok = messages.map(() => false);
  const byKey = new Map();
  messages.forEach((m, i) => {
    const k = keyOf(m.body) ?? "";
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k).push(i);
  });
  const queues = [...byKey.values()];
  async function lane() {
    for (;;) {
      const idxs = queues.shift();
      if (!idxs) return;
      for (const i of idxs) {
        // Once a record of a session fails, its later records wait too, so
        // they are not written ahead of it.
        ok[i] = await produceOneV3(sink, messages[i]).catch(() => false);
        if (!ok[i]) break;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(V3_PARALLEL_KEYS, queues.length) }, lane));
  return { ok, reason: "record error" };
}

/** Keeps dead letters in KV (`dead:<event id or message id>`) for a week. */
async function keepDeadLetters(batch, env) {
  for (const msg of batch.messages) {
    const id = msg.body && typeof msg.body.id === "string" ? msg.body.id : msg.id;
    try {
      if (env.DEAD_LETTERS) {
        await env.DEAD_LETTERS.put(
          `dead:${id}`,
          JSON.stringify({ event: msg.body, attempts: msg.attempts, deadAt: Date.now() }),
          { expirationTtl: DEAD_LETTER_TTL_SECONDS },
        );
      }
      console.warn("dead letter kept:", id);
      msg.ack();
    } catch (err) {
      console.error("dead letter not kept:", String(err));
      msg.retry();
    }
  }
}

/** The queue handler: main queue -> Kafka REST; dead-letter queue -> KV. */
export async function consume(batch, env) {
  if (env.DEAD_LETTER_QUEUE_NAME && batch.queue === env.DEAD_LETTER_QUEUE_NAME) {
    return keepDeadLetters(batch, env);
  }
  const { sink } = settings(env);
  const messages = batch.messages;
  let result;
  if (!sink.url) {
    result = { ok: messages.map(() => false), reason: "SINK_URL is not set" };
  } else {
    try {
      result = sink.api === "v3" ? await produceV3(sink, messages) : await produceV2(sink, messages);
    } catch (err) {
      result = { ok: messages.map(() => false), reason: String(err && err.message ? err.message : err) };
    }
  }
  let failed = 0;
  messages.forEach((m, i) => {
    if (result.ok[i]) {
      m.ack();
    } else {
      failed += 1;
      m.retry({ delaySeconds: backoffSeconds(m.attempts, sink.retryBaseSeconds, sink.retryMaxSeconds) });
    }
  });
  if (failed > 0) console.warn(`sink: ${failed}/${messages.length} records to retry (${result.reason})`);
}
