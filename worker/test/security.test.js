// The Worker's security controls, one describe block per control, as listed in
// SECURITY.md. Everything runs in workerd against the real wasm core, the real
// SessionDO and the real queue; where a test needs to see what was queued it
// puts a recorder in front of the real queue binding.
import { SELF, env, createExecutionContext, waitOnExecutionContext, runInDurableObject, abortAllDurableObjects } from "cloudflare:test";
import { describe, it, expect, vi, afterEach } from "vitest";
import worker from "../src/index.js";
import { constantTimeEqual } from "../src/auth.js";
import { originAllowed } from "../src/cors.js";
import { forgetAssets } from "../src/assets.js";
import wranglerToml from "../../wrangler.toml?raw";
import { BASE, ORIGIN, WRITE_KEY, event, freshIp, freshSession, post } from "./helpers.js";
import { TEST_BINDINGS } from "./bindings.js";

afterEach(() => vi.restoreAllMocks());

/**
 * Calls the Worker's fetch handler directly with `envOverrides`, a recorder in
 * front of the real queue, and the execution context drained (background
 * sends included). Returns the response and every message handed to the queue.
 */
async function direct(path, { method = "POST", headers = {}, body, env: envOverrides = {}, cf } = {}) {
  const sent = [];
  const queue = {
    async sendBatch(batch) {
      sent.push(...batch);
      return env.EVENTS_QUEUE.sendBatch(batch);
    },
  };
  const init = {
    method,
    headers: Object.fromEntries(
      Object.entries({
        "content-type": "application/json",
        "x-ep-write-key": WRITE_KEY,
        origin: ORIGIN,
        "cf-connecting-ip": freshIp(),
        ...headers,
      }).filter(([, v]) => v !== undefined),
    ),
    cf,
  };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(BASE + path, init), { ...env, EVENTS_QUEUE: queue, ...envOverrides }, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, text, sent, json: () => JSON.parse(text) };
}

/** Asserts the uniform error body: `{ error: { code, message } }`, nothing else. */
function expectSafeError(text, code) {
  const body = JSON.parse(text);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message"]);
  expect(body.error.code).toBe(code);
  expect(body.error.code).toMatch(/^[A-Z_]+$/);
  expect(body.error.message.length).toBeLessThan(200);
  expect(text).not.toMatch(LEAK);
}

// What an internal leaks: stack frames, file paths, JS/wasm/Rust error names,
// binding and secret names, and the secret values themselves.
const LEAK = new RegExp(
  [
    String.raw`\bat \S+ \(`, String.raw`\.js\b`, String.raw`\.rs\b`, String.raw`\.mjs\b`, "/work/", "node_modules",
    String.raw`\bError: `, "TypeError", "RangeError", "ReferenceError", "RuntimeError", "unreachable", "panicked", "wasm", "stack",
    "SESSIONS", "EVENTS_QUEUE", "CONFIG_KV", "WRITE_KEY", "USER_ID_SALT", "SINK_TOKEN",
    TEST_BINDINGS.WRITE_KEY, TEST_BINDINGS.USER_ID_SALT, TEST_BINDINGS.SINK_TOKEN,
  ].join("|"),
  "i",
);

describe("control: write key (constant-time)", () => {
  it("constantTimeEqual: equal inputs match, equal-length different inputs do not", async () => {
    expect(await constantTimeEqual("k3y-Ω-value", "k3y-Ω-value")).toBe(true);
    expect(await constantTimeEqual("", "")).toBe(true);
    // Differences at the first, a middle and the last position, same length.
    for (const wrong of ["X3y-Ω-value", "k3y-Ω_value", "k3y-Ω-valuE", "k3y-Ψ-value"]) {
      expect(wrong.length).toBe("k3y-Ω-value".length);
      expect(await constantTimeEqual(wrong, "k3y-Ω-value")).toBe(false);
    }
  });

  it("constantTimeEqual: inputs of different lengths do not match and do not throw", async () => {
    const key = "k3y-Ω-value";
    for (const wrong of ["", "k", key.slice(0, -1), key + "x", key + key, "x".repeat(64 * 1024)]) {
      expect(await constantTimeEqual(wrong, key)).toBe(false);
      expect(await constantTimeEqual(key, wrong)).toBe(false);
    }
  });

  it("why the helper hashes first: the platform's timingSafeEqual refuses unequal lengths", () => {
    const enc = new TextEncoder();
    expect(() => crypto.subtle.timingSafeEqual(enc.encode("abc"), enc.encode("abcd"))).toThrow();
    expect(crypto.subtle.timingSafeEqual(enc.encode("abcd"), enc.encode("abcd"))).toBe(true);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["wrong, same length", WRITE_KEY.replace(/.$/, "X")],
    ["wrong, first character", "X" + WRITE_KEY.slice(1)],
    ["a prefix (shorter)", WRITE_KEY.slice(0, -1)],
    ["longer", WRITE_KEY + "-"],
    ["in another case", WRITE_KEY.toUpperCase()],
    ["16 KB of junk", "k".repeat(16 * 1024)],
  ])("answers 401 UNAUTHORIZED when the key is %s, and queues nothing", async (_name, key) => {
    const { res, text, sent } = await direct("/v1/collect", {
      headers: { "x-ep-write-key": key },
      body: { events: [event("page_view", freshSession())] },
    });
    expect(res.status).toBe(401);
    expectSafeError(text, "UNAUTHORIZED");
    expect(sent).toEqual([]);
  });

  it("accepts the right key", async () => {
    const { res, json, sent } = await direct("/v1/collect", { body: { events: [event("page_view", freshSession())] } });
    expect(res.status).toBe(200);
    expect(json().accepted).toBe(1);
    expect(sent).toHaveLength(1);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["only spaces", "   "],
  ])("fails closed when WRITE_KEY is %s: every write is 401, whatever key is sent", async (_name, configured) => {
    for (const key of [undefined, "", "   ", WRITE_KEY, "undefined"]) {
      for (const path of ["/v1/collect", "/v1/decide"]) {
        const body = path === "/v1/collect" ? { events: [event("page_view", freshSession())] } : { sessionId: freshSession(), slot: "home-recs" };
        const { res, sent } = await direct(path, { headers: { "x-ep-write-key": key }, body, env: { WRITE_KEY: configured } });
        expect(res.status, `${path} with key ${JSON.stringify(key)}`).toBe(401);
        expect(sent).toEqual([]);
      }
    }
  });
});

describe("control: CORS allowlist", () => {
  const preflightFrom = (origin, envOverrides = {}) =>
    direct("/v1/collect", {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-ep-write-key",
        "content-type": undefined,
        "x-ep-write-key": undefined,
      },
      env: envOverrides,
    });

  it("preflight from an allowed origin: 204, the origin echoed, never * and never credentials", async () => {
    const { res } = await preflightFrom(ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe("Content-Type, X-EP-Write-Key, If-None-Match");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  // Exact match: a browser sends scheme://host[:port], lower case, no path, no default port.
  const lookalikes = [
    "https://evil.example",
    "null",
    "https://shop.example/",
    "https://shop.example/checkout",
    "https://shop.example:443",
    "https://shop.example:8443",
    "http://shop.example",
    "HTTPS://SHOP.EXAMPLE",
    "https://shop.example.evil.example",
    "https://evil-shop.example",
    "https://sub.shop.example",
    "https://shop.example%00",
    "https://shop.example, https://evil.example",
  ];

  it.each(lookalikes)("refuses preflight and requests from %j with 403 and no CORS grant", async (origin) => {
    const pre = await preflightFrom(origin);
    expect(pre.res.status).toBe(403);
    expect(pre.res.headers.get("access-control-allow-origin")).toBeNull();
    const { res, text, sent } = await direct("/v1/collect", {
      headers: { origin },
      body: { events: [event("page_view", freshSession())] },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expectSafeError(text, "ORIGIN_NOT_ALLOWED");
    expect(sent).toEqual([]);
  });

  it("a `*` allowlist echoes each origin (never `*`), grants no credentials, and still refuses `null`", async () => {
    const any = { ALLOWED_ORIGINS: "*" };
    const pre = await preflightFrom("https://anyone.example", any);
    expect(pre.res.status).toBe(204);
    expect(pre.res.headers.get("access-control-allow-origin")).toBe("https://anyone.example");
    expect(pre.res.headers.get("access-control-allow-credentials")).toBeNull();
    const nul = await preflightFrom("null", any);
    expect(nul.res.status).toBe(403);
    const { res } = await direct("/v1/collect", { headers: { origin: "null" }, body: { events: [] }, env: any });
    expect(res.status).toBe(403);
    expect(originAllowed("null", ["*", "null"])).toBe(false);
  });

  it("no answer on any API route ever carries Access-Control-Allow-Credentials; every one varies by Origin", async () => {
    const answers = [
      await direct("/v1/collect", { body: { events: [event("page_view", freshSession())] } }),
      await direct("/v1/collect", { body: "{" }),
      await direct("/v1/collect", { headers: { origin: undefined }, body: { events: [] } }),
      await direct("/v1/decide", { body: { sessionId: freshSession(), slot: "home-recs" } }),
      await direct("/v1/config", { method: "GET", headers: { "content-type": undefined } }),
      await direct("/v1/config", { method: "GET", headers: { origin: undefined, "content-type": undefined } }),
    ];
    for (const { res } of answers) {
      expect(res.headers.get("access-control-allow-credentials")).toBeNull();
      expect(res.headers.get("vary") ?? "").toContain("Origin");
    }
  });
});

describe("control: body, batch and field limits", () => {
  const MAX_BODY = Number(TEST_BINDINGS.MAX_BODY_BYTES);

  /** A streamed (chunked) body with no Content-Length. */
  function streamOf(text, chunkSize = 16 * 1024) {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.subarray(at, at + chunkSize));
        at += chunkSize;
      },
    });
  }

  const streamed = (body) =>
    SELF.fetch(BASE + "/v1/collect", {
      method: "POST",
      headers: { "content-type": "application/json", "x-ep-write-key": WRITE_KEY, origin: ORIGIN, "cf-connecting-ip": freshIp() },
      body,
      duplex: "half",
    });

  it("a chunked body without Content-Length is read and accepted within the limit", async () => {
    const sid = freshSession();
    const text = JSON.stringify({ events: [event("page_view", sid), event("search", sid)] });
    const res = await streamed(streamOf(text, 7));
    expect(res.status).toBe(200);
    expect((await res.json()).accepted).toBe(2);
  });

  it("a chunked body without Content-Length is cut off at the limit: 413", async () => {
    const text = JSON.stringify({ events: [], pad: "x".repeat(MAX_BODY) });
    const res = await streamed(streamOf(text));
    expect(res.status).toBe(413);
    expectSafeError(await res.text(), "TOO_LARGE");
  });

  it("a declared Content-Length over the limit is refused before reading: 413", async () => {
    const { res, text } = await direct("/v1/collect", { body: JSON.stringify({ events: [], pad: "x".repeat(MAX_BODY) }) });
    expect(res.status).toBe(413);
    expectSafeError(text, "TOO_LARGE");
  });

  it("500 events are accepted, 501 are refused as a whole with 413 and nothing is queued", async () => {
    const sid = freshSession();
    const ok = await direct("/v1/collect", { body: { events: Array.from({ length: 500 }, () => event("page_view", sid)) } });
    expect(ok.res.status).toBe(200);
    expect(ok.json().accepted).toBe(500);
    const over = await direct("/v1/collect", { body: { events: Array.from({ length: 501 }, () => event("page_view", freshSession())) } });
    expect(over.res.status).toBe(413);
    expectSafeError(over.text, "TOO_LARGE");
    expect(over.sent).toEqual([]);
  });

  it("oversize and hostile fields are rejected per event with the core's code; the rest of the batch goes through", async () => {
    const sid = freshSession();
    const props = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, i]));
    const events = [
      event("page_view", sid, { id: "i".repeat(129) }),
      event("page_view", "s".repeat(129)),
      event("page_view", sid, { userId: "u".repeat(129) }),
      event("search", sid, { query: "q".repeat(513) }),
      event("custom", sid, { properties: props }),
      event("impression", sid, { items: Array.from({ length: 51 }, (_, i) => ({ id: `sku-${i}` })) }),
      event("page_view", sid, { ts: Number.MAX_VALUE }),
      event("page_view", sid, { ts: -1 }),
      event("page_view", sid, { constructor: "x" }),
      event("page_view", sid, { ip: "203.0.113.9" }),
      event("page_view", sid), // the one good event
    ];
    const { res, json, sent } = await direct("/v1/collect", { body: { events } });
    expect(res.status).toBe(200);
    const body = json();
    expect(body.results.map((r) => r.status)).toEqual([...Array(10).fill("rejected"), "accepted"]);
    expect(body.results.slice(0, 10).map((r) => r.error.code)).toEqual([
      "TOO_LARGE", "TOO_LARGE", "TOO_LARGE", "TOO_LARGE", "TOO_LARGE",
      "TOO_LARGE", "BAD_TIMESTAMP", "BAD_TIMESTAMP", "INVALID_VALUE", "INVALID_VALUE",
    ]);
    expect(sent).toHaveLength(1);
  });

  it("prototype-pollution keys are refused as unknown fields and pollute nothing", async () => {
    const sid = freshSession();
    const raw = `{"events":[{"type":"page_view","sessionId":"${sid}","__proto__":{"polluted":true}},` +
      `{"type":"custom","name":"n","sessionId":"${sid}","properties":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}],` +
      `"__proto__":{"polluted":true}}`;
    const { res, json, sent } = await direct("/v1/collect", { body: raw });
    expect(res.status).toBe(200);
    const results = json().results;
    expect(results[0]).toMatchObject({ status: "rejected", error: { code: "INVALID_VALUE", path: "[0].__proto__" } });
    expect(({}).polluted).toBeUndefined();
    expect(Object.prototype.polluted).toBeUndefined();
    for (const m of sent) expect(Object.getPrototypeOf(m.body)).toBe(Object.prototype);
  });

  it("JSON bombs: deep nesting, a huge array and many keys are refused, and the Worker keeps answering", async () => {
    const sid = freshSession();
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    const bombs = [
      // 50,000 levels inside one event, and as the batch itself: the core stops at its depth limit.
      [`{"events":[{"type":"custom","name":"n","sessionId":"${sid}","properties":{"a":${deep}}}]}`, 400, "TOO_DEEP"],
      [`{"events":${deep}}`, 400, "TOO_DEEP"],
      // 100,001 array elements: over the batch limit before the core sees any.
      [`{"events":[${"0,".repeat(100_000)}0]}`, 413, "TOO_LARGE"],
    ];
    for (const [bomb, status, code] of bombs) {
      const { res, text } = await direct("/v1/collect", { body: bomb });
      expect(res.status).toBe(status);
      expectSafeError(text, code);
    }
    // 10,000 keys in one event: refused per event at the first unknown field.
    const keys = `{"events":[{${Array.from({ length: 10_000 }, (_, i) => `"k${i}":1`).join(",")}}]}`;
    const many = await direct("/v1/collect", { body: keys });
    expect(many.json().results[0]).toMatchObject({ status: "rejected", error: { code: "INVALID_VALUE", path: "[0].k0" } });
    // The core (one wasm instance per isolate) still validates and decides normally.
    const after = await direct("/v1/collect", { body: { events: [event("product_view", sid)] } });
    expect(after.json().accepted).toBe(1);
    const decided = await post("/v1/decide", { sessionId: sid, slot: "home-recs", k: 2 });
    expect(decided.status).toBe(200);
  });

  it("a body that is not UTF-8 is refused with 400", async () => {
    const res = await SELF.fetch(BASE + "/v1/collect", {
      method: "POST",
      headers: { "content-type": "application/json", "x-ep-write-key": WRITE_KEY, "cf-connecting-ip": freshIp() },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    expect(res.status).toBe(400);
    expectSafeError(await res.text(), "INVALID_JSON");
  });

  it("large headers (a 32 KB cookie and 100 junk headers) change nothing", async () => {
    const headers = { cookie: "c=" + "x".repeat(32 * 1024) };
    for (let i = 0; i < 100; i++) headers[`x-junk-${i}`] = "y".repeat(100);
    const { res, json } = await direct("/v1/collect", { headers, body: { events: [event("page_view", freshSession())] } });
    expect(res.status).toBe(200);
    expect(json().accepted).toBe(1);
  });
});

describe("control: rate limiting (per isolate)", () => {
  it("per IP: the burst passes, then 429 with Retry-After and the stable code; another IP is unaffected", async () => {
    const ip = freshIp();
    const small = { RATE_IP_BURST: "3", RATE_IP_PER_SECOND: "0.1" };
    for (let i = 0; i < 3; i++) {
      const { res } = await direct("/v1/collect", { headers: { "cf-connecting-ip": ip }, body: { events: [] }, env: small });
      expect(res.status).toBe(200);
    }
    const { res, text, sent } = await direct("/v1/collect", {
      headers: { "cf-connecting-ip": ip },
      body: { events: [event("page_view", freshSession())] },
      env: small,
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBe(10); // 1 token at 0.1/s
    expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expectSafeError(text, "RATE_LIMITED");
    expect(sent).toEqual([]);
    expect((await direct("/v1/collect", { body: { events: [] }, env: small })).res.status).toBe(200);
  });

  it("per IP: X-Forwarded-For and X-Real-IP cannot pick another bucket; only CF-Connecting-IP counts", async () => {
    const ip = freshIp();
    const small = { RATE_IP_BURST: "2", RATE_IP_PER_SECOND: "0.01" };
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const { res } = await direct("/v1/collect", {
        headers: { "cf-connecting-ip": ip, "x-forwarded-for": `192.0.2.${i}`, "x-real-ip": `192.0.2.${i}` },
        body: { events: [] },
        env: small,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("per session, counted in events across IPs: 429 with Retry-After once the session's burst is spent", async () => {
    const sid = freshSession();
    const small = { RATE_SESSION_BURST: "5", RATE_SESSION_PER_SECOND: "0.5" };
    const first = await direct("/v1/collect", { body: { events: Array.from({ length: 5 }, () => event("page_view", sid)) }, env: small });
    expect(first.json().accepted).toBe(5);
    const { res, text, sent } = await direct("/v1/collect", { body: { events: [event("page_view", sid)] }, env: small });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBe(2); // 1 event at 0.5/s
    expectSafeError(text, "RATE_LIMITED");
    expect(sent).toEqual([]);
    const decide = await direct("/v1/decide", { body: { sessionId: sid, slot: "home-recs" }, env: small });
    expect(decide.res.status).toBe(429);
    const other = await direct("/v1/collect", { body: { events: [event("page_view", freshSession())] }, env: small });
    expect(other.res.status).toBe(200);
  });

  it("page renders share the per-IP budget: over it the page is served static, with no session object and no cookie", async () => {
    const ip = freshIp();
    const small = { ...env, RATE_IP_BURST: "1", RATE_IP_PER_SECOND: "0.001" };
    const render = async () => {
      const res = await worker.fetch(new Request(BASE + "/", { headers: { "cf-connecting-ip": ip } }), small, createExecutionContext());
      return { res, html: await res.text() };
    };
    const first = await render();
    expect(first.res.status).toBe(200);
    expect(first.html).toContain('id="ep-snapshot"');
    expect(first.res.headers.get("set-cookie")).toContain("ep_sid=");
    const second = await render();
    expect(second.res.status).toBe(200);
    expect(second.html).not.toContain('id="ep-snapshot"');
    expect(second.html).toContain("data-ep-slot");
    expect(second.res.headers.get("set-cookie")).toBeNull();
  });
});

describe("control: no client IP forwarded", () => {
  const IPS = ["203.0.113.71", "203.0.113.72", "203.0.113.73", "203.0.113.74", "2001:db8::75"];
  const ipHeaders = {
    "cf-connecting-ip": IPS[0],
    "x-forwarded-for": `${IPS[1]}, ${IPS[2]}`,
    "x-real-ip": IPS[3],
    "true-client-ip": IPS[4],
    forwarded: `for=${IPS[1]}`,
  };

  it("no address from any header reaches the queued record, which holds only event fields and the edge's own", async () => {
    const sid = freshSession();
    const { sent } = await direct("/v1/collect", {
      headers: ipHeaders,
      body: { events: [event("add_to_cart", sid, { userId: "u-ip" }), event("search", sid)] },
      cf: { country: "DE", colo: "FRA", asn: 64500, city: "Berlin", latitude: "52.5", longitude: "13.4", postalCode: "10115" },
    });
    expect(sent).toHaveLength(2);
    const whole = JSON.stringify(sent);
    for (const ip of IPS) expect(whole).not.toContain(ip);
    for (const cfOnly of ["Berlin", "52.5", "13.4", "10115", "64500"]) expect(whole).not.toContain(cfOnly);
    const allowed = new Set(["id", "type", "sessionId", "userId", "ts", "context", "item", "items", "decisionId", "query", "name", "properties", "group", "receivedAt", "country", "colo"]);
    for (const m of sent) {
      expect(Object.keys(m).sort()).toEqual(["body", "contentType"]);
      for (const k of Object.keys(m.body)) expect(allowed.has(k), k).toBe(true);
    }
  });

  it("the session object's state holds no address either", async () => {
    const sid = freshSession();
    await direct("/v1/collect", { headers: ipHeaders, body: { events: [event("product_view", sid)] } });
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(sid));
    const state = JSON.stringify(await stub.state(sid));
    // Stored values include the binary snapshot: read its bytes as text too.
    const asText = (v) => (v instanceof Uint8Array || v instanceof ArrayBuffer ? new TextDecoder("latin1").decode(v) : JSON.stringify(v));
    const stored = await runInDurableObject(stub, async (_o, s) => [...(await s.storage.list()).values()].map(asText).join("\n"));
    expect(stored.length).toBeGreaterThan(0);
    for (const ip of IPS) {
      expect(state).not.toContain(ip);
      expect(stored).not.toContain(ip);
    }
  });
});

describe("control: user ids hashed with the secret salt (HMAC-SHA-256)", () => {
  /** HMAC-SHA-256 computed here, independently of src/privacy.js. */
  async function hmacHex(salt, text) {
    const enc = new TextEncoder();
    const key = await crypto.subtle.importKey("raw", enc.encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
    return [...sig].map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  it("the queued userId is the HMAC of the raw id under the salt; the raw id appears nowhere", async () => {
    const raw = "shopper-4711@example.com";
    const sid = freshSession();
    const { sent } = await direct("/v1/collect", { body: { events: [event("page_view", sid, { userId: raw })] } });
    expect(sent[0].body.userId).toBe(await hmacHex(TEST_BINDINGS.USER_ID_SALT, raw));
    expect(JSON.stringify(sent)).not.toContain("shopper-4711");
    const state = JSON.stringify(await env.SESSIONS.get(env.SESSIONS.idFromName(sid)).state(sid));
    expect(state).not.toContain("shopper-4711");
  });

  it("the same id and salt give the same hash (sessions can be joined); another salt gives another", async () => {
    const raw = "u-joinable";
    const a = await direct("/v1/collect", { body: { events: [event("page_view", freshSession(), { userId: raw })] } });
    const b = await direct("/v1/collect", { body: { events: [event("page_view", freshSession(), { userId: raw })] } });
    const c = await direct("/v1/collect", {
      body: { events: [event("page_view", freshSession(), { userId: raw })] },
      env: { USER_ID_SALT: "another-secret-salt" },
    });
    expect(a.sent[0].body.userId).toBe(b.sent[0].body.userId);
    expect(c.sent[0].body.userId).toBe(await hmacHex("another-secret-salt", raw));
    expect(c.sent[0].body.userId).not.toBe(a.sent[0].body.userId);
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
    ["only spaces", "  "],
  ])("with USER_ID_SALT %s, events carrying a userId are rejected (USER_ID_NOT_ACCEPTED); others go through", async (_n, salt) => {
    const sid = freshSession();
    const { res, json, sent } = await direct("/v1/collect", {
      body: { events: [event("page_view", sid, { userId: "u-raw-1" }), event("page_view", sid)] },
      env: { USER_ID_SALT: salt },
    });
    expect(res.status).toBe(200);
    const body = json();
    expect(body.results[0]).toMatchObject({ index: 0, status: "rejected", error: { code: "USER_ID_NOT_ACCEPTED" } });
    expect(body.results[1].status).toBe("accepted");
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent)).not.toContain("u-raw-1");
  });
});

describe("control: secrets only through Worker secrets / env", () => {
  /** Every `name = value` in any [vars] table of wrangler.toml (top level or per environment). */
  function varsOf(toml) {
    const out = [];
    let table = "";
    for (const line of toml.split("\n")) {
      const t = line.trim();
      const header = t.match(/^\[+([^\]]+)\]+/);
      if (header) table = header[1].trim();
      else if (/^(env\.[^.]+\.)?vars$/.test(table)) {
        const kv = t.match(/^([A-Za-z0-9_]+)\s*=/);
        if (kv) out.push(kv[1]);
      }
    }
    return out;
  }
  // Whole name parts: WRITE_KEY, API_TOKEN, DB_PASSWORD match; RATE_MAX_KEYS does not.
  const SECRET_LIKE = /(^|_)(KEY|SECRET|TOKEN|SALT|PASSWORD|PASSWD|PASS|CREDENTIALS?|PRIVATE|AUTH_TOKEN)(_|$)/i;

  it("the parser sees the [vars] table (so the check below cannot pass vacuously)", () => {
    const vars = varsOf(wranglerToml);
    expect(vars).toContain("ALLOWED_ORIGINS");
    expect(vars).toContain("SINK_URL");
    const planted = varsOf('[vars]\nWRITE_KEY = "x"\n[env.prod.vars]\nAPI_TOKEN = "y"\nRATE_MAX_KEYS = "1"\n');
    expect(planted).toEqual(["WRITE_KEY", "API_TOKEN", "RATE_MAX_KEYS"]);
    expect(planted.filter((n) => SECRET_LIKE.test(n))).toEqual(["WRITE_KEY", "API_TOKEN"]);
  });

  it("no secret-looking variable is in wrangler.toml's [vars]", () => {
    const offending = varsOf(wranglerToml).filter((name) => SECRET_LIKE.test(name));
    expect(offending).toEqual([]);
    for (const name of ["WRITE_KEY", "USER_ID_SALT", "SINK_TOKEN"]) {
      expect(wranglerToml).not.toMatch(new RegExp(`^\\s*${name}\\s*=`, "m"));
    }
  });

  it("no answer repeats a secret's value (config, errors, collect, decide)", async () => {
    const answers = [
      await direct("/v1/config", { method: "GET", headers: { "content-type": undefined } }),
      await direct("/v1/collect", { body: { events: [event("page_view", freshSession(), { userId: "u" })] } }),
      await direct("/v1/collect", { headers: { "x-ep-write-key": "wrong" }, body: { events: [] } }),
      await direct("/v1/decide", { body: { sessionId: freshSession(), slot: "home-recs", includeSnapshot: true } }),
    ];
    for (const { text } of answers) {
      for (const secret of [TEST_BINDINGS.WRITE_KEY, TEST_BINDINGS.USER_ID_SALT, TEST_BINDINGS.SINK_TOKEN]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});

describe("control: error bodies leak no internals", () => {
  const exploding = (what) => {
    const err = new Error(`${what} failed at /work/worker/src/secret-path.js:12 (wasm-function[42]) SESSIONS`);
    err.stack = `Error: ${what}\n    at Object.fetch (/work/worker/src/index.js:1:1)`;
    return err;
  };

  const cases = [
    ["400 invalid JSON", () => direct("/v1/collect", { body: '{"events": [' }), 400, "INVALID_JSON"],
    ["400 not a batch", () => direct("/v1/collect", { body: { events: 7 } }), 400, "WRONG_TYPE"],
    ["400 decide without session", () => direct("/v1/decide", { body: { slot: "home-recs" } }), 400, "MISSING_FIELD"],
    ["400 bad snapshot", () => direct("/v1/decide", { body: { sessionId: freshSession(), slot: "x", snapshot: "%%%" } }), 400, "SNAPSHOT_CORRUPT"],
    ["401 wrong key", () => direct("/v1/collect", { headers: { "x-ep-write-key": "no" }, body: { events: [] } }), 401, "UNAUTHORIZED"],
    ["403 origin", () => direct("/v1/collect", { headers: { origin: "https://evil.example" }, body: { events: [] } }), 403, "ORIGIN_NOT_ALLOWED"],
    ["404 API route", () => direct("/v1/secrets", { method: "GET" }), 404, "NOT_FOUND"],
    ["405 method", () => direct("/v1/collect", { method: "PUT", body: "{}" }), 405, "METHOD_NOT_ALLOWED"],
    ["413 batch", () => direct("/v1/collect", { body: { events: Array(501).fill({}) } }), 413, "TOO_LARGE"],
    ["415 content type", () => direct("/v1/collect", { headers: { "content-type": "text/plain" }, body: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE"],
    [
      "429 rate",
      async () => {
        const once = { headers: { "cf-connecting-ip": "192.0.2.250" }, body: { events: [] }, env: { RATE_IP_BURST: "1", RATE_IP_PER_SECOND: "0.001" } };
        await direct("/v1/collect", once);
        return direct("/v1/collect", once);
      },
      429,
      "RATE_LIMITED",
    ],
    ["500 missing binding", () => direct("/v1/decide", { body: { sessionId: freshSession(), slot: "home-recs" }, env: { SESSIONS: undefined } }), 500, "INTERNAL"],
    [
      "500 session object throws",
      () => direct("/v1/decide", {
        body: { sessionId: freshSession(), slot: "home-recs" },
        env: { SESSIONS: { idFromName: () => "id", get: () => ({ decide: async () => { throw exploding("decide"); } }) } },
      }),
      500,
      "INTERNAL",
    ],
    [
      "500 KV throws (config)",
      () => {
        forgetAssets();
        return direct("/v1/config", {
          method: "GET",
          headers: { "content-type": undefined },
          env: { CONFIG_KV: { get: async () => { throw exploding("kv"); } } },
        });
      },
      500,
      "INTERNAL",
    ],
    [
      "503 rules the core rejects (config)",
      async () => {
        forgetAssets();
        const kv = { get: async (k) => (k === "rules.json" ? '{"rules":[{"id":"r","when":{"nope":[1]}}]}' : null) };
        const out = await direct("/v1/config", { method: "GET", headers: { "content-type": undefined }, env: { CONFIG_KV: kv } });
        forgetAssets();
        return out;
      },
      503,
      "CONFIG_INVALID",
    ],
  ];

  it.each(cases)("%s: status, stable code, safe message, nothing else", async (_name, call, status, code) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { res, text } = await call();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expectSafeError(text, code);
  });

  it("per-event rejections carry the core's code, path and message, and no internals", async () => {
    const { json, text } = await direct("/v1/collect", { body: { events: [{ type: "x".repeat(200), sessionId: "s" }, null, 5] } });
    for (const r of json().results) {
      expect(Object.keys(r.error).sort()).toEqual(["code", "message", "path"]);
      expect(r.error.code).toMatch(/^[A-Z_]+$/);
    }
    expect(text).not.toMatch(LEAK);
  });
});

describe("control: replay of a delivered batch is harmless (idempotent by event id)", () => {
  const idsOf = (sent) => sent.map((m) => m.body.id);
  const batchFor = (sid, n, tag) =>
    Array.from({ length: n }, (_, i) => event("product_view", sid, { id: `01REPLAY${tag}${String(i).padStart(6, "0")}`, item: { id: `sku-${i % 6}` } }));

  it("a one-session batch sent twice is queued and tracked once; the replay is acknowledged as duplicate", async () => {
    const sid = freshSession();
    const events = batchFor(sid, 5, "A");
    const first = await direct("/v1/collect", { body: { events } });
    expect(first.json()).toMatchObject({ accepted: 5, duplicates: 0 });
    expect(idsOf(first.sent)).toEqual(events.map((e) => e.id));
    const stub = env.SESSIONS.get(env.SESSIONS.idFromName(sid));
    const before = await stub.state(sid);

    const replay = await direct("/v1/collect", { body: { events } });
    const body = replay.json();
    expect(body).toMatchObject({ accepted: 5, rejected: 0, duplicates: 5 });
    // "accepted" so the browser's outbox settles them instead of retrying forever.
    expect(body.results.every((r) => r.status === "accepted" && r.duplicate === true)).toBe(true);
    expect(body.results.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(replay.sent).toEqual([]);
    expect(await stub.state(sid)).toEqual(before);
  });

  it("a batch mixing delivered and new events queues only the new ones; an id repeated inside one batch counts once", async () => {
    const sid = freshSession();
    const old = batchFor(sid, 3, "B");
    await direct("/v1/collect", { body: { events: old } });
    const fresh = batchFor(sid, 2, "C");
    const { json, sent } = await direct("/v1/collect", { body: { events: [old[1], fresh[0], fresh[0], fresh[1], old[2]] } });
    expect(json().results.map((r) => !!r.duplicate)).toEqual([true, false, true, false, true]);
    expect(idsOf(sent)).toEqual([fresh[0].id, fresh[1].id]);
  });

  it("a multi-session batch (tracked in the background) replayed is queued once too", async () => {
    const [a, b] = [freshSession(), freshSession()];
    const events = [...batchFor(a, 2, "D"), ...batchFor(b, 2, "E")];
    const first = await direct("/v1/collect", { body: { events } });
    expect(idsOf(first.sent).sort()).toEqual(events.map((e) => e.id).sort());
    const replay = await direct("/v1/collect", { body: { events } });
    expect(replay.json().accepted).toBe(4);
    expect(replay.sent).toEqual([]);
  });

  it("the window is bounded: the core keeps the session's last MAX_SEEN_EVENT_IDS ids, in its snapshot, and forgets older ones", async () => {
    const windowIds = 256; // MAX_SEEN_EVENT_IDS in src/limits.rs
    const sid = freshSession();
    const many = batchFor(sid, windowIds + 1, "F");
    await direct("/v1/collect", { body: { events: many.slice(0, 200) } });
    await direct("/v1/collect", { body: { events: many.slice(200) } });
    // The window travels in the snapshot: a new instance of the object still knows it.
    await abortAllDurableObjects();
    // The oldest id fell out of the window: delivered again (consumers de-duplicate by id);
    // the newest is still recognised.
    const again = await direct("/v1/collect", { body: { events: [many[0], many[windowIds]] } });
    expect(idsOf(again.sent)).toEqual([many[0].id]);
    expect(again.json().results[1]).toMatchObject({ duplicate: true });
  });

  it("without session tracking (TRACK_IN_SESSION=false) a replay is queued again with the same ids, for consumers to de-duplicate", async () => {
    const sid = freshSession();
    const events = batchFor(sid, 2, "G");
    const off = { TRACK_IN_SESSION: "false" };
    const a = await direct("/v1/collect", { body: { events }, env: off });
    const b = await direct("/v1/collect", { body: { events }, env: off });
    expect(idsOf(a.sent)).toEqual(idsOf(b.sent));
    expect(a.sent.map((m) => m.body.sessionId)).toEqual([sid, sid]);
  });

  it("end to end through the real queue and consumer: the sink receives each event once, keyed by session, without IP or raw user id", async () => {
    const sid = freshSession("replay-e2e");
    const events = batchFor(sid, 3, "H").map((e) => ({ ...e, userId: "u-e2e-raw" }));
    const produced = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.startsWith(TEST_BINDINGS.SINK_URL)) return realFetch(input, init);
      const body = await req.json();
      // Records of other tests' sessions fail as they would against the unreachable sink.
      const offsets = body.records.map((r, i) => {
        if (r.key !== sid) return { partition: null, offset: null, error_code: 2, error: "not this test's" };
        produced.push(r);
        return { partition: 0, offset: i, error_code: null, error: null };
      });
      return new Response(JSON.stringify({ offsets }), { headers: { "content-type": "application/vnd.kafka.v2+json" } });
    });
    const headers = { "cf-connecting-ip": "203.0.113.99", "x-forwarded-for": "203.0.113.98" };
    expect((await post("/v1/collect", { events }, { headers })).status).toBe(200);
    const replay = await post("/v1/collect", { events }, { headers });
    expect((await replay.json()).duplicates).toBe(3);
    // The local queue delivers about once a second; a loaded machine may take longer.
    for (let i = 0; i < 200 && produced.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500)); // time for a second delivery, were there one
    expect(produced.map((r) => r.value.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(produced.every((r) => r.key === sid)).toBe(true);
    const whole = JSON.stringify(produced);
    expect(whole).not.toContain("203.0.113.9");
    expect(whole).not.toContain("u-e2e-raw");
  });
});

describe("control: method, route and content-type confusion", () => {
  it.each([
    ["HEAD", "/v1/collect", 405],
    ["DELETE", "/v1/collect", 405],
    ["PATCH", "/v1/decide", 405],
    ["POST", "/v1/collect/", 404],
    ["POST", "/v1/%63ollect", 404],
    ["POST", "/v1//collect", 404],
    ["POST", "/V1/COLLECT", 405],
    ["POST", "//v1/collect", 405],
    ["OPTIONS", "/", 405],
    ["PUT", "/v1/config", 405],
  ])("%s %s answers %i and queues nothing", async (method, path, status) => {
    const body = method === "GET" || method === "HEAD" || method === "OPTIONS"
      ? undefined
      : { events: [event("page_view", freshSession())] };
    const { res, sent } = await direct(path, { method, body });
    expect(res.status).toBe(status);
    expect(sent).toEqual([]);
  });

  it("a method-override header does not turn a GET into a write", async () => {
    const { res, sent } = await direct("/v1/collect", {
      method: "GET",
      headers: { "x-http-method-override": "POST", "x-method-override": "POST" },
    });
    expect(res.status).toBe(405);
    expect(sent).toEqual([]);
  });

  it.each([
    ["text/plain", 415],
    ["application/x-www-form-urlencoded", 415],
    ["multipart/form-data; boundary=x", 415],
    ["application/jsonx", 415],
    ["text/json", 415],
    [undefined, 415],
    ["application/json", 200],
    ["application/json; charset=utf-8", 200],
    ["Application/JSON;charset=UTF-8", 200],
  ])("Content-Type %j answers %i", async (type, status) => {
    const { res, text, sent } = await direct("/v1/collect", {
      headers: { "content-type": type },
      body: JSON.stringify({ events: [event("page_view", freshSession())] }),
    });
    expect(res.status).toBe(status);
    if (status === 415) {
      expectSafeError(text, "UNSUPPORTED_MEDIA_TYPE");
      expect(sent).toEqual([]);
    }
  });
});
