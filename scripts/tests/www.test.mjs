// The demo storefront in headless Chromium: it loads the real wasm build,
// shows best-sellers to a new shopper, reacts to a product view with that
// product's accessories (the "viewed within 5 minutes" rule), keeps cart
// items out of the slot, and restores the session after a reload.
// Run by scripts/test-www.sh, which starts the static server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../../tools/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const URL_ = process.env.WWW_URL ?? "http://127.0.0.1:28080/";
const catalog = JSON.parse(readFileSync(new URL("../../www/catalog.json", import.meta.url), "utf8"));
const byId = new Map(catalog.items.map((it) => [it.id, it]));

const FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"];

let browser;
let page;
const pageErrors = [];

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") pageErrors.push(m.text()); });
});
after(async () => {
  await browser?.close();
});

const recIds = () => page.$$eval("#recs li", (lis) => lis.map((li) => li.dataset.id));
const recReasons = () => page.$$eval("#recs li", (lis) => lis.map((li) => [...li.querySelectorAll("code")].map((c) => c.textContent)));

test("the wasm is served as application/wasm and paths cannot escape www/", async () => {
  const wasm = await fetch(new URL("pkg/edge_personalize_bg.wasm", URL_));
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  for (const bad of ["%2e%2e/Makefile", "pkg/..%2f..%2fMakefile", "..%5cMakefile"]) {
    const r = await fetch(URL_ + bad);
    assert.equal(r.status, 404, bad);
  }
});

test("a new shopper sees best-sellers, flagged as the fallback", async () => {
  await page.goto(URL_);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.waitForSelector("body[data-ready=true]", { timeout: 20_000 });
  assert.match(await page.textContent("#status"), /edge-personalize .* 300 products · 5 rules/);
  assert.ok((await page.$$(".tile")).length >= 100, "product tiles render");
  const ids = await recIds();
  assert.equal(ids.length, 8);
  assert.equal(await page.getAttribute("#decision-meta", "data-fallback"), "true");
  const bestsellers = new Set(catalog.bestsellers);
  for (const id of ids) assert.ok(bestsellers.has(id), `${id} is a best-seller`);
  assert.deepEqual(pageErrors, []);
});

test("viewing a product puts its accessories first", async () => {
  // A tent: its accessories are sleeping bags and headlamps.
  const tent = catalog.items.find((it) => it.category === "tents" && it.inStock && it.accessories.length >= 3);
  await page.click("nav button:has-text('tents')");
  await page.click(`.tile[data-id="${tent.id}"]`);
  await page.waitForFunction(() => document.querySelector("#decision-meta")?.dataset.fallback === "false");
  const ids = await recIds();
  const reasons = await recReasons();
  const accessories = tent.accessories.map((a) => a.id).filter((id) => byId.get(id)?.inStock);
  assert.ok(accessories.length > 0);
  assert.ok(accessories.includes(ids[0]), `first recommendation ${ids[0]} is an accessory of ${tent.id}`);
  assert.ok(reasons[0].includes("rule:accessories-after-view"), `reasons: ${reasons[0]}`);
  assert.ok(!ids.includes(tent.id), "the viewed product itself is not recommended");
  assert.match(await page.textContent("#session"), new RegExp(`product_view ${tent.id}`));
  assert.deepEqual(pageErrors, []);
});

test("items in the cart leave the slot, and the session survives a reload", async () => {
  const first = (await recIds())[0];
  await page.click(`#recs li[data-id="${first}"] button.name`);
  await page.click("#detail button.primary");
  await page.waitForFunction((id) => ![...document.querySelectorAll("#recs li")].some((li) => li.dataset.id === id), first);
  assert.match(await page.textContent("#session"), new RegExp(`cart: ${first}×1`));

  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.match(await page.textContent("#status"), /session restored/);
  assert.match(await page.textContent("#session"), new RegExp(`cart: ${first}×1`));
  assert.ok(!(await recIds()).includes(first));
  assert.deepEqual(pageErrors, []);
});

test("a damaged stored session starts fresh instead of breaking the page", async () => {
  await page.evaluate(() => localStorage.setItem("ep-demo-snapshot", btoa("not a snapshot")));
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.doesNotMatch(await page.textContent("#status"), /session restored|could not start/);
  assert.match(await page.textContent("#session"), /0 events/);
  assert.equal((await recIds()).length, 8);
});
