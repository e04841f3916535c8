// POST /v1/collect: per-event results from the core, enrichment, forwarding.
import { env, createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, it, expect } from "vitest";
import worker from "../src/index.js";
import { hashUserId } from "../src/privacy.js";
import { BASE, ORIGIN, WRITE_KEY, event, freshIp, freshSession, post } from "./helpers.js";
import { TEST_BINDINGS } from "./bindings.js";

/** Calls the Worker directly with a recording queue in front of the real one. */
async function collectDirect(body, { cf, headers = {} } = {}) {
  const sent = [];
  const queue = {
    async sendBatch(batch) {
      sent.push(...batch);
      return env.EVENTS_QUEUE.sendBatch(batch);
    },
  };
  const request = new Request(BASE + "/v1/collect", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-ep-write-key": WRITE_KEY,
      origin: ORIGIN,
      "cf-connecting-ip": freshIp(),
      ...headers,
    },
    body: JSON.stringify(body),
    cf,
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, EVENTS_QUEUE: queue }, ctx);
  await waitOnExecutionContext(ctx);
  return { res, sent };
}

describe("POST /v1/collect", () => {
  it("rejects malformed JSON with 400 INVALID_JSON", async () => {
    const res = await post("/v1/collect", '{"events": [', { raw: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "INVALID_JSON", message: "request body is not valid JSON" } });
  });

  it("rejects a body that is not a batch", async () => {
    const res = await post("/v1/collect", { events: "nope" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("WRONG_TYPE");
  });

  it("accepts good events and rejects bad ones one by one, with the core's reasons", async () => {
    const sid = freshSession();
    const events = [
      event("product_view", sid, { id: "01JD0000000000000000000001" }),
      { type: "product_view", sessionId: sid }, // no item
      { type: "teleport", sessionId: sid },
      event("add_to_cart", sid, { id: "01JD0000000000000000000002" }),
      "not an event",
      event("search", sid, { ts: Date.now() + 24 * 3600 * 1000 }), // from the future
    ];
    const { res, sent } = await collectDirect({ events });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toBe(4);
    expect(body.results.map((r) => r.status)).toEqual([
      "accepted", "rejected", "rejected", "accepted", "rejected", "rejected",
    ]);
    expect(body.results[0].id).toBe("01JD0000000000000000000001");
    // Paths are the core's, located in the batch.
    expect(body.results[1].error).toMatchObject({ code: "MISSING_FIELD", path: "[1].item" });
    expect(body.results[2].error).toMatchObject({ code: "INVALID_VALUE", path: "[2].type" });
    expect(body.results[4].error).toMatchObject({ code: "WRONG_TYPE", path: "[4]" });
    expect(body.results[5].error).toMatchObject({ code: "BAD_TIMESTAMP", path: "[5].ts" });
    for (const r of body.results.filter((r) => r.status === "rejected")) {
      expect(typeof r.error.message).toBe("string");
      expect(r.error.message.length).toBeGreaterThan(0);
    }
    // Only the good ones are forwarded, in order.
    expect(sent.map((m) => m.body.id)).toEqual(["01JD0000000000000000000001", "01JD0000000000000000000002"]);
  });

  it("requires a session id on collected events (the Kafka key)", async () => {
    const { res, sent } = await collectDirect({ events: [{ type: "page_view" }] });
    const body = await res.json();
    expect(body.results[0].error).toMatchObject({ code: "MISSING_FIELD", path: "[0].sessionId" });
    expect(sent).toEqual([]);
  });

  it("gives every forwarded event an id and a timestamp", async () => {
    const sid = freshSession();
    const { res, sent } = await collectDirect({ events: [event("page_view", sid), event("page_view", sid)] });
    const body = await res.json();
    expect(body.accepted).toBe(2);
    const ids = sent.map((m) => m.body.id);
    expect(ids.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(2);
    expect(body.results.map((r) => r.id)).toEqual(ids);
    expect(sent.every((m) => typeof m.body.ts === "number")).toBe(true);
  });

  it("enriches with receive time, country and colo, and replaces client-sent values", async () => {
    const sid = freshSession();
    const before = Date.now();
    const { sent } = await collectDirect(
      { events: [event("page_view", sid, { country: "XX", colo: "NOPE" })] },
      { cf: { country: "DE", colo: "FRA", asn: 64500 } },
    );
    expect(sent).toHaveLength(1);
    const ev = sent[0].body;
    expect(ev.receivedAt).toBeGreaterThanOrEqual(before);
    expect(ev.country).toBe("DE");
    expect(ev.colo).toBe("FRA");
    expect(sent[0].contentType).toBe("json");
  });

  it("drops client-sent country and colo when the edge knows none", async () => {
    const { sent } = await collectDirect({ events: [event("page_view", freshSession(), { country: "XX", colo: "NOPE" })] });
    expect(sent[0].body.country).toBeUndefined();
    expect(sent[0].body.colo).toBeUndefined();
  });

  it("never forwards the client IP", async () => {
    const ip = "203.0.113.77";
    const { sent } = await collectDirect(
      { events: [event("page_view", freshSession())] },
      { headers: { "cf-connecting-ip": ip, "x-forwarded-for": ip } },
    );
    expect(JSON.stringify(sent)).not.toContain(ip);
  });

  it("hashes user ids with the secret salt (HMAC-SHA-256)", async () => {
    const { sent } = await collectDirect({ events: [event("page_view", freshSession(), { userId: "u-42" })] });
    const hashed = sent[0].body.userId;
    expect(hashed).toMatch(/^[0-9a-f]{64}$/);
    expect(hashed).toBe(await hashUserId("u-42", TEST_BINDINGS.USER_ID_SALT));
    expect(hashed).not.toBe(await hashUserId("u-42", "another-salt"));
    expect(JSON.stringify(sent)).not.toContain("u-42");
  });

  // Without USER_ID_SALT: see test/security.test.js (events carrying a userId are refused).

  it("splits large batches into queue-sized sends", async () => {
    const sid = freshSession();
    const events = Array.from({ length: 250 }, () => event("page_view", sid));
    const calls = [];
    const queue = { async sendBatch(b) { calls.push(b.length); } };
    const request = new Request(BASE + "/v1/collect", {
      method: "POST",
      headers: { "content-type": "application/json", "x-ep-write-key": WRITE_KEY, "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ events }),
    });
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, { ...env, EVENTS_QUEUE: queue }, ctx);
    await waitOnExecutionContext(ctx);
    expect((await res.json()).accepted).toBe(250);
    expect(calls).toEqual([100, 100, 50]);
  });

  it("tracks every session of a multi-session batch in its Durable Object", async () => {
    const a = freshSession();
    const b = freshSession();
    const view = (sid) => event("product_view", sid, { item: { id: "sku-6" } });
    const { res } = await collectDirect({ events: [view(a), view(b), view(a)] });
    expect((await res.json()).accepted).toBe(3);
    const stateOf = (sid) => env.SESSIONS.get(env.SESSIONS.idFromName(sid)).state(sid);
    const [sa, sb] = await Promise.all([stateOf(a), stateOf(b)]);
    expect(sa.sessionId).toBe(a);
    expect(sb.sessionId).toBe(b);
    expect(sa.recent).toHaveLength(2);
    expect(sb.recent).toHaveLength(1);
  });

  it("accepts a bare array of events", async () => {
    const res = await post("/v1/collect", [event("page_view", freshSession())]);
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(1);
  });
});
