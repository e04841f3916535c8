// Rule evaluation like with like, repeated: wasm builds against json-logic-js
// in one Node process, on the bench's 25 merchant rules over its 200-event
// session and on the 278 JsonLogic conformance cases. Each rule is compiled
// once (CompiledCondition) and its data converted once (ConditionData); only
// `matches` is timed, against json-logic-js's `truthy(apply(rule, data))` on
// the parsed rule and data. Every competitor is warmed up for 300 ms, then
// RUNS (5) runs of ROUNDS (11) alternating batches, CPU time
// (process.cpuUsage); prints each run's medians and the spread across runs.
//   node bench/rules.mjs WORKLOAD.json CONFORMANCE.json BUILD [BUILD...]
// (BUILD: a nodejs glue folder such as dist/node; two builds give an A/B.)
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { cpuNs, median } from "./timing.mjs";
import { installMerchantOps } from "./js-engine.mjs";

const [workloadPath, conformancePath, ...builds] = process.argv.slice(2);
if (!workloadPath || !conformancePath || builds.length === 0) {
  console.error("usage: node bench/rules.mjs WORKLOAD.json CONFORMANCE.json BUILD [BUILD...]");
  process.exit(2);
}
const req = createRequire(import.meta.url);
const jsonLogic = installMerchantOps();
const W = JSON.parse(readFileSync(workloadPath, "utf8"));
const cases = JSON.parse(readFileSync(conformancePath, "utf8")).filter((c) => typeof c === "object" && c !== null);

// The rule data as bench/node.mjs builds it: the session as state() reports it.
const first = req(resolve(builds[0], "edge_personalize.js"));
const p = new first.Personalizer(W.config);
p.loadCatalog(JSON.stringify(W.catalog));
p.loadRules(JSON.stringify(W.rules));
const t0 = Date.now();
for (const { offsetMs, ...e } of W.events) p.track({ ...e, ts: t0 + offsetMs });
const item = W.catalog.items[4242] ?? W.catalog.items[0];
const ruleData = {
  session: p.state(),
  item: { id: item.id, category: item.category, brand: item.brand, price: item.price, inStock: item.inStock, tags: item.tags, popularity: item.popularity },
  context: W.request.context,
  slot: W.request.slot,
  now: Date.now(),
};
const conditions = W.rules.rules.map((r) => r.condition);

const competitors = {};
for (const [i, dir] of builds.entries()) {
  const m = req(resolve(dir, "edge_personalize.js"));
  const rules = conditions.map((c) => new m.CompiledCondition(c));
  const data = new m.ConditionData(ruleData);
  const conf = cases.map((c) => [new m.CompiledCondition(c.rule), new m.ConditionData(c.data ?? null)]);
  // Same answers as json-logic-js, or the timing means nothing.
  rules.forEach((c, k) => {
    if (c.matches(data) !== jsonLogic.truthy(jsonLogic.apply(conditions[k], ruleData))) throw new Error(`${dir}: rule ${k} differs`);
  });
  conf.forEach(([c, d], k) => {
    if (c.matches(d) !== jsonLogic.truthy(jsonLogic.apply(cases[k].rule, cases[k].data ?? null))) throw new Error(`${dir}: case ${k} differs`);
  });
  const name = builds.length > 1 ? String.fromCharCode(65 + i) : "wasm";
  competitors[name] = {
    rules: () => { for (const c of rules) c.matches(data); },
    conf: () => { for (const [c, d] of conf) c.matches(d); },
  };
}
competitors.js = {
  rules: () => { for (const c of conditions) jsonLogic.truthy(jsonLogic.apply(c, ruleData)); },
  conf: () => { for (const c of cases) jsonLogic.truthy(jsonLogic.apply(c.rule, c.data ?? null)); },
};
const per = { rules: conditions.length, conf: cases.length };
for (const c of Object.values(competitors)) for (const f of Object.values(c)) { const t = cpuNs(); while (cpuNs() - t < 300e6) f(); }

const runs = Number(process.env.RUNS ?? 5);
const rounds = Number(process.env.ROUNDS ?? 11);
const summary = { rules: {}, conf: {} };
for (let r = 0; r < runs; r++) {
  const line = [];
  for (const what of ["rules", "conf"]) {
    const times = Object.fromEntries(Object.keys(competitors).map((k) => [k, []]));
    for (let k = 0; k < rounds; k++) {
      for (const [name, c] of Object.entries(competitors)) {
        const t = cpuNs();
        for (let i = 0; i < 200; i++) c[what]();
        times[name].push((cpuNs() - t) / (200 * per[what]));
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    for (const [k, v] of Object.entries(m)) (summary[what][k] ??= []).push(v);
    line.push(`${what}: ` + Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(0)} ns`).join(", ") + ", " +
      Object.keys(m).filter((k) => k !== "js").map((k) => `js/${k} ${(m.js / m[k]).toFixed(2)}x`).join(", "));
  }
  console.log(`run ${r + 1}: ${line.join(" | ")}`);
}
for (const what of ["rules", "conf"]) {
  const s = summary[what];
  const ratios = Object.keys(s).filter((k) => k !== "js").map((k) => {
    const rs = s[k].map((v, i) => s.js[i] / v);
    return `js/${k} ${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)}x (median ${median(rs).toFixed(2)}x)`;
  });
  const spans = Object.entries(s).map(([k, v]) => `${k} ${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)} ns`);
  console.log(`${what === "rules" ? "25 merchant rules" : `${cases.length} conformance cases`}, per evaluation over ${runs} runs: ${spans.join(", ")}; ${ratios.join(", ")}`);
}
