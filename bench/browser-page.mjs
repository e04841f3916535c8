// Runs inside headless Chromium (bench/browser.mjs serves it): the same decide
// and track workload as bench/node.mjs, with the wasm build for the web
// (dist/web, what a storefront loads) beside the plain-JS engine
// (bench/js-engine.mjs bundled with json-logic-js), in one page, in
// alternating batches. The browser has no per-process CPU clock, so times are
// wall time from performance.now() over batches of >= 20 ms (its resolution is
// coarsened in a page that is not cross-origin isolated; a batch makes that
// negligible). Publishes the medians as window.__benchResult.
import init, { Personalizer } from "/pkg/edge_personalize.js";
import { JsPersonalizer } from "/js-engine.mjs";
import { sameMillisecond } from "/timing.mjs";

const WARM_UP_MS = 300;
const BATCHES = 11;
const MIN_BATCH_MS = 20;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function calibrate(fn) {
  for (let calls = 1; ; calls *= 2) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn();
    if (performance.now() - t >= MIN_BATCH_MS || calls >= 1 << 20) return calls;
  }
}
/** Median µs per operation for each function, measured in alternating batches. */
function measureAlternating(fns, opsPerCall = 1) {
  for (const fn of fns) {
    const t = performance.now();
    for (let i = 0; i < 3 || performance.now() - t < WARM_UP_MS; i++) fn();
  }
  const calls = fns.map(calibrate);
  const per = fns.map(() => []);
  for (let b = 0; b < BATCHES; b++) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let i = 0; i < calls[k]; i++) fn();
      per[k].push(((performance.now() - t) * 1000) / (calls[k] * opsPerCall));
    });
  }
  return per.map(median);
}

async function run() {
  await init();
  const W = await (await fetch("/workload.json")).json();
  // As bench/node.mjs: events placed relative to now (the wasm clock is Date.now()).
  const eventsNow = () => W.events.map(({ offsetMs, ...e }) => ({ ...e, ts: Date.now() + offsetMs }));
  const events = eventsNow();

  const pw = new Personalizer(W.config);
  pw.loadCatalog(W.catalog);
  pw.loadRules(W.rules);
  const pj = new JsPersonalizer({ sessionId: W.config.sessionId }, events[0].ts);
  pj.loadCatalog(W.catalog);
  pj.loadRules(W.rules);
  for (const e of events) pw.track(e);
  for (const e of events) pj.track(e);
  // Within one millisecond (scores decay with the clock), as bench/node.mjs.
  const [dw, dj, decidedInOneMs] = sameMillisecond((t) => [pw.decide(W.request), pj.decide(W.request, t)]);
  const wIds = dw.items.map((x) => x.id);
  const jIds = dj.items.map((x) => x.id);

  const [decideWasm, decideJs] = measureAlternating([
    () => pw.decide(W.request),
    () => pj.decide(W.request, Date.now()),
  ]);
  const fresh = eventsNow();
  const [trackWasm, trackManyWasm, trackJs] = measureAlternating(
    [
      () => {
        const p = new Personalizer(W.config);
        for (const e of fresh) p.track(e);
        p.free();
      },
      () => {
        const p = new Personalizer(W.config);
        p.trackMany(fresh);
        p.free();
      },
      () => {
        const p = new JsPersonalizer({ sessionId: W.config.sessionId }, fresh[0].ts);
        for (const e of fresh) p.track(e);
      },
    ],
    fresh.length,
  );
  return {
    userAgent: navigator.userAgent,
    decide_same_order: JSON.stringify(wIds) === JSON.stringify(jIds),
    decide_compared_in_one_ms: decidedInOneMs,
    decide_same_items: wIds.filter((id) => jIds.includes(id)).length,
    decide_wasm_us: decideWasm,
    decide_js_us: decideJs,
    track_wasm_us: trackWasm,
    track_many_wasm_us: trackManyWasm,
    track_js_us: trackJs,
  };
}

run().then(
  (r) => { window.__benchResult = r; },
  (e) => { window.__benchResult = { error: String(e && e.stack ? e.stack : e) }; },
);
