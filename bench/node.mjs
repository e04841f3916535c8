// The Node benchmark (`make bench`): the wasm build for Node (dist/node, the
// speed build; the size build that browsers download, dist/web, beside it under
// *_size_build_* keys) against a
// plain-JS implementation of the same engine (bench/js-engine.mjs, rules in
// json-logic-js), json-logic-js alone, GrowthBook's condition evaluator, and
// the bundle sizes of tracking/flag SDKs. Everything runs side by side in one
// process, on one workload (bench/workload.mjs), so ratios are comparable.
//
//   node bench/node.mjs WORKLOAD.json [NATIVE.json]
//
// Writes dist/bench.json and prints a markdown table. Medians of several
// batches; each batch is sized to run >= ~20 ms. No number here is asserted
// by any test: timings depend on the machine.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { JsPersonalizer, installMerchantOps } from "./js-engine.mjs";
import { cpuNs, median, sameMillisecond } from "./timing.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const toolsRequire = createRequire(join(repo, "tools", "package.json"));
const jsonLogic = installMerchantOps();
const { evalCondition: gbEvalCondition } = toolsRequire("@growthbook/growthbook");
const esbuild = toolsRequire("esbuild");
const wasm = createRequire(import.meta.url)(join(repo, "dist", "node", "edge_personalize.js"));
// The size build (what a shopper downloads; Chromium's numbers are this build)
// through its own web glue, in its own wasm instance and memory.
const sizeBuild = await import(pathToFileURL(join(repo, "dist", "web", "edge_personalize.js")).href);
sizeBuild.initSync({ module: readFileSync(join(repo, "dist", "web", "edge_personalize_bg.wasm")) });

const [workloadPath, nativePath] = process.argv.slice(2);
if (!workloadPath) {
  console.error("usage: node bench/node.mjs WORKLOAD.json [NATIVE.json]");
  process.exit(2);
}
const workloadText = readFileSync(workloadPath, "utf8");
const W = JSON.parse(workloadText);
const catalogText = JSON.stringify(W.catalog);

// ---------------------------------------------------------------- timing
// CPU time (bench/timing.mjs says why); batches run >= 20 ms.
const now = cpuNs;
/**
 * Runs `fn` for WARM_UP_NS of CPU time (at least 3 calls) before anything is
 * timed: V8 first runs wasm through its baseline compiler and JS through its
 * interpreter, and tiers hot code up in the background. With 3 warm-up calls
 * the first decide measurement caught the baseline tiers (wasm 246 us, JS
 * 966 us) where the same process a moment later measured 130 and 415.
 */
const WARM_UP_NS = 300e6;
function warmUp(fn) {
  const t = now();
  for (let i = 0; i < 3 || now() - t < WARM_UP_NS; i++) fn(i);
}

/** Median ns per operation; `fn(i)` runs `opsPerCall` operations. */
function measure(fn, { opsPerCall = 1, batches = 11, minBatchNs = 20e6 } = {}) {
  warmUp(fn);
  let calls = 1;
  for (;;) {
    const t = now();
    for (let i = 0; i < calls; i++) fn(i);
    if (now() - t >= minBatchNs || calls >= 1 << 20) break;
    calls *= 2;
  }
  const per = [];
  for (let b = 0; b < batches; b++) {
    const t = now();
    for (let i = 0; i < calls; i++) fn(i);
    per.push((now() - t) / (calls * opsPerCall));
  }
  return median(per);
}

/**
 * Two competitors measured in alternating batches (A, B, A, B, ...), so a
 * change in machine load hits both alike and their ratio stays meaningful
 * on a shared machine. Returns [medianA, medianB] in ns per operation.
 */
function measurePair(fnA, fnB, { opsPerCall = 1, batches = 11, minBatchNs = 20e6 } = {}) {
  const calibrate = (fn) => {
    warmUp(fn);
    let calls = 1;
    for (;;) {
      const t = now();
      for (let i = 0; i < calls; i++) fn();
      if (now() - t >= minBatchNs || calls >= 1 << 20) return calls;
      calls *= 2;
    }
  };
  const ca = calibrate(fnA);
  const cb = calibrate(fnB);
  const a = [];
  const b = [];
  for (let k = 0; k < batches; k++) {
    let t = now();
    for (let i = 0; i < ca; i++) fnA();
    a.push((now() - t) / (ca * opsPerCall));
    t = now();
    for (let i = 0; i < cb; i++) fnB();
    b.push((now() - t) / (cb * opsPerCall));
  }
  return [median(a), median(b)];
}

// ---------------------------------------------------------------- engines
// The wasm clock is Date.now(), so events are placed relative to the moment
// they are tracked; the decisions compared below then see the session as the
// native bench does at its fixed `nowMs`.
const eventsNow = () => W.events.map(({ offsetMs, ...e }) => ({ ...e, ts: Date.now() + offsetMs }));
let events = eventsNow();

function wasmEngine(build = wasm) {
  const p = new build.Personalizer(W.config);
  p.loadCatalog(W.catalog);
  p.loadRules(W.rules);
  return p;
}
function jsEngine() {
  const p = new JsPersonalizer({ sessionId: W.config.sessionId }, events[0].ts);
  p.loadCatalog(W.catalog);
  p.loadRules(W.rules);
  return p;
}

const results = {};
const notes = [];

console.error(`bench: ${W.catalog.items.length} items, ${events.length} events, ${W.rules.rules.length} rules; node ${process.version}; ${wasm.version()}; dist/node: the ${wasm.wasmBuild()} build, dist/web: the ${sizeBuild.wasmBuild()} build`);

// decide after the 200-event session, k = 10, 25 rules. Measured first, in
// a fresh wasm heap as a page has it: after the catalog-load and track runs
// below (a dozen 10k-item catalogs allocated and freed) the same decide took
// about twice the CPU time (261 vs 131 us), the engine's catalog then being
// spread over a fragmented linear memory.
const pw = wasmEngine();
const pj = jsEngine();
// The size build's engine, in its own fresh wasm memory, with the same session.
const ps = wasmEngine(sizeBuild);
events = eventsNow();
for (const e of events) pw.track(e);
for (const e of events) pj.track(e);
for (const e of events) ps.track(e);
// Scores decay with the clock (the wasm engines read Date.now()), so a near-tie
// may order differently at two instants: the decisions compared below are made
// within one millisecond, retried until they are.
const [dw, ds, dj, decidedInOneMs] = sameMillisecond((t) => [pw.decide(W.request), ps.decide(W.request), pj.decide(W.request, t)]);
results.decide_compared_in_one_ms = decidedInOneMs;
[results.decide_wasm_us, results.decide_js_us] = measurePair(
  () => pw.decide(W.request),
  () => pj.decide(W.request, Date.now()),
).map((ns) => ns / 1e3);
const wIds = dw.items.map((x) => x.id);
const jIds = dj.items.map((x) => x.id);
results.decide_same_items = wIds.filter((id) => jIds.includes(id)).length;
results.decide_same_order = JSON.stringify(wIds) === JSON.stringify(jIds);
results.decide_wasm_rules_fired = dw.rulesFired.length;
// Both builds in alternating batches: the speed build's gain like with like.
{
  // Ids, order, reasons and fired rules (scores carry the moment of the call).
  const ids = (d) => JSON.stringify([d.items.map((x) => [x.id, x.reasons]), d.rulesFired]);
  results.decide_size_build_same_items = ids(ds) === ids(dw);
  if (!results.decide_size_build_same_items) notes.push(`the size and speed builds decide differently: size ${ids(ds)}, speed ${ids(dw)}`);
  const [size, speed] = measurePair(() => ps.decide(W.request), () => pw.decide(W.request));
  results.decide_wasm_size_build_us = size / 1e3;
  results.ratio_decide_size_build_over_speed_build = Number((size / speed).toPrecision(3));
}
results.decide_js_rules_fired = dj.rulesFired.length;
if (!results.decide_same_order) {
  notes.push(`wasm and JS decisions differ: wasm [${wIds.join(",")}] rules ${dw.rulesFired.join(",")}; js [${jIds.join(",")}] rules ${dj.rulesFired.join(",")}`);
}

// Catalog load (10k items).
// Each engine is freed right away: wasm memory is not garbage-collected, and
// leaving 10k-item catalogs to the finalizer would measure memory growth.
const loadInto = (what) => () => {
  const p = new wasm.Personalizer(W.config);
  p.loadCatalog(what);
  p.free();
};
results.catalog_load_wasm_text_ms = measure(loadInto(catalogText), { batches: 5, minBatchNs: 1 }) / 1e6;
results.catalog_load_wasm_object_ms = measure(loadInto(W.catalog), { batches: 5, minBatchNs: 1 }) / 1e6;
results.catalog_load_js_ms = measure(() => new JsPersonalizer({}, W.nowMs).loadCatalog(W.catalog), { batches: 5, minBatchNs: 1 }) / 1e6;

// track: 200 events into a fresh session, per event.
[results.track_wasm_us, results.track_js_us] = measurePair(
  () => {
    const p = new wasm.Personalizer(W.config);
    for (const e of events) p.track(e);
    p.free();
  },
  () => {
    const p = new JsPersonalizer({ sessionId: W.config.sessionId }, events[0].ts);
    for (const e of events) p.track(e);
  },
  { opsPerCall: events.length },
).map((ns) => ns / 1e3);

{
  const trackAll = (build) => () => {
    const p = new build.Personalizer(W.config);
    for (const e of events) p.track(e);
    p.free();
  };
  const [size, speed] = measurePair(trackAll(sizeBuild), trackAll(wasm), { opsPerCall: events.length });
  results.track_wasm_size_build_us = size / 1e3;
  results.ratio_track_size_build_over_speed_build = Number((size / speed).toPrecision(3));
}

// trackMany: the same 200 events in one call (one boundary crossing for the
// list; each event is still converted and validated on its own).
results.track_many_wasm_us = measure(
  () => {
    const p = new wasm.Personalizer(W.config);
    p.trackMany(events);
    p.free();
  },
  { opsPerCall: events.length },
) / 1e3;
{
  const trackMany = (build) => () => {
    const p = new build.Personalizer(W.config);
    p.trackMany(events);
    p.free();
  };
  const [size, speed] = measurePair(trackMany(sizeBuild), trackMany(wasm), { opsPerCall: events.length });
  results.track_many_wasm_size_build_us = size / 1e3;
  results.ratio_track_many_size_build_over_speed_build = Number((size / speed).toPrecision(3));
}

// snapshot / restore of that session.
const snap = pw.snapshot();
results.snapshot_bytes = snap.length;
results.snapshot_wasm_us = measure(() => pw.snapshot()) / 1e3;
const pr = new wasm.Personalizer(W.config);
results.restore_wasm_us = measure(() => pr.restore(snap)) / 1e3;

// ---------------------------------------------------------------- rules alone
// The data a rule sees: the session as state() reports it, one item, the request context.
const state = pw.state();
const item = W.catalog.items[4242] ?? W.catalog.items[0];
const ruleData = {
  session: state,
  item: { id: item.id, category: item.category, brand: item.brand, price: item.price, inStock: item.inStock, tags: item.tags, popularity: item.popularity },
  context: W.request.context,
  slot: W.request.slot,
  now: Date.now(),
};
const conditions = W.rules.rules.map((r) => r.condition);
const jsResult = (rule, data) => { try { return JSON.stringify(jsonLogic.apply(rule, data)); } catch (e) { return `error ${e.message}`; } };
const wasmResult = (f) => { try { return JSON.stringify(f()); } catch (e) { return `error ${e.code}`; } };

// The measure, "on the same JsonLogic rules and data", like with
// like: each condition compiled once (CompiledCondition) and the data
// converted into wasm once (ConditionData), then only evaluation is timed;
// json-logic-js evaluates the already-parsed rule on the already-parsed data
// (it has no compile step). Both answer the rule's question, whether the
// condition holds: `matches` against json-logic-js's `truthy(apply(...))`.
// These are `rules_wasm_ns` / `rules_jsonlogicjs_ns` and their ratio.
const compiled = conditions.map((c) => new wasm.CompiledCondition(c));
const data = new wasm.ConditionData(ruleData);
let agree = 0;
compiled.forEach((c, i) => {
  const a = wasmResult(() => c.evaluateOn(data));
  const b = jsResult(conditions[i], ruleData);
  if (a === b && c.matches(data) === jsonLogic.truthy(jsonLogic.apply(conditions[i], ruleData))) agree++;
  else notes.push(`rule condition results differ: ${JSON.stringify(conditions[i]).slice(0, 120)}: wasm ${a} vs json-logic-js ${b}`);
});
results.rules_agree = `${agree}/${conditions.length}`;
[results.rules_wasm_ns, results.rules_jsonlogicjs_ns] = measurePair(
  () => { for (const c of compiled) c.matches(data); },
  () => { for (const c of conditions) jsonLogic.truthy(jsonLogic.apply(c, ruleData)); },
  { opsPerCall: conditions.length, batches: 11 },
);
// The same, returning the condition's value (evaluateOn: the result
// converted back into a JS value) against apply's value.
[results.rules_wasm_value_ns, results.rules_jsonlogicjs_value_ns] = measurePair(
  () => { for (const c of compiled) c.evaluateOn(data); },
  () => { for (const c of conditions) jsonLogic.apply(c, ruleData); },
  { opsPerCall: conditions.length, batches: 7 },
);
{
  const sizeCompiled = conditions.map((c) => new sizeBuild.CompiledCondition(c));
  const sizeData = new sizeBuild.ConditionData(ruleData);
  const [size, speed] = measurePair(
    () => { for (const c of sizeCompiled) c.matches(sizeData); },
    () => { for (const c of compiled) c.matches(data); },
    { opsPerCall: conditions.length, batches: 11 },
  );
  results.rules_wasm_size_build_ns = size;
  results.ratio_rules_size_build_over_speed_build = Number((size / speed).toPrecision(3));
  sizeCompiled.forEach((c) => c.free());
  sizeData.free();
}
compiled.forEach((c) => c.free());
data.free();

// Per call, what a casual caller writes: evalCondition(rule, data) converts
// the rule (and compiles it) and the parts of the data the rule reads at
// every call; json-logic-js's apply is the same call as above.
let agreePerCall = 0;
for (const c of conditions) {
  if (wasmResult(() => wasm.evalCondition(c, ruleData)) === jsResult(c, ruleData)) agreePerCall++;
  else notes.push(`evalCondition results differ: ${JSON.stringify(c).slice(0, 120)}`);
}
results.rules_per_call_agree = `${agreePerCall}/${conditions.length}`;
[results.rules_wasm_per_call_ns, results.rules_jsonlogicjs_per_call_ns] = measurePair(
  () => { for (const c of conditions) wasm.evalCondition(c, ruleData); },
  () => { for (const c of conditions) jsonLogic.apply(c, ruleData); },
  { opsPerCall: conditions.length, batches: 7 },
);
// Per call with small data (no 200-event session): the rule's own conversion
// and compilation, which every evalCondition call pays.
const smallData = { ...ruleData, session: { ...state, recent: state.recent.slice(0, 5) } };
[results.rules_small_data_wasm_per_call_ns, results.rules_small_data_jsonlogicjs_ns] = measurePair(
  () => { for (const c of conditions) wasm.evalCondition(c, smallData); },
  () => { for (const c of conditions) jsonLogic.apply(c, smallData); },
  { opsPerCall: conditions.length, batches: 7 },
);

// The JsonLogic conformance cases (tests.json-style, shared/conformance).
const confPath = ["../shared/conformance/jsonlogic/compatible.json", "../../shared/conformance/jsonlogic/compatible.json"]
  .map((p) => join(repo, p))
  .find(existsSync);
if (confPath) {
  const cases = JSON.parse(readFileSync(confPath, "utf8")).filter((c) => typeof c === "object" && c !== null);
  let wOk = 0;
  let jOk = 0;
  const runW = (c) => { try { return wasm.evalCondition(c.rule, c.data ?? null); } catch { return undefined; } };
  const runJ = (c) => { try { return jsonLogic.apply(c.rule, c.data ?? null); } catch { return undefined; } };
  for (const c of cases) {
    if (JSON.stringify(runW(c)) === JSON.stringify(c.result)) wOk++;
    if (JSON.stringify(runJ(c)) === JSON.stringify(c.result)) jOk++;
  }
  results.conformance_cases = cases.length;
  results.conformance_wasm_pass = wOk;
  results.conformance_jsonlogicjs_pass = jOk;
  // Like with like: each case's rule compiled once and its data converted
  // once; only evaluation is timed, against json-logic-js on the parsed rule
  // and data. Reported: whether the rule holds (`matches` vs `truthy(apply)`),
  // as rules use a condition; the value-returning variant (`evaluateOn`, the
  // value converted back into JS, vs `apply`) beside it.
  const prepared = cases.map((c) => ({ rule: c.rule, data: c.data ?? null, c: new wasm.CompiledCondition(c.rule), d: new wasm.ConditionData(c.data ?? null) }));
  let cOk = 0;
  for (const p of prepared) {
    const v = wasmResult(() => p.c.evaluateOn(p.d));
    if (v === jsResult(p.rule, p.data) && p.c.matches(p.d) === jsonLogic.truthy(jsonLogic.apply(p.rule, p.data))) cOk++;
  }
  results.conformance_compiled_agree = `${cOk}/${cases.length}`;
  [results.conformance_wasm_ns, results.conformance_jsonlogicjs_ns] = measurePair(
    () => { for (const p of prepared) p.c.matches(p.d); },
    () => { for (const p of prepared) jsonLogic.truthy(jsonLogic.apply(p.rule, p.data)); },
    { opsPerCall: cases.length, batches: 11 },
  );
  [results.conformance_wasm_value_ns, results.conformance_jsonlogicjs_value_ns] = measurePair(
    () => { for (const p of prepared) p.c.evaluateOn(p.d); },
    () => { for (const p of prepared) jsonLogic.apply(p.rule, p.data); },
    { opsPerCall: cases.length, batches: 7 },
  );
  {
    const sizePrepared = cases.map((c) => ({ c: new sizeBuild.CompiledCondition(c.rule), d: new sizeBuild.ConditionData(c.data ?? null) }));
    const [size, speed] = measurePair(
      () => { for (const p of sizePrepared) p.c.matches(p.d); },
      () => { for (const p of prepared) p.c.matches(p.d); },
      { opsPerCall: cases.length, batches: 11 },
    );
    results.conformance_wasm_size_build_ns = size;
    results.ratio_conformance_size_build_over_speed_build = Number((size / speed).toPrecision(3));
    for (const p of sizePrepared) { p.c.free(); p.d.free(); }
  }
  for (const p of prepared) { p.c.free(); p.d.free(); }
  // Per call: evalCondition converts and compiles each case's rule and data.
  [results.conformance_wasm_per_call_ns, results.conformance_jsonlogicjs_per_call_ns] = measurePair(
    () => { for (const c of cases) runW(c); },
    () => { for (const c of cases) runJ(c); },
    { opsPerCall: cases.length },
  );
} else {
  notes.push("conformance cases not found (shared/conformance/jsonlogic/compatible.json next to the repo)");
}

// GrowthBook's targeting conditions (MongoDB-style) over the same session,
// flattened into attributes the way a GrowthBook integration would.
const cartValue = state.cart.reduce((s, l) => s + (l.price ?? 0) * l.quantity, 0);
const attrs = {
  id: state.sessionId, device: "mobile", country: "DE", weather: "rain", page: "/",
  productViews: state.counters.product_view, searches: state.counters.search, addToCarts: state.counters.add_to_cart,
  purchases: state.counters.purchase, events: state.counters.events, cartValue, cartItems: state.cart.map((l) => l.item),
  recentCategories: [...new Set(state.recent.map((r) => r.category).filter(Boolean))],
  recentItems: state.recent.slice(0, 20).map((r) => r.item), lastViewed: state.recent[0]?.item,
  lastBrand: state.recent[0]?.brand, categoryAffinity: state.affinity.category, brandAffinity: state.affinity.brand,
  itemId: item.id, itemCategory: item.category, itemBrand: item.brand, itemPrice: item.price, itemTags: item.tags, itemPopularity: item.popularity, inStock: item.inStock,
};
const gbConditions = [
  { inStock: false },
  { cartItems: { $elemMatch: { $eq: item.id } } },
  { "categoryAffinity.running-shoes": { $gt: 0 }, itemCategory: "socks" },
  { recentCategories: { $elemMatch: { $eq: "tents" } }, itemCategory: "sleeping-bags" },
  { itemTags: { $elemMatch: { $eq: "sale" } } },
  { productViews: { $gte: 3 }, addToCarts: 0, itemPrice: { $gt: 300 } },
  { events: 0 },
  { device: "mobile", itemPrice: { $lt: 50 } },
  { "brandAffinity.northpeak": { $gt: 1 }, itemBrand: "northpeak" },
  { purchases: { $gt: 0 }, itemCategory: "tents" },
  { itemTags: { $elemMatch: { $eq: "sale" } }, itemPopularity: { $lt: 0.2 } },
  { cartValue: { $gt: 150 }, itemPrice: { $lt: 30 } },
  { searches: { $gte: 2 }, itemTags: { $elemMatch: { $eq: "waterproof" } } },
  { recentCategories: { $elemMatch: { $eq: "headlamps" } }, itemCategory: { $in: ["backpacks", "tents"] } },
  { addToCarts: { $gt: 0 } },
  { recentItems: { $size: { $gte: 2 } } },
  { page: "/c/tents", itemCategory: "socks" },
  { itemPrice: { $lte: 200 } },
  { $or: [{ itemBrand: "acme" }, { lastBrand: "acme" }] },
  { events: { $lt: 5 }, itemPopularity: { $gt: 0.8 } },
  { cartItems: { $elemMatch: { $eq: item.id } } },
  { recentItems: { $elemMatch: { $eq: item.id } } },
  { weather: { $in: ["rain", "storm"] }, itemCategory: { $in: ["rain-jackets", "backpacks"] } },
  { page: { $regex: "^/p/" } },
  { $and: [{ country: { $in: ["DE", "AT", "CH"] } }, { $not: { device: "desktop" } }] },
];
results.growthbook_condition_ns = measure(() => { for (const c of gbConditions) gbEvalCondition(attrs, c); }, { opsPerCall: gbConditions.length });

// ---------------------------------------------------------------- sizes
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
// bench/json-logic.mjs loads the library through createRequire for Node;
// in a bundle it is a plain import.
const plainJsonLogic = {
  name: "plain-json-logic",
  setup(build) {
    build.onResolve({ filter: /\/json-logic\.mjs$/ }, () => ({ path: "json-logic-shim", namespace: "shim" }));
    build.onLoad({ filter: /.*/, namespace: "shim" }, () => ({
      contents: 'import j from "json-logic-js"; export default j;',
      resolveDir: repo,
    }));
  },
};
async function bundleGzip(entrySource) {
  const out = await esbuild.build({
    stdin: { contents: entrySource, resolveDir: repo, sourcefile: "entry.mjs", loader: "js" },
    nodePaths: [join(repo, "tools", "node_modules")],
    plugins: [plainJsonLogic],
    bundle: true, minify: true, format: "esm", platform: "browser", target: "es2020", write: false, logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const code = Buffer.concat(out.outputFiles.map((f) => Buffer.from(f.contents)));
  return { raw: code.length, gzip: gz(code) };
}
const size = JSON.parse(readFileSync(join(repo, "dist", "size.json"), "utf8"));
results.wasm_glue_gzip_bytes = size.wasm_glue_gzip_bytes;
results.wasm_glue_raw_bytes = size.wasm_glue_raw_bytes;
// The speed build (Node, the Worker): information, nobody downloads it.
results.speed_build_wasm_glue_gzip_bytes = size.speed_wasm_glue_gzip_bytes;
results.speed_build_wasm_glue_raw_bytes = size.speed_wasm_glue_raw_bytes;
const packages = {
  "json-logic-js": 'import * as m from "json-logic-js"; globalThis.m = m;',
  "@growthbook/growthbook": 'import * as m from "@growthbook/growthbook"; globalThis.m = m;',
  "@snowplow/browser-tracker": 'import * as m from "@snowplow/browser-tracker"; globalThis.m = m;',
  "@segment/analytics-next": 'import * as m from "@segment/analytics-next"; globalThis.m = m;',
  "plain-JS engine (bench/js-engine.mjs + json-logic-js)": `import * as m from ${JSON.stringify(join(repo, "bench", "js-engine.mjs"))}; globalThis.m = m;`,
};
const sizes = {};
for (const [name, src] of Object.entries(packages)) {
  try {
    sizes[name] = await bundleGzip(src);
  } catch (e) {
    notes.push(`bundle of ${name} failed: ${e.message.split("\n")[0]}`);
  }
}
results.bundle_gzip_bytes = Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, v.gzip]));

// ---------------------------------------------------------------- native
if (nativePath && existsSync(nativePath)) {
  results.native = JSON.parse(readFileSync(nativePath, "utf8"));
  // Same engine, same workload: the native and wasm decisions must agree.
  results.decide_native_same_as_wasm = JSON.stringify(results.native.decide_item_ids) === JSON.stringify(wIds);
  if (!results.decide_native_same_as_wasm) {
    notes.push(`native and wasm decisions differ: native [${results.native.decide_item_ids}] wasm [${wIds}]`);
  }
}

// ---------------------------------------------------------------- output
const ratio = (a, b) => (a > 0 && b > 0 ? Number((a / b).toPrecision(3)) : null);
results.ratio_decide_js_over_wasm = ratio(results.decide_js_us, results.decide_wasm_us);
results.ratio_track_js_over_wasm = ratio(results.track_js_us, results.track_wasm_us);
results.ratio_track_js_over_wasm_many = ratio(results.track_js_us, results.track_many_wasm_us);
results.ratio_rules_jsonlogicjs_over_wasm = ratio(results.rules_jsonlogicjs_ns, results.rules_wasm_ns);
results.ratio_rules_value_jsonlogicjs_over_wasm = ratio(results.rules_jsonlogicjs_value_ns, results.rules_wasm_value_ns);
results.ratio_rules_per_call_jsonlogicjs_over_wasm = ratio(results.rules_jsonlogicjs_per_call_ns, results.rules_wasm_per_call_ns);
results.ratio_conformance_jsonlogicjs_over_wasm = ratio(results.conformance_jsonlogicjs_ns, results.conformance_wasm_ns);
results.ratio_conformance_value_jsonlogicjs_over_wasm = ratio(results.conformance_jsonlogicjs_value_ns, results.conformance_wasm_value_ns);
results.ratio_conformance_per_call_jsonlogicjs_over_wasm = ratio(results.conformance_jsonlogicjs_per_call_ns, results.conformance_wasm_per_call_ns);
results.machine = { node: process.version, engine: wasm.version(), node_build: wasm.wasmBuild(), cpus: (await import("node:os")).cpus().length, date: new Date().toISOString() };
results.notes = notes;
mkdirSync(join(repo, "dist"), { recursive: true });
writeFileSync(join(repo, "dist", "bench.json"), JSON.stringify(results, null, 2) + "\n");

const f = (x, d = 1) => (x == null ? "–" : x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(d));
const n = results.native ?? {};
const rows = [
  ["decide (10k items, 200 events, 25 rules, k=10)", "µs", n.decide_us, results.decide_wasm_us, results.decide_js_us],
  ["track, per event", "µs", n.track_us, results.track_wasm_us, results.track_js_us],
  ["track, per event, 200 events in one trackMany call", "µs", n.track_us, results.track_many_wasm_us, results.track_js_us],
  ["rule condition, 25 rules over a 200-event session, compiled once, data converted once (native: Condition::matches on the same plain data; wasm: CompiledCondition.matches on a ConditionData; JS: truthy(apply))", "ns", n.rule_condition_data_ns, results.rules_wasm_ns, results.rules_jsonlogicjs_ns],
  ["the same, returning the value (native: on the live session, as decide; wasm: evaluateOn; JS: apply)", "ns", n.rule_condition_ns, results.rules_wasm_value_ns, results.rules_jsonlogicjs_value_ns],
  ["the same per call (wasm: evalCondition converts the rule and what it reads of the data, compiles)", "ns", null, results.rules_wasm_per_call_ns, results.rules_jsonlogicjs_per_call_ns],
  ["the same per call, small data", "ns", null, results.rules_small_data_wasm_per_call_ns, results.rules_small_data_jsonlogicjs_ns],
  [`JsonLogic conformance case (${results.conformance_cases ?? "?"} cases), compiled once, data converted once (native: Condition::matches; wasm: matches; JS: truthy(apply))`, "ns", n.conformance_matches_ns, results.conformance_wasm_ns, results.conformance_jsonlogicjs_ns],
  ["the same, returning the value (wasm: evaluateOn; JS: apply)", "ns", null, results.conformance_wasm_value_ns, results.conformance_jsonlogicjs_value_ns],
  ["the same per call (native: compile + evaluate; wasm: evalCondition)", "ns", n.conformance_case_ns, results.conformance_wasm_per_call_ns, results.conformance_jsonlogicjs_per_call_ns],
  ["GrowthBook condition (reference, 25 conditions)", "ns", null, null, results.growthbook_condition_ns],
  ["catalog load, 10k items (native: parsed value; wasm: JSON text; JS: object)", "ms", n.catalog_load_ms, results.catalog_load_wasm_text_ms, results.catalog_load_js_ms],
  ["catalog load, 10k items, JS object (wasm marshals it)", "ms", null, results.catalog_load_wasm_object_ms, results.catalog_load_js_ms],
  ["snapshot", "µs", n.snapshot_us, results.snapshot_wasm_us, null],
  ["restore", "µs", n.restore_us, results.restore_wasm_us, null],
];
console.log("\n| workload | unit | native Rust | wasm in Node | plain JS (json-logic-js) | JS / wasm |");
console.log("|---|---|---:|---:|---:|---:|");
for (const [name, unit, nat, w, j] of rows) {
  console.log(`| ${name} | ${unit} | ${f(nat)} | ${f(w)} | ${f(j)} | ${w && j ? Number((j / w).toPrecision(2)) + "×" : "–"} |`);
}
console.log("\n| the size build (dist/web, what browsers download) in Node, beside the speed build | unit | size build | speed build (above) | size / speed, alternating batches |");
console.log("|---|---|---:|---:|---:|");
for (const [name, unit, sz, sp, r] of [
  ["decide", "µs", results.decide_wasm_size_build_us, results.decide_wasm_us, results.ratio_decide_size_build_over_speed_build],
  ["track, per event", "µs", results.track_wasm_size_build_us, results.track_wasm_us, results.ratio_track_size_build_over_speed_build],
  ["trackMany, per event", "µs", results.track_many_wasm_size_build_us, results.track_many_wasm_us, results.ratio_track_many_size_build_over_speed_build],
  ["rule condition, 25 merchant rules", "ns", results.rules_wasm_size_build_ns, results.rules_wasm_ns, results.ratio_rules_size_build_over_speed_build],
  ["JsonLogic conformance case", "ns", results.conformance_wasm_size_build_ns, results.conformance_wasm_ns, results.ratio_conformance_size_build_over_speed_build],
]) console.log(`| ${name} | ${unit} | ${f(sz)} | ${f(sp)} | ${r == null ? "–" : r + "×"} |`);
console.log(`\nSame decision from wasm and plain JS: ${results.decide_same_items}/10 items, same order: ${results.decide_same_order}; native = wasm: ${results.decide_native_same_as_wasm ?? "not run"}. Rule results agree: ${results.rules_agree} (per call: ${results.rules_per_call_agree}). Conformance: wasm ${results.conformance_wasm_pass}/${results.conformance_cases} (compiled: ${results.conformance_compiled_agree} agree with json-logic-js), json-logic-js ${results.conformance_jsonlogicjs_pass}/${results.conformance_cases}. Snapshot: ${results.snapshot_bytes} bytes.`);
console.log("\n| bundle (esbuild --bundle --minify, gzip -9) | gzip bytes | KB |");
console.log("|---|---:|---:|");
console.log(`| **edge-personalize wasm + JS glue** (size build, browsers) | ${results.wasm_glue_gzip_bytes} | ${(results.wasm_glue_gzip_bytes / 1024).toFixed(1)} |`);
console.log(`| edge-personalize speed build (Node, Worker; not downloaded by shoppers) | ${results.speed_build_wasm_glue_gzip_bytes} | ${(results.speed_build_wasm_glue_gzip_bytes / 1024).toFixed(1)} |`);
for (const [name, v] of Object.entries(sizes)) console.log(`| ${name} | ${v.gzip} | ${(v.gzip / 1024).toFixed(1)} |`);
if (notes.length) console.log("\nNotes:\n" + notes.map((x) => `- ${x}`).join("\n"));
console.log("\nwrote dist/bench.json");
