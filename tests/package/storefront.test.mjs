// The demo storefront (www/) end to end in headless Chromium, through the
// package's page layer: a new shopper gets best-sellers; browsing three products
// of one category makes "Recommended for you" mostly that category; viewing a
// product puts its accessories first; impressions, the cart, search; a reload
// restores the session; a damaged stored session starts fresh; the sync client
// delivers to the Worker; the Worker renders the page for a second device, which
// continues the session. Screenshots go to dist/screenshots/storefront-*.png.
// Run by tests/package/run.sh storefront, which starts scripts/serve-static.mjs
// and the Worker (worker/scripts/dev.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.WWW_URL ?? "http://127.0.0.1:28093/";
const SHOTS = new URL("../../dist/screenshots/", import.meta.url);
const FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];
const catalog = JSON.parse(readFileSync(new URL("../../www/catalog.json", import.meta.url), "utf8"));
const rules = JSON.parse(readFileSync(new URL("../../www/rules.json", import.meta.url), "utf8"));
const byId = new Map(catalog.items.map((it) => [it.id, it]));

let browser;
let context;
let page;
const problems = [];

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`); });
});
after(async () => browser?.close());

const shot = (name) => page.screenshot({ path: new URL(`storefront-${name}.png`, SHOTS).pathname });
const ready = () => page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
const slot = (key) => page.$$eval(`#${key} .tile`, (tiles) => tiles.map((t) => ({ id: t.dataset.id, reasons: [...t.querySelectorAll(".why code")].map((c) => c.textContent) })));
const state = () => page.evaluate(() => window.__ep.client.state());
async function go(hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((h) => location.hash === h, hash);
}

test("the server sends the wasm as application/wasm and keeps paths inside www/", async () => {
  for (const path of ["wasm/edge_personalize_bg.wasm", "pkg/edge_personalize_bg.wasm"]) {
    const r = await fetch(new URL(path, BASE));
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get("content-type"), "application/wasm");
  }
  for (const bad of ["%2e%2e/Makefile", "pkg/..%2f..%2fMakefile", "..%5cMakefile"]) {
    assert.equal((await fetch(BASE + bad)).status, 404, bad);
  }
});

test("a new shopper sees the catalog and best-sellers, flagged as the fallback", async () => {
  await page.goto(BASE);
  await ready();
  await page.evaluate(async () => {
    await window.__ep.client.reset();
    localStorage.clear();
  });
  await page.reload();
  await ready();
  assert.match(await page.textContent("#status"), new RegExp(`edge-personalize .* 300 products · ${rules.rules.length} rules`));
  assert.doesNotMatch(await page.textContent("#status"), /restored/);
  assert.equal((await page.$$("#grid .tile")).length, catalog.items.length);
  assert.ok(catalog.items.length >= 300);
  // Images are generated SVGs.
  assert.match(await page.getAttribute("#grid .tile img", "src"), /^data:image\/svg\+xml/);
  const recs = await slot("recs");
  assert.equal(recs.length, 8);
  assert.equal(await page.getAttribute("#recs", "data-fallback"), "true");
  const best = new Set(catalog.bestsellers);
  for (const r of recs) assert.ok(best.has(r.id), `${r.id} is a best-seller`);
  await shot("1-new-shopper");
  assert.deepEqual(problems, []);
});

test("browsing three products of one category: Recommended for you is mostly that category", async () => {
  const tents = catalog.items.filter((it) => it.category === "tents" && it.inStock).slice(0, 3);
  for (const t of tents) {
    await page.click("nav a:has-text('tents')");
    await page.click(`#grid .tile[data-id="${t.id}"] a`);
    await page.waitForSelector(`#detail[data-ep-item="${t.id}"]`);
  }
  await page.click("a.logo");
  await page.waitForFunction(() => document.querySelector("#recs")?.dataset.fallback === "false");
  const recs = await slot("recs");
  const inTents = recs.filter((r) => byId.get(r.id).category === "tents");
  assert.ok(inTents.length > recs.length / 2, `tents: ${inTents.length} of ${recs.length} (${recs.map((r) => byId.get(r.id).category)})`);
  // Every item says why it is there.
  for (const r of recs) assert.ok(r.reasons.length > 0, `${r.id} has reasons`);
  assert.ok(recs.some((r) => r.reasons.includes("category:tents")));
  const s = await state();
  assert.equal(s.counters.product_view, 3);
  assert.equal(s.counters.product_click, 3);
  await shot("2-after-three-tents");
  assert.deepEqual(problems, []);
});

test("viewing a product puts its accessories first, with the rule as the reason", async () => {
  const x = catalog.items.find((it) => it.category === "rain-jackets" && it.inStock && it.accessories.filter((a) => byId.get(a.id).inStock).length >= 3);
  const accessories = new Set(x.accessories.map((a) => a.id));
  await go(`#/p/${x.id}`);
  await page.waitForFunction((id) => window.__ep.client.state().recent[0]?.item === id, x.id);
  await page.waitForFunction(() => document.querySelector("#look-meta")?.textContent.includes("accessories-after-view"));
  const look = await slot("look");
  assert.equal(look.length, 4);
  assert.ok(accessories.has(look[0].id), `Complete the look starts with an accessory of ${x.id}: ${look[0].id}`);
  assert.ok(look[0].reasons.includes("rule:accessories-after-view"), look[0].reasons.join(" "));
  const recs = await slot("recs");
  assert.ok(accessories.has(recs[0].id), `Recommended for you starts with an accessory of ${x.id}: ${recs[0].id}`);
  // Related to what you viewed: relations of X, none of what Complete the look shows.
  const related = await slot("related");
  assert.ok(related.length > 0);
  assert.ok(related.some((r) => r.reasons.some((why) => why.endsWith(`:${x.id}`))), "related items name the viewed product");
  for (const r of related) assert.ok(!look.some((l) => l.id === r.id));
  for (const list of [look, recs, related]) assert.ok(!list.some((r) => r.id === x.id), "the product itself is never recommended");
  // The reasons open in the tile without being a click on the product.
  const clicks = (await state()).counters.product_click;
  await page.click("#look .tile:first-child summary");
  assert.equal(await page.isVisible("#look .tile:first-child .why li"), true);
  assert.equal((await state()).counters.product_click, clicks);
  await shot("3-product-page");

  // The debug drawer: session, affinities, rules fired, model, outbox.
  await page.click("#debug-toggle");
  await page.waitForSelector("#debug:not([hidden]) #dbg-session");
  const drawer = await page.textContent("#debug");
  assert.match(drawer, new RegExp(`product_view ${x.id}`));
  assert.match(drawer, /rules fired: .*accessories-after-view/);
  assert.match(drawer, /Top categories/);
  assert.match(drawer, /tents/);
  assert.match(await page.textContent("#dbg-model"), /^demo-300-42-s\d+$/, "the model of www/model.epm is loaded");
  assert.match(await page.textContent("#dbg-outbox"), /queued|not connected|not available/);
  await shot("4-debug-drawer");
  assert.deepEqual(problems, []);
});

test("recommendations seen for a second are counted as impressions, with their decision", async () => {
  await page.waitForFunction(() => window.__ep.client.state().counters.impression >= 4, null, { timeout: 10_000 });
  assert.ok((await state()).counters.impression >= 4);
});

test("add to cart: the cart shows it and the slots leave it out", async () => {
  const first = (await slot("look"))[0].id;
  await page.click(`#look .tile[data-id="${first}"] a`);
  await page.waitForSelector(`#detail[data-ep-item="${first}"]`);
  await page.click("#add-to-cart");
  await page.waitForFunction(() => document.querySelector("#cart-count").textContent === "1");
  for (const key of ["look", "related", "recs"]) assert.ok(!(await slot(key)).some((r) => r.id === first), `${first} is in the cart, not in ${key}`);
  await page.click("#cart-link");
  await page.waitForSelector(`.cart tr[data-ep-item="${first}"]`);
  assert.match(await page.textContent("#dbg-cart"), new RegExp(`${first}×1`));
  await shot("5-cart");
  assert.deepEqual(problems, []);
});

test("search: a search event and the matching products", async () => {
  await page.fill("#search input", "merino");
  await page.press("#search input", "Enter");
  await page.waitForFunction(() => location.hash.startsWith("#/search/"));
  const ids = await page.$$eval("#grid .tile", (t) => t.map((x) => x.dataset.id));
  const want = catalog.items.filter((it) => `${it.name} ${it.brand} ${it.category} ${it.tags.join(" ")}`.toLowerCase().includes("merino")).map((it) => it.id);
  assert.ok(want.length > 0);
  assert.deepEqual(ids, want);
  assert.equal((await state()).counters.search, 1);
});

test("reload: the session is restored from storage", async () => {
  await go("#/cart");
  const before = await state();
  await page.reload();
  await ready();
  assert.match(await page.textContent("#status"), /session restored/);
  const after = await state();
  assert.equal(after.sessionId, before.sessionId);
  assert.equal(after.counters.events, before.counters.events);
  assert.deepEqual(after.cart, before.cart);
  assert.deepEqual(after.recent.map((r) => r.item), before.recent.map((r) => r.item));
  assert.equal(await page.textContent("#cart-count"), "1");
  await go("#/");
  assert.equal(await page.getAttribute("#recs", "data-fallback"), "false");
  assert.ok(await page.evaluate(() => window.__ep.client.storage.backend === "indexeddb"));
  assert.deepEqual(problems, []);
});

test("a damaged stored session starts fresh instead of breaking the page", async () => {
  await page.evaluate(() => localStorage.setItem("ep-demo-snapshot", JSON.stringify({ ts: Date.now() + 60_000, b64: btoa("not a snapshot") })));
  await page.reload();
  await ready();
  assert.doesNotMatch(await page.textContent("#status"), /session restored|could not start/);
  assert.equal((await state()).counters.events, 0);
  assert.equal((await slot("recs")).length, 8);
  assert.equal(await page.getAttribute("#recs", "data-fallback"), "true");
});

test("sync: with ?collect the outbox delivers the events to the Worker's /v1/collect, and the drawer shows it", async () => {
  const url = `${BASE}?debug&collect=${encodeURIComponent(process.env.COLLECT_URL)}#/`;
  await page.goto(url);
  await ready();
  await page.waitForFunction(() => window.__ep.sync !== null, null, { timeout: 10_000 });
  const tent = catalog.items.find((it) => it.category === "tents" && it.inStock);
  await page.click(`#grid .tile[data-id="${tent.id}"] a`);
  await page.waitForSelector(`#detail[data-ep-item="${tent.id}"]`);
  await page.click("#add-to-cart"); // add_to_cart is urgent: the outbox sends at once
  const tracked = (await state()).counters.events;
  assert.ok(tracked >= 3);
  await page.waitForFunction((n) => window.__ep.sync.status().delivered >= n, tracked, { timeout: 20_000 });
  const st = await page.evaluate(() => window.__ep.sync.status());
  assert.equal(st.rejected, 0);
  assert.equal(st.dropped, 0);
  await page.waitForFunction((n) => Number(document.querySelector("#dbg-outbox-delivered")?.textContent) >= n, tracked, { timeout: 5_000 });
  assert.match(await page.textContent("#dbg-outbox"), /delivering to http:\/\/127\.0\.0\.1:28096\/v1\/collect/);
  await shot("6-outbox-delivered");
  assert.deepEqual(problems, []);
});

test("edge: a new device with the session cookie gets the page through the Worker and continues the session the Worker holds", async () => {
  // The session of the previous test reached the Worker through the sync client.
  const before = await state();
  const edgeBase = new URL("/", process.env.COLLECT_URL).href;
  const other = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  try {
    await other.addCookies([{ name: "ep_sid", value: before.sessionId, url: edgeBase }]);
    const p2 = await other.newPage();
    const errors = [];
    p2.on("pageerror", (e) => errors.push(e.message));
    await p2.goto(`${edgeBase}?collect=off#/`);
    await p2.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
    assert.ok(await p2.$("script#ep-snapshot"), "the Worker embedded the session snapshot");
    assert.equal(await p2.evaluate(() => window.__ep.client.restored), "edge");
    const s2 = await p2.evaluate(() => window.__ep.client.state());
    assert.equal(s2.sessionId, before.sessionId);
    // What the first device did is there: its cart, its recent product.
    assert.deepEqual(s2.cart.map((c) => c.item), before.cart.map((c) => c.item));
    assert.ok(s2.recent.some((r) => r.item === before.recent[0].item));
    assert.equal(await p2.getAttribute("#recs", "data-fallback"), "false");
    assert.deepEqual(errors, []);
  } finally {
    await other.close();
  }
});
