// A/B of `track` in one Node process: two wasm builds (nodejs glue folders,
// e.g. dist/node copied before and after a change), each fed the workload's
// 200 events (fresh timestamps, no ids, so none is a replay) in alternating
// batches after a 400 ms warm-up; median CPU time per event over ROUNDS (31)
// batches (process.cpuUsage). The per-event time includes the JS -> wasm
// conversion of the event object, as a page pays it.
//   node bench/ab-track.mjs dist/bench/workload.json BUILD_A BUILD_B
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const [workloadPath, a, b] = process.argv.slice(2);
if (!workloadPath || !a || !b) {
  console.error("usage: node bench/ab-track.mjs WORKLOAD.json BUILD_A BUILD_B");
  process.exit(2);
}
const req = createRequire(import.meta.url);
const W = JSON.parse(readFileSync(workloadPath, "utf8"));
const cpuNs = () => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };
const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[s.length >> 1]; };
const t0 = Date.now();
const tracker = (dir) => {
  const m = req(resolve(dir, "edge_personalize.js"));
  const p = new m.Personalizer(W.config);
  p.loadCatalog(JSON.stringify(W.catalog));
  p.loadRules(JSON.stringify(W.rules));
  let ts = t0;
  return () => {
    for (const { offsetMs, id, ...e } of W.events) {
      ts += 1;
      p.track({ ...e, ts });
    }
  };
};
const fns = { A: tracker(a), B: tracker(b) };
for (const f of Object.values(fns)) { const t = cpuNs(); while (cpuNs() - t < 400e6) f(); }
const runs = { A: [], B: [] };
const rounds = Number(process.env.ROUNDS ?? 31);
for (let r = 0; r < rounds; r++) {
  for (const [k, f] of Object.entries(fns)) {
    const t = cpuNs();
    f();
    runs[k].push((cpuNs() - t) / 1e3 / W.events.length);
  }
}
const [ma, mb] = [median(runs.A), median(runs.B)];
console.log(`track per event: A ${ma.toFixed(2)} us  B ${mb.toFixed(2)} us  A/B ${(ma / mb).toFixed(2)}`);
