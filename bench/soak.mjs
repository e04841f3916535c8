// The soak benchmark (`make bench-soak`): does memory stay flat when the wasm
// engine serves many long sessions? 1,000,000 events across 1,000 sessions,
// one decide() per ~50 events of each session, with the bench catalog (10k
// items), its 25 rules and a session model loaded. Memory is sampled at the
// start and after every 10% of the events (50% is the middle), each time after
// a full GC:
//   - the core's live heap bytes, counted by a global allocator that only the
//     soak's build has (feature `alloc-stats`; DIR/node, built by the make
//     target): what the sessions, hosts and caches really hold;
//   - wasm linear memory (`memory.buffer.byteLength`). It never shrinks, so it
//     is the allocator's high-water mark: a slow leak can hide in memory freed
//     earlier, which is why the live bytes are counted too;
//   - the wasm-bindgen externref table (JS values the wasm side holds on to);
//   - the JS heap (`heapUsed`) and ArrayBuffer bytes (the snapshot store).
// PLATEAU is "yes" when live heap bytes, wasm memory, the externref table and
// the JS heap each grew less than 5% between the middle and the end. Writes
// dist/soak.json. Without DIR/node it runs the shipped build (dist/node),
// without live heap bytes.
//
//   node bench/soak.mjs prepare DIR          catalog, rules, model training sessions
//   node --expose-gc bench/soak.mjs run DIR [EVENTS] [SESSIONS]
//
// How sessions live here, and why: a Personalizer with the 10k catalog, the
// rules and the model loaded takes ~10.7 MB of linear memory and ~300 ms to
// load, so 1,000 live instances would need ~10 GB (wasm32 stops at 4 GiB; a
// Worker isolate at 128 MB). A deployment keeps a few loaded Personalizers
// ("hosts") and moves each session in and out as its snapshot, the bytes a
// Durable Object stores and the page keeps in localStorage: a visit restores
// the session's snapshot into a host, tracks the visit's events (deciding
// along the way) and stores the new snapshot. A brand-new session starts from
// a Personalizer created for its id (no assets: cheap), snapshotted and freed.
// Hosts are freed and rebuilt at every sample, as an isolate is recycled, so
// free() and reloading the assets are part of what must stay flat.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { generate, rng, CATEGORIES } from "../www/gen-catalog.mjs";
import { makeRules } from "./workload.mjs";
import { relationWalks } from "../www/gen-sessions.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const CATALOG_ITEMS = 10_000;
const CATALOG_SEED = 7;
const HOSTS = 4;
const DECIDE_EVERY = 50;
const BURST_MIN = 5;
const BURST_MAX = 45;
const SAMPLES = 10;
// A shopper's cart stays under the purchase event's item limit.
const MAX_CART_LINES = 20;
const PLATEAU_MAX_GROWTH = 0.05;

const [mode, dir, eventsArg, sessionsArg] = process.argv.slice(2);
if (!dir || (mode !== "prepare" && mode !== "run")) {
  console.error("usage: node bench/soak.mjs prepare DIR | node --expose-gc bench/soak.mjs run DIR [EVENTS] [SESSIONS]");
  process.exit(2);
}

/** Writes the catalog, the rules and training sessions for `ep-model build --format sessions`. */
function prepare(outDir) {
  mkdirSync(outDir, { recursive: true });
  const catalog = generate(CATALOG_ITEMS, CATALOG_SEED);
  writeFileSync(join(outDir, "catalog.json"), JSON.stringify(catalog));
  writeFileSync(join(outDir, "rules.json"), JSON.stringify(makeRules()));
  // Training clicks follow the catalog's relations, as shoppers do: mostly
  // similar items, then accessories and related ones.
  const rand = rng(21);
  const start = () => catalog.items[Math.floor(rand() * catalog.items.length)].id;
  const lines = relationWalks(catalog.items, 20_000, rand, start).map((clicks) => clicks.join(" "));
  writeFileSync(join(outDir, "sessions.txt"), lines.join("\n") + "\n");
  console.log(`soak inputs: ${catalog.items.length} items, ${lines.length} training sessions -> ${outDir}`);
}

/** Loads the Node build and keeps its wasm instance, whose memory the glue does not export. */
function loadWasm(gluePath) {
  let instance = null;
  const RealInstance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    instance = new RealInstance(module, imports);
    return instance;
  };
  try {
    const api = createRequire(import.meta.url)(gluePath);
    if (!instance) throw new Error("the wasm glue did not instantiate through WebAssembly.Instance");
    return { api, exports: instance.exports };
  } finally {
    WebAssembly.Instance = RealInstance;
  }
}

/**
 * One shopper: browsing missions that move between categories, views and
 * clicks on the mission's items, cart changes, purchases of the cart,
 * searches, page views and impressions of the last decision.
 */
class Shopper {
  constructor(id, rand, byCategory, items) {
    this.id = id;
    this.rand = rand;
    this.byCategory = byCategory;
    this.items = items;
    this.categories = [...byCategory.keys()];
    this.mission = this.pick(this.categories);
    this.seen = [];
    this.cart = [];
    this.events = 0;
    this.lastDecision = null;
  }
  pick(arr) {
    return arr[Math.floor(this.rand() * arr.length)];
  }
  ref(it) {
    return { id: it.id, category: it.category, brand: it.brand, price: it.price };
  }
  next() {
    const r = this.rand();
    this.events += 1;
    if (this.events % 40 === 0) this.mission = this.pick(this.categories);
    const missionItems = this.byCategory.get(this.mission);
    let ev;
    if (r < 0.42 || this.seen.length === 0) {
      const it = this.rand() < 0.8 ? this.pick(missionItems) : this.pick(this.items);
      this.seen.push(it);
      if (this.seen.length > 10) this.seen.shift();
      ev = { type: "product_view", item: this.ref(it), context: { page: `/p/${it.id}`, device: "mobile" } };
    } else if (r < 0.56) {
      const it = this.rand() < 0.3 ? this.pick(this.seen) : this.pick(missionItems);
      ev = { type: "product_click", item: this.ref(it), context: { page: "/", slot: "home-recs", device: "mobile" } };
    } else if (r < 0.63 && this.cart.length < MAX_CART_LINES) {
      const it = this.pick(this.seen);
      this.cart.push(it);
      ev = { type: "add_to_cart", item: { ...this.ref(it), quantity: 1 } };
    } else if (r < 0.65 && this.cart.length > 0) {
      ev = { type: "remove_from_cart", item: { ...this.ref(this.cart.pop()), quantity: 1 } };
    } else if (r < 0.67 && this.cart.length > 0) {
      ev = { type: "purchase", items: this.cart.splice(0).map((it) => ({ ...this.ref(it), quantity: 1 })) };
    } else if (r < 0.77) {
      const word = this.pick(["waterproof", "light", "cheap", "men", "women"]);
      ev = { type: "search", query: `${this.mission.replace(/-/g, " ")} ${word}` };
    } else if (r < 0.85) {
      ev = { type: "page_view", context: { page: `/c/${this.mission}`, device: "mobile" } };
    } else if (this.lastDecision && this.lastDecision.items.length > 0) {
      const d = this.lastDecision;
      ev = { type: "impression", decisionId: d.decisionId, items: d.items.map((it) => ({ id: it.id })), context: { slot: d.slot } };
    } else {
      ev = { type: "impression", items: missionItems.slice(0, 4).map((it) => ({ id: it.id })), context: { slot: "home-recs" } };
    }
    ev.sessionId = this.id;
    return ev;
  }
  request() {
    const last = this.seen[this.seen.length - 1];
    if (last && this.rand() < 0.5) {
      return { slot: "pdp", k: 8, item: last.id, context: { device: "mobile", page: `/p/${last.id}` }, excludeCart: true };
    }
    return { slot: "home-recs", k: 10, context: { device: "mobile", page: "/", weather: "rain" }, excludeCart: true, excludePurchased: true };
  }
}

function run(inDir, totalEvents, sessionCount) {
  if (typeof global.gc !== "function") {
    console.error("run needs --expose-gc (heap samples are taken after a full GC)");
    process.exit(2);
  }
  const soakBuild = resolve(inDir, "node", "edge_personalize.js");
  const gluePath = existsSync(soakBuild) ? soakBuild : join(repo, "dist", "node", "edge_personalize.js");
  const { api, exports: wasm } = loadWasm(gluePath);
  const liveHeapBytes = typeof api.liveHeapBytes === "function" ? () => api.liveHeapBytes() : () => null;
  console.log(`wasm build: ${gluePath}${liveHeapBytes() === null ? " (no alloc-stats: live heap bytes not counted)" : ""}`);
  const catalogText = readFileSync(join(inDir, "catalog.json"), "utf8");
  const rulesText = readFileSync(join(inDir, "rules.json"), "utf8");
  const model = new Uint8Array(readFileSync(join(inDir, "model.epm")));
  const catalog = JSON.parse(catalogText);
  const byCategory = new Map();
  for (const it of catalog.items) {
    if (!byCategory.has(it.category)) byCategory.set(it.category, []);
    byCategory.get(it.category).push(it);
  }
  if (byCategory.size < Object.keys(CATEGORIES).length) throw new Error("catalog lacks categories");

  let hostLoads = 0;
  const loadHost = (i) => {
    const p = new api.Personalizer({ seed: 1000 + hostLoads, sessionId: `host-${i}` });
    p.loadCatalog(catalogText);
    p.loadRules(rulesText);
    p.loadModel(model);
    hostLoads += 1;
    return { p, current: null };
  };
  const hosts = Array.from({ length: HOSTS }, (_, i) => loadHost(i));
  const recycleHosts = () => {
    for (let i = 0; i < hosts.length; i++) {
      hosts[i].p.free();
      hosts[i] = loadHost(i);
    }
  };

  const rand = rng(99);
  const shoppers = Array.from({ length: sessionCount }, (_, i) => new Shopper(`soak-${String(i).padStart(4, "0")}`, rand, byCategory, catalog.items));
  const quota = Math.floor(totalEvents / sessionCount);
  const store = new Map(); // session id -> snapshot bytes (what a Durable Object stores)
  const startSession = (id, seed) => {
    const p = new api.Personalizer({ sessionId: id, seed });
    try {
      return p.snapshot();
    } finally {
      p.free();
    }
  };

  const samples = [];
  const sample = (done, t0) => {
    global.gc();
    global.gc();
    const m = process.memoryUsage();
    let snapshotBytes = 0;
    for (const b of store.values()) snapshotBytes += b.byteLength;
    const s = {
      events: done,
      percent: Math.round((done / (quota * sessionCount)) * 100),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
      liveHeapBytes: liveHeapBytes(),
      wasmMemoryBytes: wasm.memory.buffer.byteLength,
      externrefTableLength: wasm.__wbindgen_externrefs ? wasm.__wbindgen_externrefs.length : null,
      jsHeapUsedBytes: m.heapUsed,
      arrayBuffersBytes: m.arrayBuffers,
      rssBytes: m.rss,
      sessionsStored: store.size,
      snapshotStoreBytes: snapshotBytes,
      hostLoads,
    };
    samples.push(s);
    console.log(
      `${String(s.percent).padStart(3)}%  ${String(done).padStart(9)} events  ${mb(s.liveHeapBytes)} live  ${mb(s.wasmMemoryBytes)} wasm  ` +
        `${mb(s.jsHeapUsedBytes)} heap  ${mb(s.snapshotStoreBytes)} snapshots  ${s.seconds}s`,
    );
  };

  // Pending work: every shopper tracks `quota` events; visits pick a random
  // shopper with work left, so sessions interleave as real traffic does.
  const open = shoppers.map((_, i) => i);
  let done = 0;
  let decides = 0;
  let visits = 0;
  let restores = 0;
  let trackErrors = 0;
  let decideErrors = 0;
  const errorCodes = {};
  const noteError = (err) => {
    const code = err && err.code ? err.code : String(err);
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  };
  const step = Math.floor((quota * sessionCount) / SAMPLES);
  let nextSample = step;
  const t0 = performance.now();
  let tTrack = 0;
  let tDecide = 0;
  let tSwap = 0;
  sample(0, t0);
  while (open.length > 0) {
    const slot = Math.floor(rand() * open.length);
    const shopper = shoppers[open[slot]];
    const host = hosts[open[slot] % HOSTS];
    visits += 1;
    let t = performance.now();
    if (host.current !== shopper.id) {
      const bytes = store.get(shopper.id) ?? startSession(shopper.id, visits);
      host.p.restore(bytes);
      host.current = shopper.id;
      restores += 1;
    }
    tSwap += performance.now() - t;
    const burst = Math.min(BURST_MIN + Math.floor(rand() * (BURST_MAX - BURST_MIN + 1)), quota - shopper.events);
    for (let i = 0; i < burst; i++) {
      const ev = shopper.next();
      t = performance.now();
      try {
        host.p.track(ev);
      } catch (err) {
        trackErrors += 1;
        noteError(err);
      }
      tTrack += performance.now() - t;
      done += 1;
      if (shopper.events % DECIDE_EVERY === 0) {
        t = performance.now();
        try {
          shopper.lastDecision = host.p.decide(shopper.request());
        } catch (err) {
          decideErrors += 1;
          noteError(err);
        }
        tDecide += performance.now() - t;
        decides += 1;
      }
    }
    t = performance.now();
    store.set(shopper.id, host.p.snapshot());
    tSwap += performance.now() - t;
    if (shopper.events >= quota) {
      open[slot] = open[open.length - 1];
      open.pop();
    }
    while (done >= nextSample && samples.length <= SAMPLES) {
      sample(done, t0);
      nextSample += step;
      if (open.length > 0) recycleHosts();
    }
  }
  if (samples[samples.length - 1].events !== done) sample(done, t0);

  // Each stored session is its own: its id, and every event it was sent.
  let sessionsVerified = 0;
  const probe = hosts[0].p;
  for (const s of shoppers) {
    probe.restore(store.get(s.id));
    const st = probe.state();
    if (st.sessionId === s.id && st.counters.events === s.events) sessionsVerified += 1;
  }
  for (const h of hosts) h.p.free();

  const middle = samples.find((s) => s.events >= done / 2) ?? samples[0];
  const end = samples[samples.length - 1];
  const growth = (key) => (middle[key] ? (end[key] - middle[key]) / middle[key] : 0);
  const growthMiddleToEnd = {
    ...(middle.liveHeapBytes === null ? {} : { liveHeap: growth("liveHeapBytes") }),
    wasmMemory: growth("wasmMemoryBytes"),
    externrefTable: growth("externrefTableLength"),
    jsHeapUsed: growth("jsHeapUsedBytes"),
  };
  const plateau = Object.values(growthMiddleToEnd).every((g) => g < PLATEAU_MAX_GROWTH);
  const result = {
    events: done,
    sessions: sessionCount,
    eventsPerSession: quota,
    decides,
    visits,
    restores,
    hostLoads,
    hosts: HOSTS,
    trackErrors,
    decideErrors,
    errorCodes,
    sessionsVerified,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    trackMeanUs: Number(((tTrack * 1000) / done).toFixed(2)),
    decideMeanUs: Number(((tDecide * 1000) / Math.max(decides, 1)).toFixed(1)),
    swapMeanUs: Number(((tSwap * 1000) / visits).toFixed(1)),
    node: process.version,
    wasmBuild: gluePath.startsWith(repo) ? gluePath.slice(repo.length + 1) : gluePath,
    samples,
    middle: middle.events,
    growthMiddleToEnd,
    plateauMaxGrowth: PLATEAU_MAX_GROWTH,
    plateau,
  };
  mkdirSync(join(repo, "dist"), { recursive: true });
  writeFileSync(join(repo, "dist", "soak.json"), JSON.stringify(result, null, 2) + "\n");

  console.log("\n| progress | events | live wasm heap | wasm linear memory | externref table | JS heap used | ArrayBuffers (snapshot store) | rss |");
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const s of samples) {
    const tag = s === samples[0] ? " (start)" : s === middle ? " (middle)" : s === end ? " (end)" : "";
    console.log(
      `| ${s.percent}%${tag} | ${s.events.toLocaleString("en")} | ${mb(s.liveHeapBytes)} | ${mb(s.wasmMemoryBytes)} | ${s.externrefTableLength} | ` +
        `${mb(s.jsHeapUsedBytes)} | ${mb(s.arrayBuffersBytes)} | ${mb(s.rssBytes)} |`,
    );
  }
  const pct = (g) => `${(g * 100).toFixed(2)}%`;
  console.log(
    `\n${done.toLocaleString("en")} events, ${sessionCount} sessions, ${decides.toLocaleString("en")} decides, ` +
      `${visits.toLocaleString("en")} visits (${restores.toLocaleString("en")} restores, ${hostLoads} host loads) in ${result.seconds} s; ` +
      `track ${result.trackMeanUs} µs, decide ${result.decideMeanUs} µs, restore+snapshot ${result.swapMeanUs} µs per visit`,
  );
  console.log(`errors: track ${trackErrors}, decide ${decideErrors} ${JSON.stringify(errorCodes)}; sessions verified ${sessionsVerified}/${sessionCount}`);
  console.log(
    `growth middle -> end: live heap ${growthMiddleToEnd.liveHeap === undefined ? "n/a" : pct(growthMiddleToEnd.liveHeap)}, wasm ${pct(growthMiddleToEnd.wasmMemory)}, externref table ${pct(growthMiddleToEnd.externrefTable)}, ` +
      `JS heap ${pct(growthMiddleToEnd.jsHeapUsed)} (limit ${pct(PLATEAU_MAX_GROWTH)})`,
  );
  console.log(`PLATEAU ${plateau ? "yes" : "no"}`);
  console.log("-> dist/soak.json");
  if (trackErrors + decideErrors > 0 || sessionsVerified !== sessionCount) process.exitCode = 1;
}

function mb(bytes) {
  if (bytes === null) return "n/a";
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

// Last: the Shopper class above must be initialised before run() uses it.
if (mode === "prepare") {
  prepare(dir);
} else {
  run(dir, Number(eventsArg ?? 1_000_000), Number(sessionsArg ?? 1_000));
}
