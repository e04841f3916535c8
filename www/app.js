// The demo storefront: one Personalizer in the page, fed by clicks, asked for
// the "Recommended for you" slot after every event. The session survives a
// reload through snapshot()/restore() in localStorage.
import init, { Personalizer, version } from "/pkg/edge_personalize.js";

const SLOT = "home-recs";
const K = 8;
const SNAPSHOT_KEY = "ep-demo-snapshot";

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of children) node.append(c);
  return node;
};
const money = (p) => (typeof p === "number" ? `$${p.toFixed(2)}` : "");

let engine;
let catalog;
let byId = new Map();
let category = "all";

function setStatus(text, isError = false) {
  const s = $("#status");
  s.textContent = text;
  s.classList.toggle("error", isError);
}

// Errors from the engine carry a stable .code and a .path; show both.
function describe(err) {
  return err && err.code ? `${err.code}${err.path ? ` at ${err.path}` : ""}: ${err.message}` : String(err);
}

function newEngine() {
  const sessionId = `s-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const p = new Personalizer({ seed: Math.floor(Math.random() * 2 ** 32), sessionId });
  p.loadCatalog(catalog);
  p.loadRules(rulesJson);
  return p;
}

function saveSnapshot() {
  try {
    const bytes = engine.snapshot();
    localStorage.setItem(SNAPSHOT_KEY, btoa(String.fromCharCode(...bytes)));
  } catch (e) {
    console.warn("snapshot not saved:", describe(e));
  }
}

function restoreSnapshot() {
  const b64 = localStorage.getItem(SNAPSHOT_KEY);
  if (!b64) return false;
  try {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    engine.restore(bytes);
    return true;
  } catch (e) {
    // A snapshot from an older build, or a damaged one: the engine starts fresh.
    console.warn("snapshot not restored, starting a new session:", describe(e));
    localStorage.removeItem(SNAPSHOT_KEY);
    return false;
  }
}

function itemPayload(it) {
  return { id: it.id, category: it.category, brand: it.brand, price: it.price };
}

function track(type, it, extra = {}) {
  try {
    const context = { page: `/p/${it.id}` };
    if (extra.slot) context.slot = extra.slot; // a click from the recommendations
    engine.track({ type, item: itemPayload(it), context, ...extra.event });
  } catch (e) {
    setStatus(`track failed: ${describe(e)}`, true);
    return;
  }
  saveSnapshot();
  renderRecs();
  renderSession();
}

function renderCategories() {
  const nav = $("#categories");
  nav.replaceChildren();
  const cats = ["all", ...new Set(catalog.items.map((it) => it.category))];
  for (const c of cats) {
    const b = el("button", { type: "button", textContent: c.replace(/-/g, " ") });
    b.setAttribute("aria-pressed", String(c === category));
    b.addEventListener("click", () => {
      category = c;
      renderCategories();
      renderGrid();
    });
    nav.append(b);
  }
}

function tile(it) {
  const b = el(
    "button",
    { type: "button", className: `tile${it.inStock ? "" : " out"}`, title: it.id },
    el("span", { className: "name", textContent: it.name }),
    el("span", { className: "sub", textContent: `${it.brand} · ${it.category.replace(/-/g, " ")}` }),
    el("span", { className: "price", textContent: it.inStock ? money(it.price) : `${money(it.price)} · sold out` }),
  );
  b.dataset.id = it.id;
  b.addEventListener("click", () => view(it));
  return b;
}

function renderGrid() {
  const items = catalog.items.filter((it) => category === "all" || it.category === category);
  $("#grid").replaceChildren(...items.slice(0, 120).map(tile));
}

function view(it, slot) {
  const d = $("#detail");
  const add = el("button", { type: "button", className: "primary", textContent: "Add to cart" });
  add.disabled = !it.inStock;
  add.addEventListener("click", () => track("add_to_cart", it, { event: { item: { ...itemPayload(it), quantity: 1 } } }));
  d.replaceChildren(
    el("h2", { textContent: it.name }),
    el("p", { className: "meta", textContent: `${it.id} · ${it.brand} · ${it.category} · ${money(it.price)} · ${it.tags.join(", ")}` }),
    add,
  );
  d.hidden = false;
  track("product_view", it, { slot });
}

function renderRecs() {
  let res;
  try {
    res = engine.decide({ slot: SLOT, k: K, excludeCart: true, excludePurchased: true });
  } catch (e) {
    setStatus(`decide failed: ${describe(e)}`, true);
    return;
  }
  const meta = $("#decision-meta");
  meta.replaceChildren(
    el("span", { textContent: `decision ${res.decisionId} · group ${res.group}` }),
    res.rulesFired.length ? el("span", { textContent: ` · rules fired: ${res.rulesFired.join(", ")}` }) : "",
    res.fallbackUsed ? el("span", { className: "fallback", textContent: " · fallback: best-sellers" }) : "",
  );
  meta.dataset.fallback = String(res.fallbackUsed);
  const list = $("#recs");
  list.replaceChildren(
    ...res.items.map((r) => {
      const it = byId.get(r.id);
      const name = el("button", { type: "button", className: "name", textContent: it ? it.name : r.id });
      if (it) name.addEventListener("click", () => view(it, SLOT));
      const reasons = el("div", { className: "reasons" });
      reasons.append(`${r.id} · score ${r.score.toFixed(3)} · `);
      for (const why of r.reasons) reasons.append(el("code", { textContent: why }));
      const li = el("li", {}, name, reasons);
      li.dataset.id = r.id;
      return li;
    }),
  );
}

function renderSession() {
  const s = engine.state();
  const recent = (s.recent ?? []).slice(0, 5).map((r) => `${r.type} ${r.item} (${r.ageSeconds}s ago)`);
  const cart = (s.cart ?? []).map((c) => `${c.item}×${c.quantity}`);
  const topCats = Object.entries(s.affinity?.category ?? s.affinities?.category ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${Number(v).toFixed(2)}`);
  $("#session").replaceChildren(
    el("div", { textContent: `session ${s.sessionId ?? s.id} · ${s.counters?.events ?? 0} events` }),
    el("div", { textContent: `recent: ${recent.join("; ") || "nothing yet"}` }),
    el("div", { textContent: `cart: ${cart.join(", ") || "empty"}` }),
    el("div", { textContent: `top categories: ${topCats.join(", ") || "none yet"}` }),
  );
}

let rulesJson;

async function main() {
  try {
    await init();
    const [c, r] = await Promise.all([
      fetch("catalog.json").then((x) => x.json()),
      fetch("rules.json").then((x) => x.json()),
    ]);
    catalog = c;
    rulesJson = r;
    byId = new Map(catalog.items.map((it) => [it.id, it]));
    engine = newEngine();
    const restored = restoreSnapshot();
    setStatus(`engine ${version()} · ${catalog.items.length} products · ${rulesJson.rules.length} rules${restored ? " · session restored" : ""}`);
  } catch (e) {
    setStatus(`could not start: ${describe(e)}`, true);
    throw e;
  }
  $("#reset").addEventListener("click", () => {
    localStorage.removeItem(SNAPSHOT_KEY);
    engine.free?.();
    engine = newEngine();
    renderRecs();
    renderSession();
  });
  renderCategories();
  renderGrid();
  renderRecs();
  renderSession();
  document.body.dataset.ready = "true";
}

main();
