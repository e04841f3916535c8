// Generates the demo catalog (www/catalog.json): ~300 outdoor-store products in
// 8 categories, with brands, prices, tags, popularity, and the three relation
// kinds the engine reads (related, accessories, similar).
//
//   node www/gen-catalog.mjs [COUNT] [SEED] > www/catalog.json
//
// Deterministic for a given COUNT and SEED; the benchmark reuses generate()
// for its 10k-item catalog.

// mulberry32: a small seeded PRNG, so the committed file is reproducible.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CATEGORIES = {
  "running-shoes": { noun: "Running Shoe", price: [49, 189], tags: ["road", "trail", "cushioned", "lightweight", "waterproof"] },
  "rain-jackets": { noun: "Rain Jacket", price: [59, 329], tags: ["waterproof", "packable", "insulated", "breathable"] },
  "backpacks": { noun: "Backpack", price: [29, 249], tags: ["daypack", "hydration", "ultralight", "travel"] },
  "tents": { noun: "Tent", price: [99, 649], tags: ["2-person", "4-person", "ultralight", "4-season"] },
  "sleeping-bags": { noun: "Sleeping Bag", price: [49, 399], tags: ["down", "synthetic", "summer", "winter"] },
  "headlamps": { noun: "Headlamp", price: [15, 119], tags: ["rechargeable", "red-light", "waterproof"] },
  "water-bottles": { noun: "Bottle", price: [9, 49], tags: ["insulated", "filter", "collapsible"] },
  "socks": { noun: "Socks", price: [8, 29], tags: ["merino", "running", "hiking", "compression"] },
};

// What a shopper looking at the key category also needs.
export const ACCESSORY_CATEGORIES = {
  "running-shoes": ["socks", "water-bottles"],
  "rain-jackets": ["backpacks", "headlamps"],
  "backpacks": ["water-bottles", "headlamps"],
  "tents": ["sleeping-bags", "headlamps"],
  "sleeping-bags": ["tents", "socks"],
  "headlamps": ["backpacks"],
  "water-bottles": ["backpacks"],
  "socks": ["running-shoes"],
};

export const BRANDS = ["acme", "northpeak", "trailhawk", "bluefjord", "summitline", "kestrel", "ridgeway", "driftwood", "alpenglow", "coastal"];
const MODELS = ["Aero", "Vista", "Ridge", "Nova", "Tempo", "Glacier", "Ember", "Pulse", "Atlas", "Breeze", "Canyon", "Drift"];

const round2 = (x) => Math.round(x * 100) / 100;

/** A catalog of `count` items, deterministic for (count, seed). */
export function generate(count = 300, seed = 42, { relationsPerKind = 4 } = {}) {
  const rand = rng(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const cats = Object.keys(CATEGORIES);
  const width = String(count).length < 3 ? 3 : String(count).length;
  const items = [];
  for (let i = 0; i < count; i++) {
    const category = cats[i % cats.length];
    const spec = CATEGORIES[category];
    const brand = BRANDS[Math.floor(rand() * rand() * BRANDS.length)]; // a few big brands
    const [lo, hi] = spec.price;
    // Most items near the low end of the range; prices end in .99.
    const price = Math.floor(lo + (hi - lo) * rand() * rand()) + 0.99;
    const tags = [...new Set([pick(spec.tags), pick(spec.tags)])];
    if (rand() < 0.12) tags.push("sale");
    items.push({
      id: `sku-${String(i + 1).padStart(width, "0")}`,
      name: `${brand[0].toUpperCase()}${brand.slice(1)} ${pick(MODELS)} ${spec.noun}`,
      category,
      brand,
      price,
      inStock: rand() > 0.06,
      tags,
      // Power law: a few items sell most.
      popularity: round2(Math.pow(rand(), 3)),
    });
  }
  const byCat = new Map(cats.map((c) => [c, items.filter((it) => it.category === c)]));
  const sample = (pool, n, not) => {
    const out = new Set();
    for (let tries = 0; out.size < n && tries < n * 8; tries++) {
      const it = pick(pool);
      if (it.id !== not) out.add(it.id);
    }
    return [...out];
  };
  for (const it of items) {
    const same = byCat.get(it.category);
    // similar: same category, close in price.
    const near = same
      .filter((o) => o.id !== it.id)
      .sort((a, b) => Math.abs(a.price - it.price) - Math.abs(b.price - it.price))
      .slice(0, relationsPerKind);
    it.similar = near.map((o, r) => ({ id: o.id, weight: round2(1 - r * 0.15) }));
    // accessories: from the complementary categories, weighted by popularity.
    const accPool = ACCESSORY_CATEGORIES[it.category].flatMap((c) => byCat.get(c));
    it.accessories = sample(accPool, relationsPerKind, it.id)
      .map((id) => ({ id, weight: round2(0.5 + 0.5 * rand()) }))
      .sort((a, b) => b.weight - a.weight);
    // related: bought together, any category.
    it.related = sample(items, relationsPerKind, it.id)
      .map((id) => ({ id, weight: round2(0.2 + 0.6 * rand()) }))
      .sort((a, b) => b.weight - a.weight);
  }
  const bestsellers = [...items]
    .filter((it) => it.inStock)
    .sort((a, b) => b.popularity - a.popularity)
    .slice(0, Math.min(40, Math.ceil(count / 8)))
    .map((it) => it.id);
  return { version: `demo-${count}-${seed}`, items, bestsellers };
}

import { fileURLToPath } from "node:url";
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 300);
  const seed = Number(process.argv[3] ?? 42);
  const cat = generate(count, seed);
  // One item per line: readable diffs, still small.
  const lines = cat.items.map((it) => "    " + JSON.stringify(it));
  process.stdout.write(
    `{\n  "version": ${JSON.stringify(cat.version)},\n  "bestsellers": ${JSON.stringify(cat.bestsellers)},\n  "items": [\n${lines.join(",\n")}\n  ]\n}\n`,
  );
}
