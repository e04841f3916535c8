// Trailhead Outfitters: the demo storefront. It runs on the npm package's own
// page layer (served from pkg-template/src at /ep/, the wasm build at /wasm/):
// createClient keeps the session (IndexedDB, debounced) and autotrack turns
// data-ep-* attributes into events: product views, clicks, add to cart, search,
// impressions (>= 50% visible for >= 1 s). After each event the three
// personalised slots are decided again, each item with the reasons it is there.
//
// Routes (hash): #/  #/c/CATEGORY  #/p/ID  #/search/QUERY  #/cart
// Data: catalog.json (node www/gen-catalog.mjs > www/catalog.json) and rules.json, both editable;
// model.epm, the session model built from synthetic sessions (www/gen-sessions.mjs).
import { init, createClient, autotrack, version } from "/ep/browser.js";
import { productImage } from "/images.js";

const SNAPSHOT_KEY = "ep-demo-snapshot";
const SLOTS = {
  recs: { slot: "home-recs", k: 8, title: "Recommended for you" },
  look: { slot: "complete-the-look", k: 4, title: "Complete the look" },
  related: { slot: "related-viewed", k: 8, title: "Related to what you viewed" },
};

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) if (c != null && c !== false) node.append(c);
  return node;
};
const money = (p) => (typeof p === "number" ? `$${p.toFixed(2)}` : "");
const label = (slug) => slug.replace(/-/g, " ");
const t0 = performance.now();

let client;
let catalog;
let rules;
let byId = new Map();
let sync = null; // the sync client (outbox), when this build has it
const lastDecisions = new Map(); // slot -> decision, for the drawer
let firstSlotMarked = false;

function setStatus(text, isError = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

// Errors from the engine carry a stable .code and a .path; show both.
function describe(err) {
  return err && err.code ? `${err.code}${err.path ? ` at ${err.path}` : ""}: ${err.message}` : String(err);
}

// ---------------------------------------------------------------- reasons

/** A shopper-facing sentence for one reason code, e.g. "accessories:sku-004". */
function explain(reason) {
  const [kind, ...rest] = reason.split(":");
  const arg = rest.join(":");
  const name = (id) => byId.get(id)?.name ?? id;
  switch (kind) {
    case "accessories": return `Goes with ${name(arg)}`;
    case "related": return `Bought with ${name(arg)}`;
    case "similar": return `Similar to ${name(arg)}`;
    case "category": return `You have been browsing ${label(arg)}`;
    case "brand": return `You like ${arg}`;
    case "model": return "Shoppers with sessions like yours chose it";
    case "popular": return "Popular right now";
    case "rule": return `Merchant rule ${arg}`;
    case "fallback": return "Best-seller (we do not know you yet)";
    default: return reason;
  }
}

// ---------------------------------------------------------------- tiles

function tile(it, { compact = false, reasons = null } = {}) {
  const card = el(
    "div",
    { className: `tile${it.inStock ? "" : " out"}${compact ? " compact" : ""}`, title: it.id },
    el(
      "a",
      { href: `#/p/${it.id}` },
      el("img", { src: productImage(it), alt: "", width: 120, height: 90, loading: "lazy" }),
      el("span", { className: "name", textContent: it.name }),
      el("span", { className: "sub", textContent: `${it.brand} · ${label(it.category)}` }),
      el("span", { className: "price", textContent: it.inStock ? money(it.price) : `${money(it.price)} · sold out` }),
    ),
  );
  // autotrack: a click on the card is a product_click (with the slot and decision inside a slot).
  card.dataset.id = it.id;
  card.dataset.epItem = it.id;
  if (reasons) {
    const why = el("details", { className: "why" }, el("summary", { textContent: "Why this?" }));
    why.dataset.epIgnore = ""; // opening the reasons is not a product click
    const list = el("ul");
    for (const r of reasons) list.append(el("li", {}, explain(r), " ", el("code", { textContent: r })));
    why.append(list);
    card.append(why);
  }
  return card;
}

function slotSection(key, { item = null } = {}) {
  const spec = SLOTS[key];
  const list = el("div", { className: "slot-items", id: key });
  list.dataset.epSlot = spec.slot;
  list.dataset.epK = String(spec.k);
  if (item) list.dataset.epItem = item;
  return el(
    "section",
    { className: "slot", id: `slot-${key}` },
    el("h2", { textContent: spec.title }),
    el("div", { className: "meta", id: `${key}-meta` }),
    list,
  );
}

// ---------------------------------------------------------------- slots

function renderSlot(key, extra = {}) {
  const list = document.getElementById(key);
  if (!list) return null;
  const spec = SLOTS[key];
  const request = { slot: spec.slot, k: spec.k, excludeCart: true, excludePurchased: true, context: { page: location.hash || "#/" }, ...extra };
  if (list.dataset.epItem) request.item = list.dataset.epItem;
  let d;
  try {
    d = client.decide(request, list);
  } catch (e) {
    setStatus(`decide failed: ${describe(e)}`, true);
    return null;
  }
  list.dataset.epDecisionId = d.decisionId;
  list.dataset.fallback = String(d.fallbackUsed);
  list.replaceChildren(
    ...d.items.map((r) => {
      const it = byId.get(r.id);
      const t = tile(it ?? { id: r.id, name: r.id, brand: "", category: "", inStock: true }, { compact: true, reasons: r.reasons });
      t.dataset.score = String(r.score);
      return t;
    }),
  );
  const meta = document.getElementById(`${key}-meta`);
  meta.replaceChildren(
    el("span", { textContent: d.fallbackUsed ? "Best-sellers (new shopper)" : `${d.items.length} picks for you` }),
    d.rulesFired.length ? el("span", { className: "rules", textContent: ` · rules: ${d.rulesFired.join(", ")}` }) : null,
  );
  meta.dataset.fallback = String(d.fallbackUsed);
  lastDecisions.set(spec.slot, d);
  if (!firstSlotMarked && d.items.length) {
    firstSlotMarked = true;
    performance.mark("ep:first-slot");
    window.__epFirstSlotMs = performance.now();
  }
  return d;
}

function renderSlots() {
  // Complete the look first: the related row leaves out what it already shows.
  const look = renderSlot("look");
  const shown = look ? look.items.map((i) => i.id) : [];
  renderSlot("related", shown.length ? { exclude: shown } : {});
  renderSlot("recs");
  renderCartCount();
  renderDebug();
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  queueMicrotask(() => {
    pending = false;
    renderSlots();
  });
}

// ---------------------------------------------------------------- pages

function renderCategories(active) {
  const nav = $("#categories");
  const cats = ["all", ...new Set(catalog.items.map((it) => it.category))];
  nav.replaceChildren(
    ...cats.map((c) => {
      const a = el("a", { href: c === "all" ? "#/" : `#/c/${c}`, textContent: label(c) });
      if ((active ?? "all") === c) a.setAttribute("aria-current", "page");
      return a;
    }),
  );
}

function grid(items, title) {
  return el(
    "section",
    { className: "catalog" },
    el("h2", { textContent: `${title} (${items.length})` }),
    Object.assign(el("div", { className: "grid", id: "grid" }), { pendingItems: items }),
  );
}

// The product grid is filled after the slots are decided and shown: the
// personalised part of the page comes first.
function fillGrids() {
  for (const g of document.querySelectorAll(".grid")) {
    if (!g.pendingItems) continue;
    g.replaceChildren(...g.pendingItems.map((it) => tile(it)));
    g.pendingItems = null;
  }
}

function homePage(category) {
  const items = catalog.items.filter((it) => !category || it.category === category);
  return [slotSection("recs"), grid(items, category ? label(category) : "All products")];
}

function productPage(id) {
  const it = byId.get(id);
  if (!it) return [el("p", { className: "empty", textContent: `No product ${id}.` })];
  const add = el("button", { type: "button", className: "primary", id: "add-to-cart", textContent: it.inStock ? "Add to cart" : "Sold out" });
  add.disabled = !it.inStock;
  add.dataset.epAction = "add_to_cart";
  const detail = el(
    "section",
    { className: "product", id: "detail" },
    el("img", { src: productImage(it), alt: it.name, width: 360, height: 270 }),
    el(
      "div",
      { className: "info" },
      el("p", { className: "crumbs" }, el("a", { href: `#/c/${it.category}`, textContent: label(it.category) }), ` · ${it.brand}`),
      el("h1", { textContent: it.name }),
      el("p", { className: "price big", textContent: money(it.price) }),
      el("p", { className: "meta", textContent: `${it.id} · ${it.tags.join(", ")} · ${it.inStock ? "in stock" : "sold out"}` }),
      add,
    ),
  );
  // autotrack: data-ep-view tracks the product_view when this appears; the
  // button's data-ep-action tracks add_to_cart for this item.
  detail.dataset.epItem = it.id;
  detail.dataset.epView = "";
  return [detail, slotSection("look", { item: it.id }), slotSection("related", { item: it.id }), slotSection("recs")];
}

function searchPage(query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const hits = catalog.items.filter((it) => {
    const text = `${it.name} ${it.brand} ${it.category} ${it.tags.join(" ")}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  return [grid(hits, `Search: “${query}”`), slotSection("recs")];
}

function cartPage() {
  const cart = client.state().cart ?? [];
  const rows = cart.map((c) => {
    const it = byId.get(c.item) ?? { id: c.item, name: c.item, price: c.price };
    const remove = el("button", { type: "button", textContent: "Remove" });
    remove.dataset.epAction = "remove_from_cart";
    remove.dataset.epQuantity = String(c.quantity);
    const row = el(
      "tr",
      {},
      el("td", {}, el("a", { href: `#/p/${it.id}`, textContent: it.name })),
      el("td", { textContent: String(c.quantity) }),
      el("td", { textContent: money((it.price ?? 0) * c.quantity) }),
      el("td", {}, remove),
    );
    row.dataset.epItem = it.id;
    return row;
  });
  const total = cart.reduce((s, c) => s + (byId.get(c.item)?.price ?? 0) * c.quantity, 0);
  const checkout = el("button", { type: "button", className: "primary", id: "checkout", textContent: "Place order" });
  checkout.disabled = cart.length === 0;
  checkout.addEventListener("click", () => {
    const items = (client.state().cart ?? []).map((c) => ({ ...client.item(c.item), quantity: c.quantity }));
    if (!items.length) return;
    try {
      client.track({ type: "purchase", items, context: { page: "#/cart" } });
    } catch (e) {
      setStatus(`purchase failed: ${describe(e)}`, true);
    }
    route();
  });
  return [
    el(
      "section",
      { className: "cart" },
      el("h1", { textContent: "Your cart" }),
      cart.length
        ? el("table", {}, el("thead", {}, el("tr", {}, ...["Product", "Qty", "Price", ""].map((h) => el("th", { textContent: h })))), el("tbody", {}, ...rows))
        : el("p", { className: "empty", textContent: "Your cart is empty." }),
      el("p", { className: "total", textContent: `Total ${money(total)}` }),
      checkout,
    ),
    slotSection("recs"),
  ];
}

function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, "")) || "/";
  const [, first = "", ...rest] = hash.split("/");
  const kind = ["c", "p", "search", "cart"].includes(first) ? first : null;
  const arg = rest.join("/");
  let view;
  if (kind === "p") view = productPage(arg);
  else if (kind === "c") view = homePage(arg);
  else if (kind === "search") view = searchPage(arg);
  else if (kind === "cart") view = cartPage();
  else view = homePage(null);
  renderCategories(kind === "c" ? arg : kind ? null : "all");
  $("#view").replaceChildren(...view);
  if (kind === "search") $("#search input").value = arg;
  window.scrollTo(0, 0);
  renderSlots();
  fillGrids();
}

function renderCartCount() {
  const n = (client.state().cart ?? []).reduce((s, c) => s + c.quantity, 0);
  $("#cart-count").textContent = String(n);
}

// ---------------------------------------------------------------- debug drawer

function bars(entries, fmt = (k) => k) {
  const max = Math.max(...entries.map(([, v]) => v), 1e-9);
  return el(
    "ul",
    { className: "bars" },
    ...entries.map(([k, v]) =>
      el("li", {}, el("span", { className: "k", textContent: fmt(k) }), el("span", { className: "bar", style: `width:${Math.round((v / max) * 100)}%` }), el("span", { className: "v", textContent: v.toFixed(2) })),
    ),
  );
}

const top = (obj, n) => Object.entries(obj ?? {}).sort((a, b) => b[1] - a[1]).slice(0, n);

function renderDebug() {
  const body = $("#debug-body");
  if (!body || $("#debug").hidden) return;
  const s = client.state();
  const counters = Object.entries(s.counters ?? {}).filter(([k, v]) => v > 0 && k !== "events");
  const sections = [];
  sections.push(
    el("section", { id: "dbg-engine" }, el("h3", { textContent: "Engine" }),
      el("dl", {},
        el("dt", { textContent: "core" }), el("dd", { textContent: version() }),
        el("dt", { textContent: "catalog" }), el("dd", { textContent: `${s.catalogVersion} · ${s.catalogItems} items` }),
        el("dt", { textContent: "rules" }), el("dd", { textContent: `${s.rulesVersion} · ${s.rules} rules` }),
        el("dt", { textContent: "model" }), el("dd", { id: "dbg-model", textContent: s.modelVersion ?? "none loaded (relations, rules and best-sellers only)" }),
        el("dt", { textContent: "storage" }), el("dd", { textContent: `${client.storage?.backend ?? "none"} · ${client.storage?.writes ?? 0} writes${client.restored ? ` · restored from ${client.restored}` : ""}` }),
      )),
  );
  sections.push(
    el("section", { id: "dbg-session" }, el("h3", { textContent: "Session" }),
      el("p", { textContent: `${s.sessionId} · group ${s.group} · ${s.counters?.events ?? 0} events · ${Math.round(s.ageSeconds)} s old` }),
      el("p", { className: "meta", textContent: counters.map(([k, v]) => `${k} ${v}`).join(" · ") || "no events yet" }),
      el("h4", { textContent: "Recent items" }),
      el("ol", { id: "dbg-recent" }, ...(s.recent ?? []).slice(0, 8).map((r) => el("li", { textContent: `${r.type} ${r.item} · ${byId.get(r.item)?.name ?? ""} · ${r.ageSeconds}s ago` }))),
      el("h4", { textContent: "Top categories" }), bars(top(s.affinity?.category, 5), label),
      el("h4", { textContent: "Top brands" }), bars(top(s.affinity?.brand, 5)),
      el("h4", { textContent: "Top items" }), bars(top(s.affinity?.item, 5), (k) => `${k} ${byId.get(k)?.name ?? ""}`),
      el("h4", { textContent: "Cart" }),
      el("p", { id: "dbg-cart", textContent: (s.cart ?? []).map((c) => `${c.item}×${c.quantity}`).join(", ") || "empty" }),
    ),
  );
  sections.push(
    el("section", { id: "dbg-rules" }, el("h3", { textContent: "Decisions and rules fired" }),
      ...[...lastDecisions.values()].map((d) =>
        el("div", { className: "decision" },
          el("p", {}, el("strong", { textContent: d.slot }), ` · ${d.decisionId} · ${d.group}${d.fallbackUsed ? " · fallback: best-sellers" : ""}`),
          el("p", { className: "fired", textContent: d.rulesFired.length ? `rules fired: ${d.rulesFired.join(", ")}` : "no rule fired" }),
          d.ruleErrors?.length ? el("p", { className: "error", textContent: `rule errors: ${d.ruleErrors.map((r) => `${r.rule} ${r.code}`).join(", ")}` }) : null,
        )),
      el("p", { className: "meta", textContent: `rules in rules.json: ${rules.rules.map((r) => r.id).join(", ")}` }),
    ),
  );
  const st = sync?.status?.();
  sections.push(
    el("section", { id: "dbg-outbox" }, el("h3", { textContent: "Outbox" }),
      st
        ? el("dl", {}, ...["queued", "inFlight", "delivered", "rejected", "dropped"].flatMap((k) => [el("dt", { textContent: k }), el("dd", { id: `dbg-outbox-${k}`, textContent: String(Array.isArray(st[k]) ? st[k].length : st[k] ?? 0) })]))
        : null,
      el("p", { className: "meta", textContent: syncNote }),
      st?.lastError ? el("p", { className: "error", textContent: `last error: ${typeof st.lastError === "string" ? st.lastError : JSON.stringify(st.lastError)}` }) : null,
    ),
  );
  body.replaceChildren(...sections);
}

let syncNote = "sync client not connected: events stay in this page (open with ?collect=URL)";

function setDebugOpen(open) {
  $("#debug").hidden = !open;
  $("#debug-toggle").setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("debug-open", open);
  try { localStorage.setItem("ep-demo-debug", open ? "1" : "0"); } catch { /* private mode */ }
  renderDebug();
}

// ---------------------------------------------------------------- sync (outbox)

// The sync client (pkg-template/src/sync/) delivers every event to the Worker's
// /v1/collect through its outbox. Where to: ?collect=URL (or ?collect=off);
// by default the demo's Worker: same origin when the page came through the Worker
// (port 8787), http://127.0.0.1:8787 when it came from the demo's static server
// (port 8080); elsewhere (tests) nothing. The write key: ?key=, else the local
// Worker's development key (worker/.dev.vars.example).
function collectUrl() {
  const q = new URLSearchParams(location.search).get("collect");
  if (q === "off") return null;
  if (q) return q;
  if (location.port === "8787") return new URL("/v1/collect", location.href).href;
  if (location.port === "8080") return `${location.protocol}//${location.hostname}:8787/v1/collect`;
  return null;
}

async function connectSync() {
  const url = collectUrl();
  if (!url) return null;
  try {
    const mod = await import("/ep/sync/index.js");
    const s = await mod.createSync({ url, writeKey: new URLSearchParams(location.search).get("key") ?? "dev-write-key", consent: "granted" });
    syncNote = `delivering to ${url}`;
    return s;
  } catch (e) {
    syncNote = `sync client not available (${describe(e)})`;
    return null;
  }
}

// ---------------------------------------------------------------- start

async function main() {
  try {
    const wasmReady = init();
    // The session model (www/model.epm, built from www/gen-sessions.mjs) is optional.
    const [catalogText, r, model] = await Promise.all([
      fetch("/catalog.json").then((x) => x.text()),
      fetch("/rules.json").then((x) => x.json()),
      fetch("/model.epm").then((x) => (x.ok ? x.arrayBuffer() : null)).catch(() => null),
      wasmReady,
    ]);
    catalog = JSON.parse(catalogText);
    rules = r;
    byId = new Map(catalog.items.map((it) => [it.id, it]));
    // The sync client starts alongside: events wait for it in order, and the
    // first slot does not wait for it at all.
    const syncReady = connectSync().then((s) => (sync = s));
    client = await createClient({
      catalog: catalogText, // as text: the engine parses it faster than it converts an object
      rules,
      model: model ? new Uint8Array(model) : undefined,
      config: { seed: Math.floor(Math.random() * 2 ** 32) },
      storage: { key: SNAPSHOT_KEY, debounceMs: 250 },
      outbox: { push: (event) => void syncReady.then((s) => s?.push(event)) },
      onError: (e) => console.info("edge-personalize:", describe(e)),
    });
    setStatus(`engine ${version()} · ${catalog.items.length} products · ${rules.rules.length} rules${client.restored ? " · session restored" : ""}`);
  } catch (e) {
    setStatus(`could not start: ${describe(e)}`, true);
    throw e;
  }
  // Every event but an impression changes what the slots should show.
  client.onTrack((ev) => {
    if (ev.type === "impression") renderDebug();
    else if (location.hash.startsWith("#/cart")) route(); // the cart table changed
    else scheduleRender();
  });
  autotrack(client, { page: () => location.hash || "#/", onError: (e) => setStatus(`track failed: ${describe(e)}`, true) });
  $("#search").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#search input").value.trim();
    if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
  });
  $("#debug-toggle").addEventListener("click", () => setDebugOpen($("#debug").hidden));
  $("#debug-close").addEventListener("click", () => setDebugOpen(false));
  addEventListener("hashchange", route);
  const wantDebug = new URLSearchParams(location.search).has("debug") || localStorage.getItem("ep-demo-debug") === "1";
  route();
  setDebugOpen(wantDebug);
  setInterval(renderDebug, 2000); // ages and outbox counters move on their own
  window.__ep = { client, lastDecisions, startMs: t0, get sync() { return sync; } };
  document.body.dataset.ready = "true";
}

main();
