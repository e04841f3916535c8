// A/B of `track` in one Node process: two wasm builds (nodejs glue folders,
// e.g. dist/node copied before and after a change), each warmed up for
// 400 ms, then ROUNDS (11) rounds per build in alternating batches; medians
// of CPU time (process.cpuUsage) per event. A round is what `make bench`
// times as `track_wasm_us`: the workload's 200 events into a fresh
// Personalizer, then `free()`. "steady" times `track` alone: the same events
// (ids stripped, so none is a duplicate) into one long-lived session, where
// the ring and de-duplication window are full. "many" is "fresh" through
// `trackMany(events)` (one call, nothing handed back) where a build has it,
// else through `track` (so old builds still run). Before timing it checks that
// both builds store the same events (the returned values as JSON).
//   node bench/track-ab.mjs dist/bench/workload.json BUILD_A BUILD_B
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { cpuNs, median } from "./timing.mjs";

const [workloadPath, a, b] = process.argv.slice(2);
if (!workloadPath || !a || !b) {
  console.error("usage: node bench/track-ab.mjs WORKLOAD.json BUILD_A BUILD_B");
  process.exit(2);
}
const req = createRequire(import.meta.url);
const W = JSON.parse(readFileSync(workloadPath, "utf8"));
const t0 = Date.now();
const events = W.events.map(({ offsetMs, ...e }) => ({ ...e, ts: t0 + offsetMs }));
const builds = { A: req(resolve(a, "edge_personalize.js")), B: req(resolve(b, "edge_personalize.js")) };

// The same events stored by both builds, but for the generated event ids
// (they carry the clock's millisecond).
const stored = (m) => {
  const p = new m.Personalizer(W.config);
  const out = JSON.stringify(events.map((e) => ({ ...p.track(e), id: undefined })));
  p.free();
  return out;
};
console.log(`same stored events: A = B ${stored(builds.A) === stored(builds.B)}`);

const fresh = (m) => () => {
  const p = new m.Personalizer(W.config);
  for (const e of events) p.track(e);
  p.free();
};
const steady = (m) => {
  const p = new m.Personalizer(W.config);
  // Events without ts: a fresh session would expire between far-apart
  // replays; the engine stamps them with the clock instead.
  const untimed = events.map(({ ts, ...e }) => e);
  return () => { for (const e of untimed) p.track(e); };
};
const many = (m) => {
  if (!m.Personalizer.prototype.trackMany) return fresh(m);
  return () => {
    const p = new m.Personalizer(W.config);
    p.trackMany(events);
    p.free();
  };
};
const rounds = Number(process.env.ROUNDS ?? 11);
for (const [label, make] of [["fresh", fresh], ["steady", steady], ["many", many]]) {
  const fns = { A: make(builds.A), B: make(builds.B) };
  for (const f of Object.values(fns)) { const t = cpuNs(); while (cpuNs() - t < 400e6) f(); }
  const runs = { A: [], B: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [k, f] of Object.entries(fns)) {
      const t = cpuNs();
      for (let i = 0; i < 20; i++) f();
      runs[k].push((cpuNs() - t) / (20 * events.length) / 1e3);
    }
  }
  const m = { A: median(runs.A), B: median(runs.B) };
  console.log(`${label}: A ${m.A.toFixed(2)} us/event  B ${m.B.toFixed(2)} us/event  A/B ${(m.A / m.B).toFixed(2)}`);
}
