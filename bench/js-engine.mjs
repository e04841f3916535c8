// A plain-JS personalizer for the benchmark: the same algorithm as the Rust
// engine (src/session, src/catalog, src/rules, src/decide), written the way a
// careful JS developer would, with json-logic-js for rule conditions. It
// exists to answer "what does the wasm buy us over doing it in JS?", so it is
// not a strawman: indexes are Maps, session-only rule parts run once per
// decision, and the session JSON that rules read is built once per decision.
import jsonLogic from "./json-logic.mjs";

const RING = 200;
const MAX_AFFINITIES = 256;
const MAX_CART = 100;
const MAX_PURCHASED = 100;
const RECENT_SEEDS = 5;
const TOP_CATEGORIES = 3;
const PER_CATEGORY = 12;
const TOP_BRANDS = 2;
const PER_BRAND = 6;
const INTENT = { purchase: 5, add_to_cart: 3, product_click: 1.5, product_view: 1, remove_from_cart: -1 };
const EVENT_TYPES = ["page_view", "product_view", "product_click", "add_to_cart", "remove_from_cart", "purchase", "search", "impression", "custom"];
const WEIGHTS = { item: 0.5, category: 1.0, brand: 0.4, relation: 1.2, recency: 0.2, popularity: 0.3, priceFit: 0.2, model: 1.5 };

export const decay = (dt, halfLife) => (dt <= 0 || halfLife <= 0 ? 1 : Math.exp(-(dt / halfLife) * Math.LN2));

class AffinityTable {
  constructor() {
    this.m = new Map();
  }
  add(key, w, at, hl) {
    const e = this.m.get(key);
    if (e) {
      if (at >= e.at) {
        e.score = e.score * decay(at - e.at, hl) + w;
        e.at = at;
      } else {
        e.score += w * decay(e.at - at, hl);
      }
      if (e.score < 0) e.score = 0;
      return;
    }
    if (w <= 0) return;
    if (this.m.size >= MAX_AFFINITIES) {
      let weakest = null;
      let low = Infinity;
      for (const [k, x] of this.m) {
        const s = x.score * decay(at - x.at, hl);
        if (s < low) [low, weakest] = [s, k];
      }
      this.m.delete(weakest);
    }
    this.m.set(key, { score: w, at });
  }
  get(key, now, hl) {
    const e = this.m.get(key);
    return e ? e.score * decay(now - e.at, hl) : 0;
  }
  top(n, now, hl) {
    const all = [];
    for (const [k, e] of this.m) {
      const s = e.score * decay(now - e.at, hl);
      if (s > 1e-9) all.push([k, s]);
    }
    all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return all.slice(0, n);
  }
  max(now, hl) {
    let m = 0;
    for (const e of this.m.values()) m = Math.max(m, e.score * decay(now - e.at, hl));
    return m;
  }
  toJSON(now, hl) {
    const o = {};
    for (const [k, e] of this.m) {
      const s = e.score * decay(now - e.at, hl);
      if (s > 1e-9) o[k] = s;
    }
    return o;
  }
}

export class JsSession {
  constructor(id, now, halfLifeMs = 30 * 60_000) {
    this.id = id;
    this.started = now;
    this.hl = halfLifeMs;
    this.recent = [];
    this.items = new AffinityTable();
    this.categories = new AffinityTable();
    this.brands = new AffinityTable();
    this.cart = [];
    this.purchased = [];
    this.counters = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0]));
    this.priceSum = 0;
    this.priceCount = 0;
  }
  apply(ev, ts) {
    this.counters[ev.type] = (this.counters[ev.type] ?? 0) + 1;
    const w = INTENT[ev.type] ?? 0;
    const list = [];
    if (ev.item) list.push(ev.item);
    if (ev.items) list.push(...ev.items);
    for (const it of list) {
      if (ev.type === "impression") break;
      if (w !== 0) {
        this.items.add(it.id, w, ts, this.hl);
        if (it.category != null) this.categories.add(it.category, w, ts, this.hl);
        if (it.brand != null) this.brands.add(it.brand, w, ts, this.hl);
      }
      if (typeof it.price === "number" && w > 0) {
        this.priceSum += it.price;
        this.priceCount++;
      }
      if (ev.type !== "remove_from_cart") {
        if (this.recent.length >= RING) this.recent.shift();
        this.recent.push({ item: it.id, category: it.category, brand: it.brand, type: ev.type, ts, price: it.price });
      }
      if (ev.type === "add_to_cart") {
        const line = this.cart.find((l) => l.item === it.id);
        if (line) {
          line.quantity = Math.min(line.quantity + (it.quantity ?? 1), 10_000);
          if (it.price != null) line.price = it.price;
        } else if (this.cart.length < MAX_CART) {
          this.cart.push({ item: it.id, quantity: it.quantity ?? 1, price: it.price });
        }
      } else if (ev.type === "remove_from_cart") {
        this.removeFromCart(it.id, it.quantity);
      } else if (ev.type === "purchase") {
        this.removeFromCart(it.id);
        if (!this.purchased.includes(it.id)) {
          if (this.purchased.length >= MAX_PURCHASED) this.purchased.shift();
          this.purchased.push(it.id);
        }
      }
    }
  }
  removeFromCart(id, qty) {
    const pos = this.cart.findIndex((l) => l.item === id);
    if (pos < 0) return;
    if (qty != null && qty < this.cart[pos].quantity) this.cart[pos].quantity -= qty;
    else this.cart.splice(pos, 1);
  }
  viewedWithin(item, seconds, now) {
    const since = now - seconds * 1000;
    return this.recent.some((i) => i.ts >= since && i.item === item);
  }
  affinity(kind, key, now) {
    const t = kind === "item" ? this.items : kind === "category" ? this.categories : kind === "brand" ? this.brands : null;
    return t ? t.get(key, now, this.hl) : 0;
  }
  inCart(item) {
    return this.cart.some((l) => l.item === item);
  }
  wasPurchased(item) {
    return this.purchased.includes(item);
  }
  /** The session as rules read it under `session` (same shape as the engine's). */
  toJSON(now) {
    let events = 0;
    for (const t of EVENT_TYPES) events += this.counters[t];
    return {
      id: this.id,
      ageSeconds: Math.floor(Math.max(0, now - this.started) / 1000),
      recent: this.recent
        .map((i) => {
          const o = { item: i.item, category: i.category, brand: i.brand, type: i.type, ageSeconds: Math.floor(Math.max(0, now - i.ts) / 1000) };
          if (i.price != null) o.price = i.price;
          return o;
        })
        .reverse(),
      affinity: {
        item: this.items.toJSON(now, this.hl),
        category: this.categories.toJSON(now, this.hl),
        brand: this.brands.toJSON(now, this.hl),
      },
      cart: this.cart.map((l) => ({ ...l })),
      purchased: [...this.purchased],
      counters: { ...this.counters, events },
    };
  }
}

// The merchant operators. Inside a decision `this.$live` is the live session
// (like the Rust DecisionScope); on plain data they read `session.*` (like the
// Rust defaults in src/logic/merchant.rs).
let opsInstalled = false;
export function installMerchantOps() {
  if (opsInstalled) return jsonLogic;
  opsInstalled = true;
  jsonLogic.add_operation("viewed_within", function (item, seconds) {
    // Per candidate, the decision's map of last-seen times (as the engine's), not a scan of the ring.
    if (this && this.$lastSeen) {
      const ts = this.$lastSeen.get(item);
      return ts !== undefined && ts >= this.now - Number(seconds) * 1000;
    }
    if (this && this.$live) return this.$live.viewedWithin(item, Number(seconds), this.now);
    const recent = this?.session?.recent ?? [];
    return recent.some((r) => r.item === item && r.ageSeconds <= seconds);
  });
  jsonLogic.add_operation("affinity", function (kind, key) {
    if (this && this.$live) return this.$live.affinity(kind, key, this.now);
    return Number(this?.session?.affinity?.[kind]?.[key] ?? 0);
  });
  jsonLogic.add_operation("in_cart", function (item) {
    if (this && this.$live) return this.$live.inCart(item);
    return (this?.session?.cart ?? []).some((l) => l.item === item);
  });
  jsonLogic.add_operation("purchased", function (item) {
    if (this && this.$live) return this.$live.wasPurchased(item);
    return (this?.session?.purchased ?? []).includes(item);
  });
  return jsonLogic;
}

function usesItem(c) {
  if (Array.isArray(c)) return c.some(usesItem);
  if (c === null || typeof c !== "object") return false;
  for (const [op, args] of Object.entries(c)) {
    if (op === "var") {
      const p = Array.isArray(args) ? args[0] : args;
      if (typeof p === "string" && (p === "item" || p.startsWith("item."))) return true;
    }
    if (usesItem(args)) return true;
  }
  return false;
}

const MERCHANT_OPS = new Set(["viewed_within", "viewed_category_within", "affinity", "affinity_above", "in_cart", "purchased"]);
const BODY_OPS = new Set(["map", "filter", "reduce", "all", "none", "some"]);

/** Whether `c` reads nothing but `item.*` (in an iteration body `var` reads the element): its result is per item. */
function readsItemOnly(c, inBody = false) {
  if (Array.isArray(c)) return c.every((x) => readsItemOnly(x, inBody));
  if (c === null || typeof c !== "object") return true;
  const keys = Object.keys(c);
  if (keys.length !== 1) return true; // literal data
  const op = keys[0];
  const args = Array.isArray(c[op]) ? c[op] : [c[op]];
  if (op === "var") {
    const [path, dflt] = args;
    if (typeof path !== "string" && typeof path !== "number" && path != null) return false; // computed path
    const p = path == null ? "" : String(path);
    return (inBody || p === "item" || p.startsWith("item.")) && readsItemOnly(dflt, inBody);
  }
  if (op === "missing" || op === "missing_some" || MERCHANT_OPS.has(op)) return false;
  return args.every((a, i) => readsItemOnly(a, inBody || (i === 1 && BODY_OPS.has(op))));
}

function parseTime(v) {
  if (v == null) return null;
  return typeof v === "number" ? v : Date.parse(v);
}

const KINDS = ["related", "accessories", "similar"];

export class JsPersonalizer {
  constructor({ sessionId = "js-session", halfLifeSeconds = 1800 } = {}, now = Date.now()) {
    installMerchantOps();
    this.session = new JsSession(sessionId, now, halfLifeSeconds * 1000);
    this.items = [];
    this.index = new Map();
    this.byCategory = new Map();
    this.byBrand = new Map();
    this.bestsellers = [];
    this.rules = [];
    this.seq = 0;
  }

  loadCatalog(c) {
    const items = c.items.map((raw) => ({
      id: raw.id,
      category: raw.category ?? null,
      brand: raw.brand ?? null,
      price: typeof raw.price === "number" ? raw.price : null,
      inStock: raw.inStock ?? true,
      popularity: raw.popularity ?? 0,
      relations: [[], [], []],
      value: { id: raw.id, category: raw.category, brand: raw.brand, price: raw.price, inStock: raw.inStock ?? true, tags: raw.tags ?? [], popularity: raw.popularity ?? 0 },
    }));
    const index = new Map(items.map((it, i) => [it.id, i]));
    c.items.forEach((raw, i) => {
      KINDS.forEach((kind, k) => {
        const out = [];
        for (const r of raw[kind] ?? []) {
          const id = typeof r === "string" ? r : r.id;
          const w = typeof r === "string" || r.weight == null ? 1 : Math.min(r.weight, 1);
          const j = index.get(id);
          if (j !== undefined && !out.some((x) => x[0] === j)) out.push([j, Math.fround(w)]);
        }
        out.sort((a, b) => b[1] - a[1]);
        items[i].relations[k] = out;
      });
    });
    const best = [];
    for (const id of c.bestsellers ?? []) {
      const j = index.get(id);
      if (j !== undefined && !best.includes(j)) best.push(j);
    }
    const n = Math.max(best.length, 1);
    best.forEach((j, rank) => (items[j].popularity = Math.max(items[j].popularity, 1 - rank / n)));
    const byCategory = new Map();
    const byBrand = new Map();
    items.forEach((it, i) => {
      if (it.category != null) (byCategory.get(it.category) ?? byCategory.set(it.category, []).get(it.category)).push(i);
      if (it.brand != null) (byBrand.get(it.brand) ?? byBrand.set(it.brand, []).get(it.brand)).push(i);
    });
    for (const list of [...byCategory.values(), ...byBrand.values()]) {
      list.sort((a, b) => items[b].popularity - items[a].popularity || a - b);
    }
    Object.assign(this, { items, index, byCategory, byBrand, bestsellers: best });
    this.computeMasks();
    return { items: items.length };
  }

  loadRules(set) {
    const rules = set.rules.map((r) => {
      const c = r.condition ?? true;
      let sessionPart = [];
      let itemPart = [];
      if (c && typeof c === "object" && !Array.isArray(c) && Object.keys(c).length === 1 && Array.isArray(c.and) && c.and.length) {
        for (const p of c.and) (usesItem(p) ? itemPart : sessionPart).push(p);
      } else {
        (usesItem(c) ? itemPart : sessionPart).push(c);
      }
      return { ...r, sessionPart, itemPart, startMs: parseTime(r.start), endMs: parseTime(r.end) };
    });
    // Stable: equal priorities keep their order.
    this.rules = rules.map((r, i) => [r, i]).sort((a, b) => (b[0].priority ?? 0) - (a[0].priority ?? 0) || a[1] - b[1]).map((x) => x[0]);
    this.computeMasks();
    return { rules: this.rules.length };
  }

  /**
   * The same precomputation as the Rust engine's ItemMasks: an item part that
   * reads only the item is evaluated once per catalog item when rules or
   * catalog load, and a decision reads one byte per candidate.
   */
  computeMasks() {
    for (const rule of this.rules) {
      rule.itemMasks = rule.itemPart.map((p) => {
        if (!readsItemOnly(p)) return null;
        const mask = new Uint8Array(this.items.length);
        const data = { item: null };
        this.items.forEach((it, i) => {
          data.item = it.value;
          mask[i] = jsonLogic.truthy(jsonLogic.apply(p, data)) ? 1 : 0;
        });
        return mask;
      });
    }
  }

  track(ev, now = Date.now()) {
    const ts = ev.ts ?? now;
    this.session.apply(ev, ts);
    return { ...ev, ts, sessionId: this.session.id };
  }

  decide(req, now = Date.now()) {
    const s = this.session;
    const hl = s.hl;
    const k = Math.min(Math.max(req.k ?? 10, 1), 100);
    const slot = req.slot ?? "default";
    const context = req.context ?? {};
    const exclude = new Set(req.exclude ?? []);
    const excludeCart = req.excludeCart ?? true;
    const excludePurchased = req.excludePurchased ?? true;
    const items = this.items;
    const decision = { decisionId: `js-${++this.seq}`, slot, items: [], rulesFired: [], fallbackUsed: false, group: "treatment" };
    const blocked = (j) => {
      const it = items[j];
      return !it || !it.inStock || req.item === it.id || exclude.has(it.id) || (excludeCart && s.inCart(it.id)) || (excludePurchased && s.wasPurchased(it.id));
    };

    const pool = [];
    const at = new Map();
    const add = (j, reason, personal) => {
      let pos = at.get(j);
      if (pos === undefined) {
        pos = pool.length;
        at.set(j, pos);
        pool.push({ idx: j, relation: 0, multiplier: 1, reasons: [], first: null, pin: null, excluded: false, popularOnly: true, score: 0, placement: 0 });
      }
      const c = pool[pos];
      if (c.reasons.length < 4 && !c.reasons.includes(reason)) c.reasons.push(reason);
      if (personal) c.popularOnly = false;
      return c;
    };

    const src0 = req.item != null ? items[this.index.get(req.item)] : undefined;
    if (src0) {
      KINDS.forEach((kind, kk) => {
        for (const [j, w] of src0.relations[kk]) {
          const c = add(j, `${kind}:${src0.id}`, true);
          c.relation = Math.max(c.relation, w);
        }
      });
    }
    const distinct = [];
    for (let i = s.recent.length - 1; i >= 0 && distinct.length < RECENT_SEEDS; i--) {
      const r = s.recent[i];
      if (!distinct.some((d) => d.item === r.item)) distinct.push(r);
    }
    for (const r of distinct) {
      const j0 = this.index.get(r.item);
      if (j0 === undefined) continue;
      const src = items[j0];
      const fresh = decay(Math.max(0, now - r.ts), hl);
      for (const kk of [0, 2]) {
        for (const [j, w] of src.relations[kk]) {
          const c = add(j, `related:${src.id}`, true);
          c.relation = Math.max(c.relation, w * fresh);
        }
      }
    }
    for (const [category] of s.categories.top(TOP_CATEGORIES, now, hl)) {
      for (const j of (this.byCategory.get(category) ?? []).slice(0, PER_CATEGORY)) add(j, `category:${category}`, true);
    }
    for (const [brand] of s.brands.top(TOP_BRANDS, now, hl)) {
      for (const j of (this.byBrand.get(brand) ?? []).slice(0, PER_BRAND)) add(j, `brand:${brand}`, true);
    }
    for (const j of this.bestsellers.slice(0, 2 * k)) add(j, "popular", false);

    // The data rules read; `item` is swapped per candidate.
    const data = { session: s.toJSON(now), context, slot, now, item: null, $live: s, $lastSeen: null };
    const allTrue = (parts) => parts.every((p) => jsonLogic.truthy(jsonLogic.apply(p, data)));
    const live = [];
    let firstOrder = 0;
    for (const rule of this.rules) {
      if (rule.startMs != null && now < rule.startMs) continue;
      if (rule.endMs != null && now >= rule.endMs) continue;
      if (rule.slots && !rule.slots.includes(slot)) continue;
      if (!allTrue(rule.sessionPart)) continue;
      const a = rule.action;
      if (a.type === "include_related") {
        const of = jsonLogic.apply(a.of, data);
        const ids = (Array.isArray(of) ? of.flat(Infinity) : [of]).filter((x) => typeof x === "string" || typeof x === "number").map(String);
        const kk = KINDS.indexOf(a.relation ?? "related");
        let added = false;
        for (const id of ids) {
          const src = items[this.index.get(id)];
          if (!src) continue;
          for (const [j, w] of src.relations[kk].slice(0, a.limit ?? 4)) {
            if (blocked(j)) continue;
            const c = add(j, `rule:${rule.id}`, true);
            c.relation = Math.max(c.relation, w);
            if ((a.placement ?? "first") === "first") {
              if (c.first === null) c.first = firstOrder++;
            } else {
              c.multiplier *= a.factor ?? 1.5;
            }
            added = true;
          }
        }
        if (added) decision.rulesFired.push(rule.id);
      } else if (a.type === "pin" && a.item != null) {
        const j = this.index.get(a.item);
        if (j !== undefined && !blocked(j)) {
          const c = add(j, `rule:${rule.id}`, true);
          if (c.pin === null) c.pin = a.position ?? 0;
          decision.rulesFired.push(rule.id);
        }
      } else {
        live.push(rule);
      }
    }

    const maxItem = Math.max(s.items.max(now, hl), 1e-9);
    const maxCat = Math.max(s.categories.max(now, hl), 1e-9);
    const maxBrand = Math.max(s.brands.max(now, hl), 1e-9);
    const typical = s.priceCount > 0 ? s.priceSum / s.priceCount : null;
    const lastSeen = new Map();
    for (const r of s.recent) lastSeen.set(r.item, Math.max(lastSeen.get(r.item) ?? -Infinity, r.ts));
    data.$lastSeen = lastSeen;
    for (const c of pool) {
      if (blocked(c.idx)) {
        c.excluded = true;
        continue;
      }
      const it = items[c.idx];
      const seen = lastSeen.get(it.id);
      const f = {
        item: s.items.get(it.id, now, hl) / maxItem,
        category: it.category == null ? 0 : s.categories.get(it.category, now, hl) / maxCat,
        brand: it.brand == null ? 0 : s.brands.get(it.brand, now, hl) / maxBrand,
        relation: c.relation,
        recency: seen === undefined ? 0 : decay(now - seen, hl),
        popularity: it.popularity,
        priceFit: it.price > 0 && typical > 0 ? Math.min(it.price / typical, typical / it.price) : 0,
      };
      data.item = it.value;
      for (const rule of live) {
        const masks = rule.itemMasks;
        if (!rule.itemPart.every((p, pi) => (masks[pi] ? masks[pi][c.idx] === 1 : jsonLogic.truthy(jsonLogic.apply(p, data))))) continue;
        const a = rule.action;
        if (a.type === "boost") c.multiplier *= a.factor ?? 2;
        else if (a.type === "bury") c.multiplier *= a.factor ?? 0.5;
        else if (a.type === "exclude") c.excluded = true;
        else if (a.type === "pin") {
          if (c.pin === null) c.pin = a.position ?? 0;
        } else continue;
        const reason = `rule:${rule.id}`;
        if (c.reasons.length < 4 && !c.reasons.includes(reason)) c.reasons.push(reason);
        if (!decision.rulesFired.includes(rule.id)) decision.rulesFired.push(rule.id);
      }
      const score =
        WEIGHTS.item * f.item + WEIGHTS.category * f.category + WEIGHTS.brand * f.brand + WEIGHTS.relation * f.relation +
        WEIGHTS.recency * f.recency + WEIGHTS.popularity * f.popularity + WEIGHTS.priceFit * f.priceFit;
      c.score = score * c.multiplier;
    }

    const personal = pool.some((c) => !c.popularOnly && !c.excluded);
    const ranked = pool.filter((c) => !c.excluded);
    // Placement (pinned, then included-first in order, then the rest) as one
    // number per candidate, computed once, as the engine does.
    for (const c of ranked) c.placement = (c.pin === null ? 2 : 0) * 2 ** 40 + (c.first === null ? 1 : 0) * 2 ** 39 + (c.first ?? 0);
    ranked.sort((a, b) => a.placement - b.placement || b.score - a.score || a.idx - b.idx);
    const cap = Math.max(1, Math.ceil((k * 3) / 5));
    const perCategory = new Map();
    const slots = new Array(k).fill(null);
    const rest = [];
    for (const c of ranked) {
      const category = items[c.idx].category ?? "";
      const n = perCategory.get(category) ?? 0;
      const exempt = c.pin !== null || c.first !== null;
      if (!exempt && category !== "" && n >= cap) continue;
      if (c.pin !== null) {
        for (let i = Math.min(c.pin, k - 1); i < k; i++) {
          if (slots[i] === null) {
            slots[i] = c;
            perCategory.set(category, n + 1);
            break;
          }
        }
        continue;
      }
      if (rest.length < k) {
        rest.push(c);
        perCategory.set(category, n + 1);
      }
    }
    let r = 0;
    for (let i = 0; i < k; i++) if (slots[i] === null) slots[i] = rest[r++] ?? null;
    for (const c of slots) {
      if (!c) continue;
      let reasons = c.reasons;
      if (!personal && c.popularOnly) {
        reasons = ["fallback:bestsellers"];
        decision.fallbackUsed = true;
      }
      decision.items.push({ id: items[c.idx].id, score: Math.round(c.score * 1e4) / 1e4, reasons });
    }
    if (decision.items.length < k) {
      const before = decision.items.length;
      for (const j of this.bestsellers) {
        if (decision.items.length >= k) break;
        const it = items[j];
        if (blocked(j) || decision.items.some((x) => x.id === it.id)) continue;
        decision.items.push({ id: it.id, score: 0, reasons: ["fallback:bestsellers"] });
      }
      decision.fallbackUsed ||= decision.items.length > before;
    }
    return decision;
  }
}
