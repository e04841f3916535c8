// Browser sync in headless Chromium (playwright-core, the system Chromium) against the
// real Worker (wrangler dev) behind the fault proxy of server.mjs. Started by
// tests/sync/run.sh, which then checks the stream: every id written to expected.txt
// must be in Kafka, and nothing else (so the ids tracked under denied or pending
// consent, written to forbidden.txt, never are).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { chromium } from "playwright-core";

const PAGE = process.env.EP_SYNC_PAGE;
const COLLECT = process.env.EP_SYNC_COLLECT;
const PROXY = process.env.EP_SYNC_PROXY;
const KEY = process.env.EP_SYNC_WRITE_KEY;
const OUT = process.env.EP_SYNC_OUT;
if (!PAGE || !COLLECT || !KEY || !OUT) throw new Error("run through tests/sync/run.sh (it starts the servers)");

const expected = (ids) => appendFileSync(`${OUT}/expected.txt`, ids.map((i) => i + "\n").join(""));
const forbidden = (ids) => appendFileSync(`${OUT}/forbidden.txt`, ids.map((i) => i + "\n").join(""));
writeFileSync(`${OUT}/expected.txt`, "");
writeFileSync(`${OUT}/forbidden.txt`, "");

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
});
after(async () => {
  await browser?.close();
});

const ctl = (body) => fetch(`${PROXY}/__ctl`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
const stats = () => fetch(`${PROXY}/__stats`).then((r) => r.json());
const resetStats = () => fetch(`${PROXY}/__reset`, { method: "POST" });

let sessions = 0;
function cfg(extra = {}) {
  return {
    url: COLLECT,
    writeKey: KEY,
    sessionId: `sync-test-${process.pid}-${++sessions}`,
    outbox: { flushIntervalMs: 300, backoffBaseMs: 200, backoffMaxMs: 2000, ...(extra.outbox ?? {}) },
    ...extra,
    ...(extra.outbox ? { outbox: { flushIntervalMs: 300, backoffBaseMs: 200, backoffMaxMs: 2000, ...extra.outbox } } : {}),
  };
}

async function open(context, config) {
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`${PAGE}?cfg=${encodeURIComponent(JSON.stringify(config))}`);
  await page.waitForFunction(() => window.epReady === true, null, { timeout: 15000 });
  return page;
}

const track = (page, n, opts = {}) => page.evaluate(([n, opts]) => window.ep.track(n, opts), [n, opts]);
const status = (page) => page.evaluate(() => window.ep.status());
const until = (page, pred, ms = 30000) => page.evaluate(([p, ms]) => window.ep.until(p, ms), [pred, ms]);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("delivers every event in batches; bytes per event and requests per 100 events", async () => {
  await ctl({ failRate: 0, outage: false, delayMs: 0 });
  await resetStats();
  const context = await browser.newContext();
  // Default batching (20 events / 5 s / 64 KB): steady browsing, one event every 50 ms:
  // views, clicks, searches and page views, with one add to cart (urgent: flushes at once)
  // every 25 events.
  const page = await open(context, { ...cfg(), outbox: undefined });
  const browsing = [...Array(24).fill(0).map((_, i) => ["page_view", "product_view", "product_click", "product_view", "search", "product_view"][i % 6]), "add_to_cart"];
  const ids = await track(page, 100, { gapMs: 50, types: browsing });
  expected(ids);
  const s = await until(page, "s.delivered >= 100 && s.queued === 0 && s.inFlight === 0", 30000);
  assert.equal(s.delivered, 100);
  assert.equal(s.rejected, 0);
  assert.equal(s.dropped, 0);
  assert.equal(s.storage, "indexeddb");
  assert.equal(s.leaderVia, "web-locks");
  const st = await stats();
  const perEvent = st.bodyBytes.map((b, i) => b / Math.max(1, st.eventsPer[i]));
  const report = { requestsPer100: st.posts, bytesPerEventMedian: Math.round(median(perEvent)), eventsPerRequest: st.eventsPer };
  console.log("wire:", JSON.stringify(report));
  writeFileSync(`${OUT}/wire.json`, JSON.stringify(report));
  assert.ok(st.posts >= 5 && st.posts <= 12, `requests for 100 events: ${st.posts}`);
  for (const b of st.bodyBytes) assert.ok(b <= 64 * 1024);
  await context.close();
});

test("offline: nothing is sent, events wait; back online they all go", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg());
  await resetStats();
  await context.setOffline(true);
  const ids = await track(page, 30);
  expected(ids);
  await page.waitForTimeout(1500);
  let s = await status(page);
  assert.equal(s.delivered, 0);
  assert.equal(s.queued + s.inFlight, 30);
  assert.equal(s.online, false);
  assert.equal((await stats()).posts, 0, "no request reached the collector while offline");
  await context.setOffline(false);
  s = await until(page, "s.delivered === 30 && s.queued === 0", 20000);
  assert.equal(s.dropped, 0);
  await context.close();
});

test("5xx and 429 + Retry-After are retried; a 4xx that cannot succeed is rejected with the server's reason", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg());
  let calls = 0;
  const times = [];
  await page.route(COLLECT, async (route) => {
    calls++;
    times.push(Date.now());
    if (route.request().method() !== "POST") return route.continue();
    if (calls <= 2) return route.fulfill({ status: 500, body: "{}", headers: { "access-control-allow-origin": "*" } });
    if (calls === 3)
      return route.fulfill({ status: 429, body: "{}", headers: { "retry-after": "2", "access-control-allow-origin": "*", "access-control-expose-headers": "Retry-After" } });
    return route.continue();
  });
  const ids = await track(page, 10);
  expected(ids);
  const s = await until(page, "s.delivered === 10 && s.queued === 0", 30000);
  assert.ok(calls >= 4, `calls ${calls}`);
  assert.ok(times[3] - times[2] >= 1900, `Retry-After honoured: waited ${times[3] - times[2]} ms`);
  assert.equal(s.attempts, 0, "backoff reset after success");
  await page.unroute(COLLECT);

  // A 400 the server will always give: rejected, not retried.
  await page.route(COLLECT, (route) =>
    route.fulfill({ status: 400, body: '{"error":{"code":"WRONG_TYPE","message":"expected events"}}', headers: { "access-control-allow-origin": "*" } }));
  const bad = await track(page, 3);
  forbidden(bad);
  const r = await until(page, "s.rejected === 3", 15000);
  assert.equal(r.rejectedRecent.at(-1).code, "WRONG_TYPE");
  await page.unroute(COLLECT);

  // A per-event verdict from the real Worker: an item event without its item.
  const id = await page.evaluate(() => {
    const ev = { id: "01BADEVENT" + Date.now(), type: "product_view", sessionId: "sync-bad", ts: Date.now() };
    window.ep.sync.push(ev);
    return ev.id;
  });
  forbidden([id]);
  const good = await track(page, 2);
  expected(good);
  const v = await until(page, "s.rejected === 4 && s.delivered === 12", 15000);
  const rej = v.rejectedRecent.find((x) => x.id === id);
  assert.equal(rej.code, "MISSING_FIELD", JSON.stringify(rej));
  await context.close();
});

test("a reload keeps the queue (IndexedDB) and the next page sends it; localStorage fallback too", async () => {
  for (const storage of ["indexeddb", "localstorage"]) {
    const context = await browser.newContext();
    const config = cfg({ storage });
    const page = await open(context, config);
    await context.setOffline(true);
    const ids = await track(page, 25);
    expected(ids);
    assert.equal((await status(page)).storage, storage);
    await context.setOffline(false);
    // Reload before the page could send (the route holds every POST until the page is gone).
    await page.route(COLLECT, () => {});
    await page.reload();
    await page.unroute(COLLECT);
    await page.waitForFunction(() => window.epReady === true);
    const s = await until(page, "s.delivered >= 25 && s.queued === 0 && s.inFlight === 0", 30000);
    assert.ok(s.delivered >= 25, `${storage}: ${JSON.stringify(s)}`);
    await context.close();
  }
});

test("many tabs: one sends; closing it hands over and nothing is lost", async () => {
  const context = await browser.newContext();
  const a = await open(context, cfg());
  const b = await open(context, cfg());
  await until(a, "s.leader === true", 5000);
  assert.equal((await status(b)).leader, false, "only one tab leads");
  await resetStats();
  // Tab A holds back its requests; B's events reach the shared queue.
  await a.route(COLLECT, () => {});
  const fromB = await track(b, 20);
  const fromA = await track(a, 5);
  expected([...fromA, ...fromB]);
  await a.waitForTimeout(800);
  assert.equal((await stats()).posts, 0, "the non-leader tab never sent");
  await a.close();
  await until(b, "s.leader === true", 10000);
  const s = await until(b, "s.delivered >= 25 && s.queued === 0 && s.inFlight === 0", 30000);
  assert.ok(s.delivered >= 25);
  const st = await stats();
  assert.equal(st.overlaps, 0, `an event was in flight twice at once: ${st.overlapExamples} ${JSON.stringify(st.log)}`);
  await context.close();
});

test("page hidden or closed: waiting events leave with keepalive, and stay queued until acknowledged", async () => {
  const context = await browser.newContext();
  // A long flush interval, so only the unload path sends.
  const page = await open(context, cfg({ outbox: { flushIntervalMs: 600000, batchEvents: 500 } }));
  await resetStats();
  const ids = await track(page, 40, { types: ["page_view", "product_view", "search"] });
  expected(ids);
  await page.waitForTimeout(300);
  assert.equal((await stats()).posts, 0);
  await page.close({ runBeforeUnload: true });
  const deadline = Date.now() + 10000;
  let st;
  while (Date.now() < deadline) {
    st = await stats();
    if (st.posts >= 1) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(st.posts >= 1, "a keepalive request left the closing page");
  assert.ok(st.eventsPer.reduce((a, b) => a + b, 0) >= 40);
  for (const bytes of st.bodyBytes) assert.ok(bytes <= 64 * 1024);
  await context.close();
});

test("consent: nothing leaves the page before a grant; granted events keep their time; denied ones never reach the stream", async () => {
  const context = await browser.newContext();
  const requests = [];
  const page = await open(context, cfg({ consent: "pending" }));
  page.on("request", (r) => {
    if (r.url().startsWith(PROXY)) requests.push(r.method());
  });
  const held = await track(page, 10);
  const trackedAt = Date.now();
  await page.waitForTimeout(1000);
  assert.deepEqual(requests, [], "no request before consent");
  let s = await status(page);
  assert.equal(s.heldForConsent, 10);
  assert.equal(s.queued, 0, "held events are not in the durable outbox");
  const stored = await page.evaluate(
    () => new Promise((res) => {
      const r = indexedDB.open("ep-sync");
      r.onsuccess = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains("outbox")) return res(0);
        const c = db.transaction("outbox").objectStore("outbox").count();
        c.onsuccess = () => res(c.result);
      };
      r.onerror = () => res(-1);
    }));
  assert.equal(stored, 0, "nothing persisted before consent");
  await page.waitForTimeout(200);
  const sent = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().startsWith(PROXY)) sent.push(JSON.parse(r.postData()));
  });
  await page.evaluate(() => window.ep.sync.grant());
  expected(held);
  s = await until(page, "s.delivered === 10", 15000);
  const events = sent.flatMap((b) => b.events);
  assert.ok(events.length >= 10);
  for (const e of events) assert.ok(e.ts <= trackedAt, "original timestamps kept");

  const denyContext = await browser.newContext();
  const denyPage = await open(denyContext, cfg({ consent: "pending" }));
  const denied = await track(denyPage, 7);
  await denyPage.evaluate(() => window.ep.sync.deny());
  const later = await track(denyPage, 3);
  forbidden([...denied, ...later]);
  await denyPage.waitForTimeout(800);
  const d = await status(denyPage);
  assert.equal(d.consentDiscarded, 10);
  assert.equal(d.requests, 0);
  await denyContext.close();
  await context.close();
});

test("PII: configured fields are dropped or replaced by SHA-256(salt + value) before leaving the page", async () => {
  const context = await browser.newContext();
  const salt = "s4lt";
  const page = await open(context, cfg({ userId: "alice@example.com", pii: { drop: ["userId"], hash: ["properties.email"], salt } }));
  const bodies = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().startsWith(PROXY)) bodies.push(r.postData());
  });
  const ids = await track(page, 2, { properties: { email: "alice@example.com", plan: "gold" } });
  expected(ids);
  await until(page, "s.delivered === 2", 15000);
  const text = bodies.join("\n");
  assert.ok(!text.includes("alice@example.com"), "the raw address never leaves the page");
  const events = bodies.flatMap((b) => JSON.parse(b).events);
  const want = createHash("sha256").update(salt + "alice@example.com").digest("hex");
  for (const e of events) {
    assert.equal(e.userId, undefined);
    assert.equal(e.properties.email, want);
    assert.equal(e.properties.plan, "gold");
  }
  await context.close();
});

test("bounded: over maxEvents the oldest are dropped, counted, and the count is reported as an event", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg({ outbox: { maxEvents: 10 } }));
  await context.setOffline(true);
  const ids = await track(page, 15);
  let s = await status(page);
  assert.equal(s.dropped, 5);
  assert.equal(s.queued, 10);
  forbidden(ids.slice(0, 5));
  await context.setOffline(false);
  const sent = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().startsWith(PROXY)) sent.push(...JSON.parse(r.postData()).events);
  });
  // The 10 kept events, then the report (sent once there is room for it).
  s = await until(page, "s.queued === 0 && s.inFlight === 0 && s.delivered >= 11", 15000);
  assert.equal(s.delivered, 11);
  assert.equal(s.dropsUnreported, 0);
  const report = sent.find((e) => e.name === "ep_outbox_dropped");
  assert.ok(report, "the drop count was sent");
  assert.equal(report.properties.count, 5);
  expected([...ids.slice(5), report.id]);
  await context.close();
});

test("a storage quota error loses no stored record and no event", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg());
  await context.setOffline(true);
  const first = await track(page, 5);
  // The next writes fail as a full disk would make them.
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    window.__restorePut = () => (IDBObjectStore.prototype.put = put);
    IDBObjectStore.prototype.put = function () {
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    };
  });
  const second = await track(page, 5);
  await page.evaluate(() => window.__restorePut());
  expected([...first, ...second]);
  const s = await status(page);
  assert.equal(s.storageErrors, 5);
  assert.match(s.lastError, /QuotaExceededError/);
  const stored = await page.evaluate(() => new Promise((res) => {
    const r = indexedDB.open("ep-sync");
    r.onsuccess = () => {
      const q = r.result.transaction("outbox").objectStore("outbox").getAll();
      q.onsuccess = () => res(q.result.map((x) => [x.id, JSON.parse(x.body).id]));
    };
  }));
  assert.deepEqual(stored.map((x) => x[0]).sort(), [...first].sort(), "the stored queue is intact");
  for (const [id, bodyId] of stored) assert.equal(id, bodyId);
  await context.setOffline(false);
  // The sending tab still holds the five it could not store.
  await until(page, "s.delivered === 10 && s.queued === 0", 15000);
  await context.close();
});

test("a slow collector: one request at a time, later events batch up behind it", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg());
  await resetStats();
  await ctl({ delayMs: 1500 });
  try {
    const ids = await track(page, 60, { gapMs: 10, types: ["product_view", "add_to_cart"] });
    expected(ids);
    await until(page, "s.delivered === 60 && s.queued === 0", 30000);
    const st = await stats();
    assert.equal(st.overlaps, 0);
    // Every other event is urgent, yet the slow answers make the batches grow.
    assert.ok(st.posts <= 10, `posts ${st.posts}: ${st.eventsPer}`);
  } finally {
    await ctl({ delayMs: 0 });
  }
  await context.close();
});

test("without Web Locks a localStorage lease elects one sender and hands over when it closes; memory-only storage still delivers", async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined, configurable: true });
  });
  const a = await open(context, cfg());
  await until(a, "s.leader === true", 5000);
  const b = await open(context, cfg());
  await b.waitForTimeout(1500);
  const sa = await status(a);
  const sb = await status(b);
  assert.equal(sa.leaderVia, "localstorage-lease");
  assert.deepEqual([sa.leader, sb.leader], [true, false], "one sender");
  await resetStats();
  await a.route(COLLECT, () => {});
  const ids = [...(await track(b, 15)), ...(await track(a, 5))];
  expected(ids);
  await a.close();
  // The lease expires (3 s) or the closing tab's release message arrives first.
  await until(b, "s.leader === true", 10000);
  await until(b, "s.delivered >= 20 && s.queued === 0 && s.inFlight === 0", 30000);
  assert.equal((await stats()).overlaps, 0);
  await context.close();

  const mem = await browser.newContext();
  const page = await open(mem, cfg({ storage: "memory" }));
  const more = await track(page, 8);
  expected(more);
  const s = await until(page, "s.delivered === 8 && s.queued === 0", 15000);
  assert.equal(s.storage, "memory");
  await mem.close();
});

test("visibilitychange to hidden sends what waits at once (a normal, acknowledged request)", async () => {
  const context = await browser.newContext();
  const page = await open(context, cfg({ outbox: { flushIntervalMs: 600000, batchEvents: 500 } }));
  await until(page, "s.leader === true", 5000);
  await page.waitForTimeout(1100); // the new sender's handoff pause
  const ids = await track(page, 12, { types: ["page_view", "product_view"] });
  expected(ids);
  await page.waitForTimeout(300);
  assert.equal((await status(page)).delivered, 0, "nothing due yet");
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  const s = await until(page, "s.delivered === 12 && s.queued === 0", 10000);
  assert.equal(s.rejected, 0);
  await context.close();
});
