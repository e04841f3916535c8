// Routing, CORS, preflight and the write key: the checks in front of every API route.
import { SELF, env, createExecutionContext } from "cloudflare:test";
import worker from "../src/index.js";
import { describe, it, expect } from "vitest";
import { BASE, ORIGIN, WRITE_KEY, event, freshIp, freshSession, post } from "./helpers.js";

describe("routing", () => {
  it("answers 404 with a JSON error for an unknown API path", async () => {
    const res = await SELF.fetch(BASE + "/v1/nope", { headers: { origin: ORIGIN } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "NOT_FOUND", message: "no such API route" } });
  });

  it.each([
    ["GET", "/v1/collect", "POST"],
    ["PUT", "/v1/decide", "POST"],
    ["POST", "/v1/config", "GET"],
  ])("answers 405 to %s %s and names the method", async (method, path, allowed) => {
    const res = await SELF.fetch(BASE + path, {
      method,
      headers: { origin: ORIGIN, "x-ep-write-key": WRITE_KEY, "cf-connecting-ip": freshIp() },
    });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain(allowed);
    expect((await res.json()).error.code).toBe("METHOD_NOT_ALLOWED");
  });

  it("answers an internal failure with a bare 500 that names nothing inside", async () => {
    // A deployment with its Durable Object binding missing: the decide route throws.
    const request = new Request(BASE + "/v1/decide", {
      method: "POST",
      headers: { "content-type": "application/json", "x-ep-write-key": WRITE_KEY, "cf-connecting-ip": freshIp(), origin: ORIGIN },
      body: JSON.stringify({ sessionId: freshSession(), slot: "home-recs" }),
    });
    const res = await worker.fetch(request, { ...env, SESSIONS: undefined }, createExecutionContext());
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal error" } });
    expect(text).not.toMatch(/SESSIONS|TypeError|at |\.js/);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
  });

  it("refuses non-GET requests to pages", async () => {
    const res = await SELF.fetch(BASE + "/", { method: "DELETE" });
    expect(res.status).toBe(405);
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const res = await SELF.fetch(BASE + "/v1/collect", {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, x-ep-write-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers").toLowerCase()).toContain("x-ep-write-key");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("refuses a preflight from another origin, with no CORS grant", async () => {
    const res = await SELF.fetch(BASE + "/v1/collect", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses a request from a disallowed origin even with the right key", async () => {
    const res = await post("/v1/collect", { events: [event("page_view", freshSession())] }, {
      headers: { origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect((await res.json()).error.code).toBe("ORIGIN_NOT_ALLOWED");
  });

  it("grants the allowed origin on answers, errors included", async () => {
    const res = await post("/v1/collect", "{", { raw: true });
    expect(res.status).toBe(400);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");
  });

  it("serves server-side callers that send no Origin", async () => {
    const res = await post("/v1/collect", { events: [event("page_view", freshSession())] }, {
      headers: { origin: undefined },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("write key", () => {
  it.each([
    ["missing", undefined],
    ["wrong", "test-write-kez"],
    ["a prefix of the right one", WRITE_KEY.slice(0, 5)],
    ["longer than the right one", WRITE_KEY + "x"],
    ["empty", ""],
  ])("answers 401 when the key is %s", async (_name, key) => {
    const headers = { "x-ep-write-key": key };
    const res = await post("/v1/collect", { events: [event("page_view", freshSession())] }, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: "UNAUTHORIZED", message: "missing or wrong X-EP-Write-Key" },
    });
  });

  it("guards /v1/decide too", async () => {
    const res = await post("/v1/decide", { sessionId: freshSession(), slot: "home-recs" }, {
      headers: { "x-ep-write-key": "nope" },
    });
    expect(res.status).toBe(401);
  });

  it("does not guard the public /v1/config", async () => {
    const res = await SELF.fetch(BASE + "/v1/config", { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
  });
});
