// GET /v1/config: versions and rules, ETag / If-None-Match, edge cache, KV publish.
import { SELF, env } from "cloudflare:test";
import { describe, it, expect, beforeEach } from "vitest";
import { BASE, ORIGIN, freshSession, post } from "./helpers.js";
import { forgetAssets } from "../src/assets.js";
import { Personalizer } from "../src/core.js";
import bundledRules from "../fixtures/rules.json";

async function getConfig(headers = {}) {
  return SELF.fetch(BASE + "/v1/config", { headers: { origin: ORIGIN, ...headers } });
}

describe("GET /v1/config", () => {
  beforeEach(async () => {
    await env.CONFIG_KV.delete("rules.json");
    await env.CONFIG_KV.delete("model.bin");
    forgetAssets();
  });

  it("serves rules and the catalog, rules, model and core versions", async () => {
    const res = await getConfig();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    const body = await res.json();
    expect(body.catalogVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(body.rulesVersion).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(body.modelVersion).toBeNull();
    expect(typeof body.coreVersion).toBe("string");
    expect(body.rules).toEqual(bundledRules);
    expect(body.ruleCount).toBe(bundledRules.rules.length);
  });

  it("answers If-None-Match with 304 and no body", async () => {
    const first = await getConfig();
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    await first.arrayBuffer();
    const again = await getConfig({ "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    const other = await getConfig({ "if-none-match": '"something-else"' });
    expect(other.status).toBe(200);
  });

  it("serves repeated requests from the edge cache", async () => {
    const a = await getConfig();
    const textA = await a.text();
    const b = await getConfig();
    expect(b.headers.get("x-ep-cache")).toBe("hit");
    expect(await b.text()).toBe(textA);
    expect(b.headers.get("cache-control")).toMatch(/max-age=\d+/);
  });

  it("picks up rules published to KV, with a new version and ETag", async () => {
    const before = await getConfig();
    const etagBefore = before.headers.get("etag");
    const { rulesVersion: vBefore } = await before.json();
    const published = {
      rules: [
        { id: "boost-acme", priority: 10, condition: { "==": [{ var: "item.brand" }, "acme"] }, action: { type: "boost", factor: 2 } },
      ],
    };
    await env.CONFIG_KV.put("rules.json", JSON.stringify(published));
    forgetAssets();
    const after = await getConfig({ "if-none-match": etagBefore });
    expect(after.status).toBe(200);
    const body = await after.json();
    expect(body.rulesVersion).not.toBe(vBefore);
    expect(body.rules).toEqual(published);
    expect(body.ruleCount).toBe(1);
  });

  it("refuses to serve rules the core rejects, without leaking why", async () => {
    await env.CONFIG_KV.put("rules.json", '{"rules":[{"id":"x","condition":{"no_such_op":[1]}}]}');
    forgetAssets();
    const res = await getConfig();
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: "CONFIG_INVALID", message: "the published configuration is not valid" },
    });
  });

  it("reports the version of a model published to KV (an ep-model artifact)", async () => {
    const bytes = new Uint8Array(env.TEST_MODEL_EPM);
    const p = new Personalizer({});
    const expected = p.loadModel(bytes).version;
    p.free();
    await env.CONFIG_KV.put("model.bin", bytes);
    forgetAssets();
    const body = await (await getConfig()).json();
    expect(typeof expected).toBe("string");
    expect(body.modelVersion).toBe(expected);
    expect(body.modelError).toBeUndefined();
  });

  it("reports a corrupt model instead of failing, and decisions go on without it", async () => {
    const bytes = new Uint8Array(env.TEST_MODEL_EPM);
    bytes[bytes.length >> 1] ^= 0xff;
    await env.CONFIG_KV.put("model.bin", bytes);
    forgetAssets();
    const res = await getConfig();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.modelVersion).toBeNull();
    expect(body.modelError).toBe("MODEL_CORRUPT");
    const decided = await post("/v1/decide", { sessionId: freshSession(), slot: "home-recs", k: 3 });
    expect(decided.status).toBe(200);
    const decision = await decided.json();
    expect(decision.modelVersion).toBeNull();
    expect(decision.items.length).toBe(3);
  });
});
