// The chaos run (`make chaos`, started by tests/sync/run.sh chaos): 10,000 events tracked
// across 3 tabs of one browser profile (shared IndexedDB queue, Web Locks) with 3 reloads,
// while the fault proxy answers 30% of the collector's POSTs with 500 or 429 (some after
// the Worker already accepted the batch), the collector has a 60-second outage, and the
// network goes offline and back. Then it waits until every tab reports an empty outbox and
// the shared store is empty, and writes the tracked ids to tracked.txt for the Kafka check.
//
// Knobs (environment): EP_CHAOS_EVENTS (10000), EP_CHAOS_OUTAGE_MS (60000), EP_CHAOS_FAIL (0.3).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const PAGE = process.env.EP_SYNC_PAGE;
const COLLECT = process.env.EP_SYNC_COLLECT;
const PROXY = process.env.EP_SYNC_PROXY;
const KEY = process.env.EP_SYNC_WRITE_KEY;
const OUT = process.env.EP_SYNC_OUT;
const TOTAL = Number(process.env.EP_CHAOS_EVENTS ?? 10000);
const OUTAGE_MS = Number(process.env.EP_CHAOS_OUTAGE_MS ?? 60000);
const FAIL = Number(process.env.EP_CHAOS_FAIL ?? 0.3);
const TABS = 3;
const ROUNDS = 20; // tracking happens in rounds; chaos events happen between rounds

const log = (...a) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}]`, ...a);
const ctl = (body) => fetch(`${PROXY}/__ctl`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
const stats = () => fetch(`${PROXY}/__stats`).then((r) => r.json());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});
const tracked = [];
let exitCode = 0;
try {
  const context = await browser.newContext();
  const config = (i) => ({
    url: COLLECT,
    writeKey: KEY,
    sessionId: `chaos-${process.pid}-tab${i}`,
    // Room for everything tracked during the outage: the bound is not what this run tests.
    outbox: { maxEvents: 20000, maxBytes: 16 * 1024 * 1024, flushIntervalMs: 1000, backoffMaxMs: 8000 },
  });
  const open = async (i) => {
    const page = await context.newPage();
    page.on("pageerror", (e) => log(`tab ${i} page error:`, e.message));
    await page.goto(`${PAGE}?cfg=${encodeURIComponent(JSON.stringify(config(i)))}`);
    await page.waitForFunction(() => window.epReady === true, null, { timeout: 30000 });
    return page;
  };
  const tabs = [];
  for (let i = 0; i < TABS; i++) tabs.push(await open(i));
  await ctl({ failRate: FAIL, outage: false, delayMs: 0 });
  log(`${TOTAL} events, ${TABS} tabs, fail rate ${FAIL}, outage ${OUTAGE_MS} ms`);

  const perRound = Math.ceil(TOTAL / ROUNDS);
  const reloadAt = new Set([4, 9, 14]);
  let outageTask = null;
  for (let round = 0; round < ROUNDS && tracked.length < TOTAL; round++) {
    const n = Math.min(perRound, TOTAL - tracked.length);
    // The round's events, spread over the tabs, tracked concurrently.
    const shares = tabs.map((_, i) => Math.floor(n / TABS) + (i < n % TABS ? 1 : 0));
    const got = await Promise.all(tabs.map((t, i) => t.evaluate((k) => window.ep.track(k, { gapMs: 2 }), shares[i])));
    for (const ids of got) tracked.push(...ids);
    if (reloadAt.has(round)) {
      const i = round % TABS;
      log(`round ${round}: reloading tab ${i} (tracked so far ${tracked.length})`);
      await tabs[i].reload();
      await tabs[i].waitForFunction(() => window.epReady === true, null, { timeout: 30000 });
    }
    if (round === 6) {
      log(`round ${round}: collector outage for ${OUTAGE_MS} ms`);
      await ctl({ outage: true });
      outageTask = sleep(OUTAGE_MS).then(() => ctl({ outage: false })).then(() => log("outage over"));
    }
    if (round === 3 || round === 11 || round === 17) {
      log(`round ${round}: network offline for 5 s`);
      await context.setOffline(true);
      const more = await tabs[0].evaluate((k) => window.ep.track(k), 50);
      tracked.push(...more);
      await sleep(5000);
      await context.setOffline(false);
      log(`round ${round}: back online`);
    }
  }
  if (outageTask) await outageTask;
  log(`tracked ${tracked.length}; waiting for the outboxes to drain`);
  writeFileSync(`${OUT}/tracked.txt`, tracked.join("\n") + "\n");
  // Drained: no tab has anything queued or in flight, and the shared store is empty.
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    const st = await Promise.all(tabs.map((t) => t.evaluate(() => window.ep.sync.status())));
    const stored = await tabs[0].evaluate(() => new Promise((res) => {
      const r = indexedDB.open("ep-sync");
      r.onsuccess = () => {
        const c = r.result.transaction("outbox").objectStore("outbox").count();
        c.onsuccess = () => res(c.result);
      };
      r.onerror = () => res(-1);
    }));
    const leader = st.find((s) => s.leader);
    if (stored === 0 && st.every((s) => !s.leader || (s.queued === 0 && s.inFlight === 0))) {
      log(`drained; sender: ${JSON.stringify({ delivered: leader?.delivered, dropped: leader?.dropped, rejected: leader?.rejected })}`);
      break;
    }
    if (Date.now() > deadline) {
      log(`not drained after 15 minutes: stored=${stored} ${JSON.stringify(st.map((s) => [s.leader, s.queued, s.inFlight, s.lastError]))}`);
      exitCode = 1;
      break;
    }
    await sleep(1000);
  }
  const s = await stats();
  const dropped = (await Promise.all(tabs.map((t) => t.evaluate(() => window.ep.sync.status().dropped)))).reduce((a, b) => a + b, 0);
  log(`proxy: posts=${s.posts} injected500=${s.injected500} injected429=${s.injected429} lostAnswers=${s.lostAnswers} connectionsDropped=${s.dropped} inFlightTwiceAtOnce=${s.overlaps}; dropped in outboxes=${dropped}`);
  const bytes = s.bodyBytes.map((b, i) => b / Math.max(1, s.eventsPer[i])).sort((a, b) => a - b);
  log(`wire: median ${Math.round(bytes[Math.floor(bytes.length / 2)])} bytes per event, ${s.posts} requests for ${tracked.length} events`);
  await ctl({ failRate: 0, outage: false });
  await context.close();
} catch (e) {
  log("chaos failed:", e?.stack ?? e);
  writeFileSync(`${OUT}/tracked.txt`, tracked.join("\n") + "\n");
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
