#!/usr/bin/env node
// Worker benchmark (not a test): runs the Worker in workerd through wrangler's
// unstable_startWorker with the top-level wrangler.toml, then measures
//   - POST /v1/collect with 50 events (one session per batch, 20 sessions in turn),
//   - POST /v1/decide for a warm session (its Durable Object in memory) and for new sessions,
// as medians per request of
//   - the CPU time workerd spent (all its threads' on-CPU nanoseconds from
//     /proc/PID/task/*/schedstat, read before and after each request: this
//     includes workerd's own HTTP handling, the Durable Object and storage;
//     workerd's trace `cpuTime` reads 0 locally, so it cannot be used),
//   - the wall time seen by the client (loopback HTTP included).
// A preflight (OPTIONS) is measured the same way as the floor of the harness.
// Also bundles the Worker with `wrangler deploy --dry-run --outdir dist/worker`
// and reports the upload size, raw and gzip. Writes dist/worker-bench.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";
import { prepareCore } from "../scripts/prepare-core.mjs";

const WORKER_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = join(WORKER_DIR, "..");
const KEY = "bench-write-key";
const RUNS = Number(process.env.EP_BENCH_RUNS ?? 300);
const WARMUP = 30;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The workerd processes below this one (wrangler starts workerd as a child). */
function workerdPids() {
  const out = [];
  const walk = (pid) => {
    let kids = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const k of kids) {
      try {
        if (readFileSync(`/proc/${k}/comm`, "utf8").trim() === "workerd") out.push(k);
      } catch {}
      walk(k);
    }
  };
  walk(process.pid);
  return out;
}

/** On-CPU nanoseconds of every thread of the given processes. */
function cpuNs(pids) {
  let t = 0;
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        t += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // a thread that ended between the listing and the read
      }
    }
  }
  return t;
}

async function measure(name, makeRequest, worker, pids) {
  for (let i = 0; i < WARMUP; i++) await (await worker.fetch(...makeRequest(i))).arrayBuffer();
  const walls = [];
  const cpus = [];
  for (let i = 0; i < RUNS; i++) {
    const args = makeRequest(WARMUP + i);
    const c0 = cpuNs(pids);
    const t0 = performance.now();
    const res = await worker.fetch(...args);
    await res.arrayBuffer();
    walls.push(performance.now() - t0);
    cpus.push((cpuNs(pids) - c0) / 1e6);
    if (res.status >= 400) throw new Error(`${name}: HTTP ${res.status}`);
  }
  const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)];
  return {
    name,
    runs: RUNS,
    cpuMedianMs: +median(cpus).toFixed(3),
    cpuP90Ms: +p90(cpus).toFixed(3),
    wallMedianMs: +median(walls).toFixed(3),
  };
}

function bundleSize() {
  const outdir = join(REPO, "dist", "worker");
  rmSync(outdir, { recursive: true, force: true });
  const run = spawnSync(join(WORKER_DIR, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir], { cwd: REPO, env: { ...process.env, WRANGLER_LOG: "log" }, encoding: "utf8" });
  const log = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${log}`);
  const m = log.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
  if (!m) throw new Error(`no "Total Upload" line in:\n${log}`);
  const files = readdirSync(outdir).filter((f) => !f.endsWith(".map"));
  return { totalUploadKiB: Number(m[1]), gzipKiB: Number(m[2]), files };
}

function events(sessionId, n, i) {
  const types = ["page_view", "product_view", "product_click", "add_to_cart", "search"];
  return Array.from({ length: n }, (_, j) => {
    const type = types[j % types.length];
    const ev = { id: `01BENCH${String(i).padStart(9, "0")}${String(j).padStart(10, "0")}`, type, sessionId, ts: Date.now() - 1000 };
    if (type !== "page_view" && type !== "search") ev.item = { id: `sku-${1 + ((i + j) % 11)}` };
    if (type === "search") ev.query = "red shoes";
    ev.context = { page: "/p/sku-1", device: "mobile" };
    return ev;
  });
}

async function main() {
  prepareCore();
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  process.env.WRANGLER_SEND_METRICS ??= "false";
  process.env.WRANGLER_LOG ??= "error";
  const size = bundleSize();

  const plain = (value) => ({ type: "plain_text", value });
  const worker = await unstable_startWorker({
    config: join(REPO, "wrangler.toml"),
    bindings: {
      WRITE_KEY: plain(KEY),
      USER_ID_SALT: plain("bench-salt"),
      SINK_URL: plain(""), // the queue consumer only schedules retries: no network in the numbers
      RATE_IP_BURST: plain("1000000"),
      RATE_SESSION_BURST: plain("1000000"),
    },
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "error", persist: false },
  });
  await worker.ready;
  const pids = workerdPids();
  if (pids.length === 0) throw new Error("workerd process not found");
  const base = "http://127.0.0.1/";
  const post = (path, body) => [base.slice(0, -1) + path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ep-write-key": KEY, "cf-connecting-ip": "192.0.2.1" },
    body: JSON.stringify(body),
  }];

  const results = [];
  results.push(await measure("preflight (harness floor)", () => [base + "v1/collect", {
    method: "OPTIONS", headers: { origin: "http://127.0.0.1:8080", "access-control-request-method": "POST" } }], worker, pids));
  results.push(await measure("POST /v1/collect, 50 events", (i) => post("/v1/collect", { events: events(`s-bench-${i % 20}`, 50, i) }), worker, pids));
  await (await worker.fetch(...post("/v1/collect", { events: events("s-warm", 50, 0) }))).arrayBuffer();
  results.push(await measure("POST /v1/decide, warm session", () => post("/v1/decide", { sessionId: "s-warm", slot: "home-recs", k: 8 }), worker, pids));
  results.push(await measure("POST /v1/decide, new session", (i) => post("/v1/decide", { sessionId: `s-new-${i}`, slot: "home-recs", k: 8 }), worker, pids));
  await worker.dispose();

  const report = { date: new Date().toISOString(), node: process.version, runsPerCase: RUNS, results, bundle: size };
  mkdirSync(join(REPO, "dist"), { recursive: true });
  writeFileSync(join(REPO, "dist", "worker-bench.json"), JSON.stringify(report, null, 2) + "\n");
  console.log("case                                   workerd CPU median ms (p90)   wall median ms");
  for (const r of results) {
    console.log(`${r.name.padEnd(38)} ${`${r.cpuMedianMs} (${r.cpuP90Ms})`.padStart(27)} ${String(r.wallMedianMs).padStart(16)}`);
  }
  console.log(`bundle (wrangler deploy --dry-run): ${size.totalUploadKiB} KiB raw, ${size.gzipKiB} KiB gzip`);
  console.log("written: dist/worker-bench.json");
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
