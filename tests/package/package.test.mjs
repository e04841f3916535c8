// The packed tarball as users get it: installed with npm into a scratch Vite 7
// app (built, served by `vite preview`) and into a plain page with an import map,
// both driven in headless Chromium; into a Cloudflare Worker run by wrangler in
// workerd; its Node entry; its TypeScript declarations.
// Run by tests/package/run.sh package, which scaffolds the apps and starts the servers.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { chromium } from "playwright-core";

const SCRATCH = process.env.SCRATCH;
const SHOTS = new URL("../../dist/screenshots/", import.meta.url);
const FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const catalog = JSON.parse(readFileSync(new URL("../../www/catalog.json", import.meta.url), "utf8"));
const byId = new Map(catalog.items.map((it) => [it.id, it]));

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
});
after(async () => browser?.close());

async function open(url) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const problems = [];
  const wasmResponses = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
  page.on("response", (r) => { if (r.url().endsWith(".wasm")) wasmResponses.push({ url: r.url(), type: r.headers()["content-type"] }); });
  await page.goto(url);
  await page.waitForFunction(() => window.__ep?.ready === true, null, { timeout: 20_000 });
  return { context, page, problems, wasmResponses };
}

const events = (page) => page.evaluate(() => window.__ep.events.map((e) => ({ type: e.type, item: e.item, items: e.items, decisionId: e.decisionId, context: e.context, query: e.query })));

for (const [name, base] of [["vite", process.env.VITE_URL], ["plain", process.env.PLAIN_URL]]) {
  test(`${name}: the package loads, autotracks and personalises`, async () => {
    const { context, page, problems, wasmResponses } = await open(base);
    try {
      assert.match(await page.evaluate(() => window.__ep.version), /^edge-personalize \d+\.\d+\.\d+ \(snapshot v\d+\)$/);
      assert.equal((await page.evaluate(() => window.__ep.codes)).length, 17);
      // Browsers get the size build (wasm/), the bytes every shopper downloads.
      assert.equal(await page.evaluate(() => window.__ep.build), "size");
      assert.equal(await page.evaluate(() => window.__ep.backend), "indexeddb");
      assert.equal(await page.evaluate(() => window.__ep.restored), null);
      // The wasm came from next to the module, as application/wasm (streaming compile; no fallback warning).
      assert.equal(wasmResponses.length, 1, JSON.stringify(wasmResponses));
      assert.equal(wasmResponses[0].type, "application/wasm");

      // data-ep-view: the product on the page was viewed; its catalog fields filled in.
      let evs = await events(page);
      assert.equal(evs[0].type, "product_view");
      assert.deepEqual(evs[0].item, { id: "sku-004", category: "tents", brand: byId.get("sku-004").brand, price: byId.get("sku-004").price });

      // The slot was rendered after that view: the accessories rule put sku-004's accessories first.
      const recs = await page.$$eval("#recs [data-ep-item]", (els) => els.map((e) => ({ id: e.dataset.epItem, reasons: e.dataset.reasons })));
      assert.equal(recs.length, 4);
      const accessories = new Set(byId.get("sku-004").accessories.map((a) => a.id));
      assert.ok(accessories.has(recs[0].id), `first item ${recs[0].id} is an accessory of sku-004`);
      assert.match(recs[0].reasons, /rule:accessories-after-view/);
      const decisionId = await page.getAttribute("#recs", "data-ep-decision-id");
      assert.match(decisionId, /^[0-9A-Z]{26}$/);

      // Impressions: every visible recommendation after ≥ 1 s, none for the slot below the fold.
      await page.waitForFunction(() => window.__ep.events.filter((e) => e.type === "impression").length >= 4, null, { timeout: 10_000 });
      await page.waitForTimeout(1500);
      evs = await events(page);
      const imps = evs.filter((e) => e.type === "impression");
      assert.deepEqual(imps.map((e) => e.items[0].id).sort(), recs.map((r) => r.id).sort());
      for (const e of imps) {
        assert.equal(e.decisionId, decisionId);
        assert.equal(e.context.slot, "home-recs");
      }
      const below = await page.$$eval("#below [data-ep-item]", (els) => els.map((e) => e.dataset.epItem));
      assert.equal(below.length, 2);
      assert.ok(!imps.some((e) => e.context.slot === "footer"), "no impression for the slot never on screen");

      // Dwell: the footer slot on screen for 0.3 s is no impression; for longer than 1 s it is.
      const footerImps = () => page.evaluate(() => window.__ep.events.filter((e) => e.type === "impression" && e.context.slot === "footer").length);
      await page.evaluate(() => document.querySelector("#below").scrollIntoView({ block: "center" }));
      await page.waitForTimeout(300);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.waitForTimeout(1500);
      assert.equal(await footerImps(), 0, "0.3 s on screen is not an impression");
      await page.evaluate(() => document.querySelector("#below").scrollIntoView({ block: "center" }));
      await page.waitForFunction(() => window.__ep.events.filter((e) => e.type === "impression" && e.context.slot === "footer").length === 2, null, { timeout: 5_000 });
      await page.evaluate(() => window.scrollTo(0, 0));

      // Clicks: a tile, a recommendation (with its slot and decision), add to cart, search.
      await page.click("#tile");
      await page.click(`#recs [data-ep-item="${recs[1].id}"]`);
      await page.click("#add");
      await page.fill("input[name=q]", "ultralight tent");
      await page.click("#search");
      evs = (await events(page)).slice(-4);
      assert.deepEqual(evs.map((e) => e.type), ["product_click", "product_click", "add_to_cart", "search"]);
      assert.equal(evs[0].item.id, "sku-010");
      assert.equal(evs[0].item.category, byId.get("sku-010").category);
      assert.equal(evs[1].item.id, recs[1].id);
      assert.equal(evs[1].context.slot, "home-recs");
      assert.equal(evs[1].decisionId, decisionId);
      assert.deepEqual([evs[2].item.id, evs[2].item.quantity], ["sku-004", 1]);
      assert.equal(evs[3].query, "ultralight tent");
      await page.screenshot({ path: new URL(`package-${name}.png`, SHOTS).pathname, fullPage: false });

      // Reload: the session comes back from IndexedDB (the pagehide flush).
      const before = await page.evaluate(() => window.__ep.client.state().counters.events);
      await page.reload();
      await page.waitForFunction(() => window.__ep?.ready === true);
      assert.equal(await page.evaluate(() => window.__ep.restored), "storage");
      const state = await page.evaluate(() => window.__ep.client.state());
      // The restored session holds the earlier events, plus the new page's product_view.
      assert.equal(state.counters.events, before + 1);
      assert.deepEqual(state.cart.map((c) => c.item), ["sku-004"]);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
}

test("plain: the caller can supply the wasm bytes", async () => {
  const { context, page, problems } = await open(process.env.PLAIN_URL + "?bytes=1");
  try {
    assert.match(await page.evaluate(() => window.__ep.version), /^edge-personalize /);
    assert.equal(await page.evaluate(() => window.__ep.build), "size");
    assert.equal(await page.$$eval("#recs [data-ep-item]", (els) => els.length), 4);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("plain: snapshot storage is debounced, and falls back to localStorage", async () => {
  const { context, page, problems } = await open(process.env.PLAIN_URL);
  try {
    const r = await page.evaluate(async () => {
      const { createSnapshotStore } = await import("edge-personalize");
      const out = {};
      // Five changes within the debounce window: one write, with the last bytes.
      const idb = await createSnapshotStore({ key: "t-idb", debounceMs: 200 });
      for (let i = 1; i <= 5; i++) idb.schedule(() => new Uint8Array([i, i, i]));
      out.idbBackend = idb.backend;
      out.writesBefore = idb.writes;
      await new Promise((res) => setTimeout(res, 600));
      out.writesAfter = idb.writes;
      out.idbLoaded = [...(await idb.load())];
      // No IndexedDB: localStorage, base64 with a timestamp.
      const saved = Object.getOwnPropertyDescriptor(window, "indexedDB");
      Object.defineProperty(window, "indexedDB", { value: undefined, configurable: true });
      const ls = await createSnapshotStore({ key: "t-ls", debounceMs: 50 });
      Object.defineProperty(window, "indexedDB", saved);
      out.lsBackend = ls.backend;
      ls.schedule(() => new Uint8Array([7, 8, 9]));
      await ls.flush();
      out.lsRaw = JSON.parse(localStorage.getItem("t-ls"));
      out.lsLoaded = [...(await ls.load())];
      await ls.clear();
      out.lsCleared = await ls.load();
      return out;
    });
    assert.equal(r.idbBackend, "indexeddb");
    assert.equal(r.writesBefore, 0);
    assert.equal(r.writesAfter, 1);
    assert.deepEqual(r.idbLoaded, [5, 5, 5]);
    assert.equal(r.lsBackend, "localstorage");
    assert.equal(r.lsRaw.b64, "BwgJ");
    assert.deepEqual(r.lsLoaded, [7, 8, 9]);
    assert.equal(r.lsCleared, null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

const packed = (path) => readFileSync(new URL(`../../dist/package/${path}`, import.meta.url));

test("vite: the build emitted the size build's wasm as an asset and bundled the browser entry only", () => {
  const assets = join(SCRATCH, "vite-app/dist/assets");
  const files = readdirSync(assets);
  const wasms = files.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasms.length, 1, files.join(", "));
  assert.ok(readFileSync(join(assets, wasms[0])).equals(packed("wasm/edge_personalize_bg.wasm")), `${wasms[0]} is wasm/edge_personalize_bg.wasm`);
  for (const f of files.filter((f) => f.endsWith(".js"))) {
    const js = readFileSync(join(assets, f), "utf8");
    assert.ok(!js.includes("node:fs"), `${f} must not pull in the Node entry`);
  }
});

test("node: the Node entry initialises from the bundled wasm", () => {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", `
    import { init, createClient, version, wasmBuild, CompiledCondition, ConditionData } from "edge-personalize";
    import { readFileSync } from "node:fs";
    await init();
    const c = await createClient({ catalog: readFileSync("public/catalog.json", "utf8"), rules: readFileSync("public/rules.json", "utf8") });
    c.track({ type: "product_view", item: { id: "sku-004" } });
    const d = c.decide({ slot: "home-recs", k: 3 });
    const cc = new CompiledCondition({ "in": ["sale", { var: "tags" }] });
    const m = [cc.matches(new ConditionData({ tags: ["sale"] })), cc.matches(new ConditionData({ tags: [] }))];
    console.log(JSON.stringify({ v: version(), build: wasmBuild(), entry: import.meta.resolve("edge-personalize"), n: d.items.length, r: d.rulesFired, storage: c.storage, m }));
  `], { cwd: join(SCRATCH, "vite-app"), encoding: "utf8" });
  const r = JSON.parse(out);
  assert.match(r.v, /^edge-personalize /);
  // Node resolves the node entry, which loads the speed build (wasm-server/).
  assert.match(r.entry, /\/node_modules\/edge-personalize\/src\/node\.js$/);
  assert.equal(r.build, "speed");
  assert.equal(r.n, 3);
  assert.ok(r.r.includes("accessories-after-view"));
  assert.equal(r.storage, null);
  assert.deepEqual(r.m, [true, false]);
});

test("workerd: wrangler bundles the workerd entry with its wasm module, and it decides in workerd", async () => {
  const bundle = join(SCRATCH, "worker/bundle");
  const files = readdirSync(bundle);
  const wasms = files.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasms.length, 1, files.join(", "));
  // The Worker carries the speed build (wasm-server/): billed per CPU-ms, never downloaded by a shopper.
  assert.ok(readFileSync(join(bundle, wasms[0])).equals(packed("wasm-server/edge_personalize_bg.wasm")), `${wasms[0]} is wasm-server/edge_personalize_bg.wasm`);
  const js = readFileSync(join(bundle, "index.js"), "utf8");
  assert.ok(js.includes("src/workerd.js"), "the workerd entry was chosen");
  assert.ok(!js.includes("src/browser.js") && !js.includes("node:fs"));
  const r = await (await fetch(process.env.WORKER_URL + "?viewed=sku-004")).json();
  assert.match(r.version, /^edge-personalize /);
  assert.equal(r.build, "speed");
  assert.equal(r.decision.items.length, 4);
  const accessories = new Set(byId.get("sku-004").accessories.map((a) => a.id));
  assert.ok(accessories.has(r.decision.items[0].id), JSON.stringify(r.decision.items));
  assert.ok(r.decision.rulesFired.includes("accessories-after-view"));
});

test("types: the declarations compile under strict TypeScript and reject misuse", () => {
  const tsc = new URL("node_modules/typescript/bin/tsc", import.meta.url).pathname;
  assert.ok(existsSync(tsc));
  try {
    execFileSync(process.execPath, [tsc, "-p", join(SCRATCH, "ts-check")], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc: ${e.stdout}${e.stderr}`);
  }
});

test("tarball: only what users need", () => {
  const report = JSON.parse(readFileSync(new URL("../../dist/package-report.json", import.meta.url), "utf8"));
  const paths = report.files.map((f) => f.path).sort();
  for (const must of ["package.json", "README.md", "types/index.d.ts", "src/browser.js", "src/node.js", "src/workerd.js", "wasm/edge_personalize_bg.wasm", "wasm/edge_personalize.js",
    "wasm-server/edge_personalize_bg.wasm", "wasm-server/edge_personalize.js"]) {
    assert.ok(paths.includes(must), `${must} in the tarball`);
  }
  assert.ok(paths.every((p) => /^(package\.json|README\.md|LICENSE.*|src\/.+\.js|types\/.+\.d\.ts|wasm(-server)?\/edge_personalize(_bg\.wasm|\.js))$/.test(p)), paths.join(", "));
  // Two builds, each folder its own glue and wasm: the size build for browsers, the speed build for servers.
  assert.deepEqual(report.builds, { "wasm/": "size", "wasm-server/": "speed" });
  assert.ok(!packed("wasm/edge_personalize_bg.wasm").equals(packed("wasm-server/edge_personalize_bg.wasm")));
  const pkg = JSON.parse(readFileSync(new URL("../../dist/package/package.json", import.meta.url), "utf8"));
  assert.equal(pkg.sideEffects, false);
  assert.equal(pkg.type, "module");
  assert.deepEqual(Object.keys(pkg.exports["."]), ["types", "workerd", "browser", "node", "default"]);
  assert.deepEqual(pkg.exports["./sync"], { types: "./types/sync.d.ts", default: "./src/sync/index.js" });
});
