// A/B of `decide` in one Node process: two wasm builds (nodejs glue folders,
// e.g. dist/node copied before and after a change) and the plain-JS engine,
// each warmed up for 400 ms, then ROUNDS (11) rounds of 100 decides per
// competitor in alternating batches; medians of CPU time (process.cpuUsage),
// which a loaded shared machine disturbs less than wall time. It prints
// whether the builds and JS return the same items first.
//   node bench/ab.mjs dist/bench/workload.json BUILD_A BUILD_B
// EMPTY_CATALOG=1 loads an empty catalog into all three: what is left is
// decide's fixed cost (the request in, the decision out, the session-level
// rule parts, the decision id), for A/Bs of changes too small to see in the
// full decide.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { cpuNs, median } from "./timing.mjs";
import { JsPersonalizer } from "./js-engine.mjs";

const [workloadPath, a, b] = process.argv.slice(2);
if (!workloadPath || !a || !b) {
  console.error("usage: node bench/ab.mjs WORKLOAD.json BUILD_A BUILD_B");
  process.exit(2);
}
const req = createRequire(import.meta.url);
const W = JSON.parse(readFileSync(workloadPath, "utf8"));
const catalog = process.env.EMPTY_CATALOG === "1" ? { ...W.catalog, items: [], bestsellers: [] } : W.catalog;
const t0 = Date.now();
const events = W.events.map(({ offsetMs, ...e }) => ({ ...e, ts: t0 + offsetMs }));
const wasm = (dir) => {
  const m = req(resolve(dir, "edge_personalize.js"));
  const p = new m.Personalizer(W.config);
  p.loadCatalog(JSON.stringify(catalog));
  p.loadRules(JSON.stringify(W.rules));
  for (const e of events) p.track(e);
  return () => p.decide(W.request);
};
const js = () => {
  const p = new JsPersonalizer({ sessionId: W.config.sessionId }, events[0].ts);
  p.loadCatalog(catalog);
  p.loadRules(W.rules);
  for (const e of events) p.track(e);
  return () => p.decide(W.request, Date.now());
};
const fns = { A: wasm(a), B: wasm(b), JS: js() };
const ids = Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, f().items.map((i) => i.id).join(",")]));
console.log(`same items: A = B ${ids.A === ids.B}, B = JS ${ids.B === ids.JS}`);
for (const f of Object.values(fns)) { const t = cpuNs(); while (cpuNs() - t < 400e6) f(); }
const runs = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
const rounds = Number(process.env.ROUNDS ?? 11);
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of Object.entries(fns)) {
    const t = cpuNs();
    for (let i = 0; i < 100; i++) f();
    runs[k].push((cpuNs() - t) / 100e3);
  }
}
const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
console.log(`A ${m.A.toFixed(1)} us  B ${m.B.toFixed(1)} us  JS ${m.JS.toFixed(1)} us  A/B ${(m.A / m.B).toFixed(2)}  JS/A ${(m.JS / m.A).toFixed(2)}  JS/B ${(m.JS / m.B).toFixed(2)}`);
