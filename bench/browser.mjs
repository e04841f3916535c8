// `make bench`'s browser part: ours (dist/web, as a storefront loads it) and the
// plain-JS engine deciding and tracking in headless Chromium, on the workload
// bench/workload.mjs wrote. Serves the page from an in-process HTTP server on
// 127.0.0.1 (an ephemeral port, so it never collides with a test's fixed port),
// drives Chromium with playwright-core, and merges the medians into
// dist/bench.json under `chromium` (bench/node.mjs writes the file first).
// The server and the browser are closed in `finally`, also when a step fails.
//   node bench/browser.mjs WORKLOAD.json
import { createServer } from "node:http";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const toolsRequire = createRequire(join(repo, "tools", "package.json"));
const { chromium } = toolsRequire("playwright-core");
const esbuild = toolsRequire("esbuild");

const workloadPath = process.argv[2];
if (!workloadPath) {
  console.error("usage: node bench/browser.mjs WORKLOAD.json");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.error(`bench/browser: no Chromium at ${CHROMIUM} (scripts/ensure-tools.sh installs Debian's chromium)`);
  process.exit(1);
}

// The JS competitor for the browser: bench/js-engine.mjs with json-logic-js as
// a plain import (bench/json-logic.mjs loads it through createRequire for Node).
const bundled = await esbuild.build({
  entryPoints: [join(repo, "bench", "js-engine.mjs")],
  nodePaths: [join(repo, "tools", "node_modules")],
  plugins: [{
    name: "plain-json-logic",
    setup(build) {
      build.onResolve({ filter: /\/json-logic\.mjs$/ }, () => ({ path: "json-logic-shim", namespace: "shim" }));
      build.onLoad({ filter: /.*/, namespace: "shim" }, () => ({ contents: 'import j from "json-logic-js"; export default j;', resolveDir: repo }));
    },
  }],
  bundle: true, format: "esm", platform: "browser", target: "es2020", write: false, logLevel: "silent",
});
const jsEngineBundle = Buffer.from(bundled.outputFiles[0].contents);

const webDir = join(repo, "dist", "web");
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const fixed = {
  "/": ["text/html", '<!doctype html><meta charset="utf-8"><title>edge-personalize bench</title><script type="module" src="/bench-page.mjs"></script>'],
  "/bench-page.mjs": ["text/javascript", readFileSync(join(repo, "bench", "browser-page.mjs"))],
  "/js-engine.mjs": ["text/javascript", jsEngineBundle],
  "/timing.mjs": ["text/javascript", readFileSync(join(repo, "bench", "timing.mjs"))],
  "/workload.json": ["application/json", readFileSync(workloadPath)],
};
const server = createServer((req, res) => {
  const path = new URL(req.url, "http://127.0.0.1").pathname;
  let body = null;
  let type = "application/octet-stream";
  if (fixed[path]) {
    [type, body] = fixed[path];
  } else if (path.startsWith("/pkg/")) {
    const file = normalize(join(webDir, path.slice("/pkg/".length)));
    if (file.startsWith(webDir + sep) && existsSync(file)) {
      body = readFileSync(file);
      type = types[file.slice(file.lastIndexOf("."))] ?? type;
    }
  }
  if (body === null) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

let result;
let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => window.__benchResult !== undefined, null, { timeout: 300_000, polling: 500 });
  result = await page.evaluate(() => window.__benchResult);
} finally {
  await browser?.close();
  server.close();
}
if (result.error) {
  console.error(`bench/browser: the page failed: ${result.error}`);
  process.exit(1);
}

const benchPath = join(repo, "dist", "bench.json");
const all = existsSync(benchPath) ? JSON.parse(readFileSync(benchPath, "utf8")) : {};
all.chromium = result;
all.decide_chromium_wasm_us = result.decide_wasm_us;
all.decide_chromium_js_us = result.decide_js_us;
all.ratio_decide_chromium_js_over_wasm = Number((result.decide_js_us / result.decide_wasm_us).toPrecision(3));
writeFileSync(benchPath, JSON.stringify(all, null, 2) + "\n");

const f = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1));
console.log(`\nheadless Chromium (${result.userAgent.match(/(HeadlessChrome|Chrome)\/[\d.]+/)?.[0] ?? "?"}; wall time, alternating batches)`);
console.log("| workload | unit | wasm in Chromium | plain JS in Chromium | JS / wasm |");
console.log("|---|---|---:|---:|---:|");
console.log(`| decide (10k items, 200 events, 25 rules, k=10) | µs | ${f(result.decide_wasm_us)} | ${f(result.decide_js_us)} | ${(result.decide_js_us / result.decide_wasm_us).toPrecision(2)}× |`);
console.log(`| track, per event | µs | ${f(result.track_wasm_us)} | ${f(result.track_js_us)} | ${(result.track_js_us / result.track_wasm_us).toPrecision(2)}× |`);
console.log(`| track, per event, one trackMany call | µs | ${f(result.track_many_wasm_us)} | ${f(result.track_js_us)} | ${(result.track_js_us / result.track_many_wasm_us).toPrecision(2)}× |`);
console.log(`Same decision from wasm and plain JS in Chromium: ${result.decide_same_items}/10 items, same order: ${result.decide_same_order}.`);
if (!result.decide_same_order) {
  console.error(`bench/browser: wasm and JS decided differently in Chromium (${result.decide_compared_in_one_ms ? "within one millisecond" : "not within one millisecond"})`);
  process.exit(1);
}
console.log("merged into dist/bench.json (chromium)");
