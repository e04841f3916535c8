// Size and rate limits: 413 before reading too much, 429 with Retry-After.
import { SELF } from "cloudflare:test";
import { describe, it, expect } from "vitest";
import { BASE, ORIGIN, WRITE_KEY, event, freshIp, freshSession, post } from "./helpers.js";
import { RateLimiter } from "../src/ratelimit.js";
import { TEST_BINDINGS } from "./bindings.js";

const MAX_BODY = Number(TEST_BINDINGS.MAX_BODY_BYTES);

/** A body of exactly `n` bytes that is valid JSON if read in full. */
function jsonOfSize(n) {
  const head = '{"events":[],"pad":"';
  const tail = '"}';
  return head + "x".repeat(n - head.length - tail.length) + tail;
}

describe("body size", () => {
  it("accepts a body of exactly the limit", async () => {
    const res = await post("/v1/collect", jsonOfSize(MAX_BODY), { raw: true });
    expect(res.status).toBe(200);
  });

  it("refuses a body one byte over the limit (Content-Length)", async () => {
    const res = await post("/v1/collect", jsonOfSize(MAX_BODY + 1), { raw: true });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("TOO_LARGE");
  });

  it("refuses an oversize streamed body that declares no length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent >= 6) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
      cancel() {},
    });
    const res = await SELF.fetch(BASE + "/v1/collect", {
      method: "POST",
      headers: { "content-type": "application/json", "x-ep-write-key": WRITE_KEY, origin: ORIGIN, "cf-connecting-ip": freshIp() },
      body: stream,
      duplex: "half",
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("TOO_LARGE");
  });

  it("refuses more events than a batch may hold, before validating any", async () => {
    const sid = freshSession();
    const events = Array.from({ length: Number(TEST_BINDINGS.MAX_EVENTS_PER_BATCH) + 1 }, () => ({ type: "page_view", sessionId: sid }));
    const res = await post("/v1/collect", { events });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: { code: "TOO_LARGE", message: "a batch holds at most 500 events" } });
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once an IP has used its burst", async () => {
    const ip = freshIp();
    const burst = Number(TEST_BINDINGS.RATE_IP_BURST);
    const statuses = [];
    for (let i = 0; i < burst; i++) {
      const res = await post("/v1/collect", { events: [] }, { ip });
      statuses.push(res.status);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = await post("/v1/collect", { events: [] }, { ip });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect((await limited.json()).error.code).toBe("RATE_LIMITED");
    // Another address is not affected.
    expect((await post("/v1/collect", { events: [] })).status).toBe(200);
  });

  it("charges wrong-key requests to the IP budget too (key guessing is limited)", async () => {
    const ip = freshIp();
    const burst = Number(TEST_BINDINGS.RATE_IP_BURST);
    for (let i = 0; i < burst; i++) {
      const res = await post("/v1/collect", { events: [] }, { ip, headers: { "x-ep-write-key": `guess-${i}` } });
      expect(res.status).toBe(401);
    }
    const limited = await post("/v1/collect", { events: [] }, { ip });
    expect(limited.status).toBe(429);
  });

  it("answers 429 once a session has sent its burst of events, whatever the IP", async () => {
    const sid = freshSession();
    const burst = Number(TEST_BINDINGS.RATE_SESSION_BURST);
    const batch = Array.from({ length: burst / 2 }, () => event("page_view", sid));
    expect((await post("/v1/collect", { events: batch })).status).toBe(200);
    expect((await post("/v1/collect", { events: batch })).status).toBe(200);
    const limited = await post("/v1/collect", { events: [event("page_view", sid)] });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another session in the same moment is fine.
    expect((await post("/v1/collect", { events: [event("page_view", freshSession())] })).status).toBe(200);
  });

  it("limits /v1/decide per session", async () => {
    const sid = freshSession();
    const burst = Number(TEST_BINDINGS.RATE_SESSION_BURST);
    // Use up the session's budget with events, then decide.
    const batch = Array.from({ length: burst / 2 }, () => event("page_view", sid));
    await post("/v1/collect", { events: batch });
    await post("/v1/collect", { events: batch });
    const res = await post("/v1/decide", { sessionId: sid, slot: "home-recs", k: 3 });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).not.toBeNull();
  });
});

describe("RateLimiter (token buckets)", () => {
  const opts = { burst: 10, perSecond: 2, maxKeys: 3 };

  it("refills at its rate and says how long to wait", () => {
    const rl = new RateLimiter();
    expect(rl.take([{ key: "a", cost: 10 }], opts, 0)).toBe(0);
    expect(rl.take([{ key: "a", cost: 1 }], opts, 0)).toBe(1);
    expect(rl.take([{ key: "a", cost: 5 }], opts, 0)).toBe(3); // 5 tokens at 2/s
    expect(rl.take([{ key: "a", cost: 1 }], opts, 500)).toBe(0); // 1 token back after 0.5 s
  });

  it("charges all keys or none", () => {
    const rl = new RateLimiter();
    expect(rl.take([{ key: "a", cost: 9 }], opts, 0)).toBe(0);
    expect(rl.take([{ key: "a", cost: 2 }, { key: "b", cost: 2 }], opts, 0)).toBeGreaterThan(0);
    // b was not charged by the refused request.
    expect(rl.take([{ key: "b", cost: 10 }], opts, 0)).toBe(0);
  });

  it("keeps at most maxKeys buckets, dropping the least recently used", () => {
    const rl = new RateLimiter();
    for (const k of ["a", "b", "c", "d"]) rl.take([{ key: k, cost: 1 }], opts, 0);
    expect([...rl.buckets.keys()]).toEqual(["b", "c", "d"]);
  });
});
