// POST /v1/decide and session continuity through the SessionDO.
import { env, runInDurableObject, abortAllDurableObjects } from "cloudflare:test";
import { describe, it, expect } from "vitest";
import { event, freshSession, post } from "./helpers.js";
import { Personalizer } from "../src/core.js";
import { fromBase64 } from "../src/base64.js";
import { forgetAssets } from "../src/assets.js";

function stub(sid) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(sid));
}

async function decideFor(sid, extra = {}) {
  const res = await post("/v1/decide", { sessionId: sid, slot: "home-recs", k: 4, ...extra });
  return { status: res.status, body: await res.json() };
}

function view(sid, itemId) {
  return event("product_view", sid, { item: { id: itemId } });
}

describe("POST /v1/decide", () => {
  it("decides for a new session with the fallback", async () => {
    const { status, body } = await decideFor(freshSession());
    expect(status).toBe(200);
    expect(typeof body.decisionId).toBe("string");
    expect(body.slot).toBe("home-recs");
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThanOrEqual(4);
    for (const it of body.items) {
      expect(typeof it.id).toBe("string");
      expect(Array.isArray(it.reasons)).toBe(true);
    }
  });

  it("applies the bundled catalog and rules: no out-of-stock or zenith items, the orbit boost fires", async () => {
    // k = 4: enough items qualify, so no best-seller fill is needed (see the report on fallback).
    const { body } = await decideFor(freshSession(), { k: 4 });
    const ids = body.items.map((i) => i.id);
    expect(ids).toHaveLength(4);
    // sku-12 is the first best-seller in fixtures/catalog.json, but it is out of stock;
    // sku-5 and sku-9 are best-selling zenith items, excluded by the hide-zenith rule.
    expect(ids).not.toContain("sku-12");
    expect(ids).not.toContain("sku-5");
    expect(ids).not.toContain("sku-9");
    expect(body.rulesFired).toEqual(expect.arrayContaining(["hide-zenith", "boost-orbit"]));
    // The best-seller list has sku-1 before sku-8; the orbit boost lifts sku-8 above it.
    expect(ids.indexOf("sku-8")).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf("sku-8")).toBeLessThan(ids.indexOf("sku-1"));
  });

  it("requires a session id", async () => {
    const res = await post("/v1/decide", { slot: "home-recs" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("MISSING_FIELD");
  });

  it("counts the session id in UTF-8 bytes, as the core does", async () => {
    const status = async (sessionId) => {
      const res = await post("/v1/decide", { sessionId, slot: "home-recs", k: 2 });
      return [res.status, res.status === 200 ? "ok" : (await res.json()).error.code];
    };
    expect(await status("a".repeat(128))).toEqual([200, "ok"]);
    expect(await status("é".repeat(64))).toEqual([200, "ok"]); // 128 bytes
    expect(await status("a".repeat(129))).toEqual([400, "INVALID_VALUE"]);
    expect(await status("é".repeat(100))).toEqual([400, "INVALID_VALUE"]); // 100 units, 200 bytes
    expect(await status(42)).toEqual([400, "WRONG_TYPE"]);
  });

  it("passes the core's error for a bad decision request", async () => {
    const { status, body } = await decideFor(freshSession(), { slot: 42 });
    expect(status).toBe(400);
    expect(body.error.code).toBe("WRONG_TYPE");
    expect(body.error.path).toContain("slot");
  });

  it("continues a session across requests: collect, then decide sees the events", async () => {
    const sid = freshSession();
    const fresh = await decideFor(freshSession());
    const res = await post("/v1/collect", { events: [view(sid, "sku-6"), view(sid, "sku-6")] });
    expect((await res.json()).accepted).toBe(2);
    const state = await stub(sid).state(sid);
    expect(state.sessionId).toBe(sid);
    const { body } = await decideFor(sid);
    // sku-6 is related to sku-7 in the fixture catalog: the decision now follows it.
    expect(body.items.map((i) => i.id)).not.toEqual(fresh.body.items.map((i) => i.id));
    expect(body.items.some((i) => i.reasons.some((r) => r.includes("sku-6")))).toBe(true);
  });

  it("keeps interleaved sessions apart although they share one loaded Personalizer", async () => {
    const [a, b] = [freshSession(), freshSession()];
    // Interleave the two sessions' requests, some of them concurrently.
    await Promise.all([
      post("/v1/collect", { events: [view(a, "sku-6"), view(a, "sku-6")] }),
      post("/v1/collect", { events: [view(b, "sku-10")] }),
    ]);
    await Promise.all([decideFor(a), decideFor(b)]);
    await post("/v1/collect", { events: [view(b, "sku-2")] });
    const [sa, sb] = await Promise.all([stub(a).state(a), stub(b).state(b)]);
    expect(sa.sessionId).toBe(a);
    expect(sb.sessionId).toBe(b);
    const viewed = (s) => JSON.stringify(s);
    expect(viewed(sa)).toContain("sku-6");
    expect(viewed(sa)).not.toContain("sku-10");
    expect(viewed(sa)).not.toContain("sku-2");
    expect(viewed(sb)).toContain("sku-10");
    expect(viewed(sb)).toContain("sku-2");
    expect(viewed(sb)).not.toContain("sku-6");
  });

  it("saves the snapshot in storage and restores it in a new instance", async () => {
    const sid = freshSession();
    await post("/v1/collect", { events: [view(sid, "sku-10")] });
    const before = await decideFor(sid);
    const stored = await runInDurableObject(stub(sid), (_obj, state) => state.storage.get("snapshot"));
    expect(stored).toBeInstanceOf(Uint8Array);
    expect(stored.length).toBeGreaterThan(0);
    await abortAllDurableObjects(); // the in-memory Personalizer is gone
    const after = await decideFor(sid);
    expect(after.body.items.map((i) => i.id)).toEqual(before.body.items.map((i) => i.id));
  });

  it("returns a snapshot that the core restores into the same session", async () => {
    const sid = freshSession();
    await post("/v1/collect", { events: [view(sid, "sku-2")] });
    const { body } = await decideFor(sid, { includeSnapshot: true });
    const bytes = fromBase64(body.snapshot);
    const p = new Personalizer({});
    p.restore(bytes);
    expect(p.state().sessionId).toBe(sid);
    p.free();
  });

  it("seeds a session the edge has no state for from the client's snapshot", async () => {
    const sid = freshSession();
    await post("/v1/collect", { events: [view(sid, "sku-6")] });
    const { body: first } = await decideFor(sid, { includeSnapshot: true });
    // Wipe the session object: as if the page's session reached another colo.
    await runInDurableObject(stub(sid), (_obj, state) => state.storage.deleteAll());
    await abortAllDurableObjects();
    const blank = await decideFor(sid);
    await runInDurableObject(stub(sid), (_obj, state) => state.storage.deleteAll());
    await abortAllDurableObjects();
    const seeded = await decideFor(sid, { snapshot: first.snapshot });
    expect(seeded.body.items.map((i) => i.id)).toEqual(first.items.map((i) => i.id));
    expect(blank.body.items.map((i) => i.id)).not.toEqual(first.items.map((i) => i.id));
  });

  it("ignores a client snapshot of another session", async () => {
    const a = freshSession();
    await post("/v1/collect", { events: [view(a, "sku-6")] });
    const { body: fromA } = await decideFor(a, { includeSnapshot: true });
    const b = freshSession();
    const res = await decideFor(b, { snapshot: fromA.snapshot, includeSnapshot: true });
    expect(res.status).toBe(200);
    const p = new Personalizer({});
    p.restore(fromBase64(res.body.snapshot));
    expect(p.state().sessionId).toBe(b);
    p.free();
  });

  it("starts fresh from a corrupt snapshot instead of failing", async () => {
    const sid = freshSession();
    const { status, body } = await decideFor(sid, { snapshot: btoa("definitely not a snapshot") });
    expect(status).toBe(200);
    expect(body.items.length).toBeGreaterThan(0);
  });

  it("refuses a snapshot that is not base64", async () => {
    const { status, body } = await decideFor(freshSession(), { snapshot: "%%%" });
    expect(status).toBe(400);
    expect(body.error.code).toBe("SNAPSHOT_CORRUPT");
  });

  it("picks up rules published to KV in a live session", async () => {
    const sid = freshSession();
    const before = await decideFor(sid);
    expect(before.body.items.map((i) => i.id)).toContain("sku-10");
    await env.CONFIG_KV.put("rules.json", JSON.stringify({
      rules: [{ id: "hide-sku-10", priority: 1, condition: { "==": [{ var: "item.id" }, "sku-10"] }, action: { type: "exclude" } }],
    }));
    forgetAssets();
    try {
      const after = await decideFor(sid);
      expect(after.body.items.map((i) => i.id)).not.toContain("sku-10");
      expect(after.body.rulesFired).toContain("hide-sku-10");
    } finally {
      await env.CONFIG_KV.delete("rules.json");
      forgetAssets();
    }
  });

  it("decides with a model published to KV, in a live session", async () => {
    const sid = freshSession();
    const before = await decideFor(sid);
    expect(before.body.modelVersion).toBeNull();
    await env.CONFIG_KV.put("model.bin", new Uint8Array(env.TEST_MODEL_EPM));
    forgetAssets();
    try {
      const after = await decideFor(sid);
      expect(typeof after.body.modelVersion).toBe("string");
      expect(after.body.modelVersion.length).toBeGreaterThan(0);
    } finally {
      await env.CONFIG_KV.delete("model.bin");
      forgetAssets();
    }
  });
});
