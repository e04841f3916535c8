// The benchmark workload, shared by the native bench (examples/bench_native.rs)
// and the Node bench (bench/node.mjs): a 10k-item catalog, a 200-event
// session, 25 merchant rules and one decide request.
//
//   node bench/workload.mjs OUT.json [ITEMS] [EVENTS]
//
// Deterministic. Event times are `nowMs + offsetMs` (offsets are negative);
// the native bench passes `nowMs` as the clock, the wasm bench (whose clock is
// Date.now()) shifts every event by `Date.now() - nowMs`.
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, rng, CATEGORIES } from "../www/gen-catalog.mjs";

export const NOW_MS = 1764135000000; // 2025-11-26T05:30:00Z

/** 200 events of one shopper: browsing "missions" that move between categories. */
export function makeSession(catalog, count = 200, seed = 11) {
  const rand = rng(seed);
  const byCat = new Map();
  for (const it of catalog.items) {
    if (!byCat.has(it.category)) byCat.set(it.category, []);
    byCat.get(it.category).push(it);
  }
  const cats = Object.keys(CATEGORIES);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const ref = (it) => ({ id: it.id, category: it.category, brand: it.brand, price: it.price });
  const events = [];
  const seen = [];
  const cart = [];
  let mission = pick(cats);
  let t = -(count * 9000); // ~30 min of browsing, ending now
  for (let i = 0; i < count; i++) {
    t += 4000 + Math.floor(rand() * 10000);
    if (t > -1000) t = -1000 - (count - i);
    if (i % 40 === 39) mission = pick(cats);
    const r = rand();
    let ev;
    if (i === 150 && cart.length > 0) {
      ev = { type: "purchase", items: cart.splice(0, 2).map((it) => ({ ...ref(it), quantity: 1 })) };
    } else if (r < 0.55 || seen.length === 0) {
      const it = rand() < 0.8 ? pick(byCat.get(mission)) : pick(catalog.items);
      seen.push(it);
      ev = { type: "product_view", item: ref(it), context: { page: `/p/${it.id}`, device: "mobile" } };
    } else if (r < 0.7) {
      const it = rand() < 0.3 ? pick(seen) : pick(byCat.get(mission));
      ev = { type: "product_click", item: ref(it), context: { page: "/", slot: "home-recs", device: "mobile" } };
    } else if (r < 0.78) {
      const it = pick(seen.slice(-10));
      cart.push(it);
      ev = { type: "add_to_cart", item: { ...ref(it), quantity: 1 } };
    } else if (r < 0.8 && cart.length > 0) {
      const it = cart.pop();
      ev = { type: "remove_from_cart", item: { ...ref(it), quantity: 1 } };
    } else if (r < 0.88) {
      ev = { type: "search", query: `${mission.replace(/-/g, " ")} ${pick(["waterproof", "light", "cheap", "men", "women"])}` };
    } else if (r < 0.94) {
      ev = { type: "page_view", context: { page: `/c/${mission}`, device: "mobile" } };
    } else {
      const shown = byCat.get(mission).slice(0, 4).map((it) => ({ id: it.id }));
      ev = { type: "impression", items: shown, context: { slot: "home-recs" } };
    }
    ev.offsetMs = t;
    events.push(ev);
  }
  return events;
}

/** 25 rules of the kinds merchants write: session-only, per-item, merchant operators, includes, pins, a slot-scoped one. */
export function makeRules() {
  const R = (id, priority, condition, action, extra = {}) => ({ id, priority, condition, action, ...extra });
  const itemIs = (field, value) => ({ "==": [{ var: `item.${field}` }, value] });
  return {
    version: "bench-25",
    rules: [
      R("accessories-after-view", 100, { viewed_within: [{ var: "session.recent.0.item" }, 300] },
        { type: "include_related", of: { var: "session.recent.0.item" }, relation: "accessories", limit: 3, placement: "first" }),
      R("hide-out-of-stock", 95, { "!": { var: "item.inStock" } }, { type: "exclude" }),
      R("never-rebuy", 94, { purchased: [{ var: "item.id" }] }, { type: "exclude" }),
      R("runners-need-socks", 60, { and: [{ ">": [{ affinity: ["category", "running-shoes"] }, 0] }, itemIs("category", "socks")] },
        { type: "boost", factor: 2 }),
      R("tent-in-cart-sleeping-bags", 60, {
        and: [
          { some: [{ var: "session.recent" }, { and: [{ "==": [{ var: "category" }, "tents"] }, { "==": [{ var: "type" }, "add_to_cart"] }] }] },
          itemIs("category", "sleeping-bags"),
        ],
      }, { type: "boost", factor: 1.8 }),
      R("sale-week", 50, { in: ["sale", { var: "item.tags" }] }, { type: "boost", factor: 1.3 },
        { start: "2025-01-01T00:00:00Z", end: "2030-01-01T00:00:00Z" }),
      R("browsers-see-budget-first", 45, {
        and: [
          { ">=": [{ var: "session.counters.product_view" }, 3] },
          { "==": [{ var: "session.counters.add_to_cart" }, 0] },
          { ">": [{ var: "item.price" }, 300] },
        ],
      }, { type: "bury", factor: 0.5 }),
      R("welcome-hero", 40, { "==": [{ var: "session.counters.events" }, 0] }, { type: "pin", position: 0, item: "sku-00035" }),
      R("mobile-small-items", 35, { and: [{ "==": [{ var: "context.device" }, "mobile"] }, { "<": [{ var: "item.price" }, 50] }] },
        { type: "boost", factor: 1.2 }),
      R("brand-fans", 35, { and: [{ ">": [{ affinity: ["brand", "northpeak"] }, 1] }, itemIs("brand", "northpeak")] },
        { type: "boost", factor: 1.5 }),
      R("one-tent-is-enough", 30, { and: [{ ">": [{ var: "session.counters.purchase" }, 0] }, itemIs("category", "tents")] },
        { type: "bury", factor: 0.3 }),
      R("clearance", 30, { and: [{ in: ["sale", { var: "item.tags" }] }, { "<": [{ var: "item.popularity" }, 0.2] }] },
        { type: "boost", factor: 1.4 }),
      R("add-ons-for-big-carts", 28, {
        and: [
          { ">": [{ reduce: [{ var: "session.cart" }, { "+": [{ var: "accumulator" }, { "*": [{ var: "current.price" }, { var: "current.quantity" }] }] }, 0] }, 150] },
          { "<": [{ var: "item.price" }, 30] },
        ],
      }, { type: "boost", factor: 1.5 }),
      R("searchers-like-waterproof", 25, { and: [{ ">=": [{ var: "session.counters.search" }, 2] }, { in: ["waterproof", { var: "item.tags" }] }] },
        { type: "boost", factor: 1.2 }),
      R("night-hikers", 25, {
        and: [
          { some: [{ var: "session.recent" }, { and: [{ "==": [{ var: "category" }, "headlamps"] }, { "<=": [{ var: "ageSeconds" }, 600] }] }] },
          { in: [{ var: "item.category" }, ["backpacks", "tents"]] },
        ],
      }, { type: "boost", factor: 1.3 }),
      R("similar-to-cart", 22, { ">": [{ var: "session.counters.add_to_cart" }, 0] },
        { type: "include_related", of: { var: "session.cart.0.item" }, relation: "similar", limit: 4, placement: "boost", factor: 1.2 }),
      R("related-to-previous", 21, { ">=": [{ var: "session.recent.length" }, 2] },
        { type: "include_related", of: { var: "session.recent.1.item" }, relation: "related", limit: 3, placement: "boost", factor: 1.1 }),
      R("no-socks-on-tent-pages", 20, { and: [{ "==": [{ var: "context.page" }, "/c/tents"] }, itemIs("category", "socks")] },
        { type: "exclude" }),
      R("price-anchor", 18, { "<=": [{ var: "item.price" }, { "*": [2, { var: "session.recent.0.price" }] }] },
        { type: "boost", factor: 1.1 }),
      R("brand-continuity", 16, { "==": [{ var: "item.brand" }, { var: "session.recent.0.brand" }] }, { type: "boost", factor: 1.25 }),
      R("new-visitors-popular", 15, { and: [{ "<": [{ var: "session.counters.events" }, 5] }, { ">": [{ var: "item.popularity" }, 0.8] }] },
        { type: "boost", factor: 1.5 }),
      R("already-in-cart-later", 14, { in_cart: [{ var: "item.id" }] }, { type: "bury", factor: 0.2 }),
      R("just-seen-later", 12, { viewed_within: [{ var: "item.id" }, 120] }, { type: "bury", factor: 0.7 }),
      R("rainy-day-gear", 10, {
        and: [{ in: [{ var: "context.weather" }, ["rain", "storm"]] }, { in: [{ var: "item.category" }, ["rain-jackets", "backpacks"]] }],
      }, { type: "boost", factor: 1.6 }),
      R("pdp-only-similar", 5, { "!!": [{ var: "context.item" }] },
        { type: "include_related", of: { var: "context.item" }, relation: "similar", limit: 4 }, { slots: ["pdp"] }),
    ],
  };
}

export function makeWorkload({ items = 10000, events = 200 } = {}) {
  const catalog = generate(items, 7);
  return {
    nowMs: NOW_MS,
    catalog,
    events: makeSession(catalog, events),
    rules: makeRules(),
    request: { slot: "home-recs", k: 10, context: { device: "mobile", page: "/", weather: "rain" }, excludeCart: true, excludePurchased: true },
    config: { seed: 7, sessionId: "bench-session-1" },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error("usage: node bench/workload.mjs OUT.json [ITEMS] [EVENTS]");
    process.exit(2);
  }
  const w = makeWorkload({ items: Number(process.argv[3] ?? 10000), events: Number(process.argv[4] ?? 200) });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(w));
  console.log(`workload: ${w.catalog.items.length} items, ${w.events.length} events, ${w.rules.rules.length} rules -> ${out}`);
}
