// Benchmark (not a test): time from page load to the first personalised slot
// rendered on the storefront, in headless Chromium. Each run is a fresh browser
// context (cold IndexedDB; the HTTP cache is off: the server sends no-store).
// The page marks `ep:first-slot` when the first slot has items; the time is
// performance.now() there, i.e. ms since navigation start. Two cases:
//   new shopper       empty storage: best-sellers
//   returning shopper a stored session (restored from IndexedDB) with 20 views
// Writes dist/bench-www.json; prints the medians.
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.WWW_URL ?? "http://127.0.0.1:28093/";
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
const results = {};
try {
  for (const kind of ["new shopper", "returning shopper"]) {
    const times = [];
    const phases = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      if (kind === "returning shopper") {
        await page.goto(BASE);
        await page.waitForSelector("body[data-ready=true]");
        await page.evaluate(async () => {
          const c = window.__ep.client;
          const items = JSON.parse(JSON.stringify([...window.__ep.lastDecisions.values()][0].items)).slice(0, 4);
          for (let k = 0; k < 20; k++) c.track({ type: "product_view", item: { id: items[k % items.length].id } });
          await c.flush();
        });
      }
      await page.goto(BASE);
      await page.waitForFunction(() => typeof window.__epFirstSlotMs === "number", null, { timeout: 30_000 });
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0];
        const wasm = performance.getEntriesByType("resource").find((r) => r.name.endsWith(".wasm"));
        return { first: window.__epFirstSlotMs, domContentLoaded: nav.domContentLoadedEventEnd, wasmEnd: wasm?.responseEnd ?? null, restored: window.__ep.client.restored };
      });
      if (kind === "returning shopper" && t.restored !== "storage") throw new Error("returning shopper: the session was not restored");
      if (i > 0) {
        // The first load warms the server and the browser process; it is not counted.
        times.push(t.first);
        phases.push(t);
      }
      await context.close();
    }
    results[kind] = {
      runs: RUNS,
      median_ms: Math.round(median(times) * 10) / 10,
      min_ms: Math.round(Math.min(...times) * 10) / 10,
      max_ms: Math.round(Math.max(...times) * 10) / 10,
      median_dom_content_loaded_ms: Math.round(median(phases.map((p) => p.domContentLoaded)) * 10) / 10,
      median_wasm_downloaded_ms: Math.round(median(phases.map((p) => p.wasmEnd ?? NaN)) * 10) / 10,
    };
    console.log(`${kind}: load -> first personalised slot, median ${results[kind].median_ms} ms over ${RUNS} loads (min ${results[kind].min_ms}, max ${results[kind].max_ms}; DOMContentLoaded ${results[kind].median_dom_content_loaded_ms} ms, wasm downloaded ${results[kind].median_wasm_downloaded_ms} ms)`);
  }
} finally {
  await browser.close();
}
const out = new URL("../../dist/bench-www.json", import.meta.url);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), browser: "chromium headless (/usr/bin/chromium)", url: BASE, results }, null, 2) + "\n");
console.log(`wrote ${out.pathname}`);
