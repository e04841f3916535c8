// The client: one Personalizer plus what a page needs around it: loading
// catalog, rules and model; restoring the session (local storage first, else the
// snapshot the edge embedded in the page); saving it (debounced) after each event;
// handing events to an outbox for the sync client; and an onDecision hook.
import { Personalizer } from "./core.js";
import { createSnapshotStore } from "./storage.js";
import { readEdgeSnapshot } from "./edge.js";


const isJsonText = (x) => typeof x === "string" && /^\s*[[{]/.test(x);

async function resolveData(source, fetchImpl) {
  if (source == null) return null;
  if (typeof source === "function") return resolveData(await source(), fetchImpl);
  if (source instanceof URL || (typeof source === "string" && !isJsonText(source))) {
    const res = await fetchImpl(source);
    if (!res.ok) throw new Error(`edge-personalize: fetching ${source} failed: ${res.status}`);
    return res;
  }
  return source;
}

// JSON goes to the engine as text when it arrives as text: parsing it inside
// wasm is about twice as fast as converting a JS object across the boundary.
async function asJsonSource(source, fetchImpl) {
  const v = await resolveData(source, fetchImpl);
  if (v == null) return null;
  if (typeof v.text === "function" && typeof v.arrayBuffer === "function") return { text: await v.text() };
  if (typeof v === "string") return { text: v };
  return { value: v };
}

async function asBytes(source, fetchImpl) {
  const v = await resolveData(source, fetchImpl);
  if (v == null) return null;
  if (typeof v.arrayBuffer === "function") return new Uint8Array(await v.arrayBuffer());
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return v;
}

function itemIndex(catalog) {
  const map = new Map();
  if (catalog && typeof catalog === "object" && Array.isArray(catalog.items)) {
    for (const it of catalog.items) {
      if (it && typeof it.id === "string") map.set(it.id, { id: it.id, category: it.category, brand: it.brand, price: it.price });
    }
  }
  return map;
}

/** Creates a client; see types/index.d.ts (ClientOptions, Client). Call `init()` first. */
export async function createClient(options = {}) {
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  const personalizer = new Personalizer(options.config ?? {});
  const [catalogSrc, rulesSrc, model] = await Promise.all([
    asJsonSource(options.catalog, fetchImpl),
    asJsonSource(options.rules, fetchImpl),
    asBytes(options.model, fetchImpl).catch((e) => {
      // A missing model is not fatal: decisions go on with relations and best-sellers.
      options.onError?.(e);
      return null;
    }),
  ]);
  const info = {};
  let catalog = null;
  if (catalogSrc) {
    info.catalog = personalizer.loadCatalog(catalogSrc.text ?? catalogSrc.value);
    catalog = catalogSrc.value ?? JSON.parse(catalogSrc.text);
  }
  if (rulesSrc) info.rules = personalizer.loadRules(rulesSrc.text ?? rulesSrc.value);
  if (model) {
    try {
      info.model = personalizer.loadModel(model);
    } catch (e) {
      info.modelError = e;
      options.onError?.(e);
    }
  }
  const items = itemIndex(catalog);

  let store = null;
  if (options.storage && typeof options.storage.schedule === "function") store = options.storage;
  else if (options.storage !== false && (globalThis.indexedDB || globalThis.localStorage)) {
    store = await createSnapshotStore(options.storage ?? {});
  }

  let restored = null;
  const stored = store ? await store.load() : null;
  if (stored) {
    try {
      personalizer.restore(stored);
      restored = "storage";
    } catch (e) {
      // A damaged or outdated snapshot: the engine has started a fresh session.
      options.onError?.(e);
    }
  }
  if (!restored && options.edgeSnapshot !== false) {
    const edge = readEdgeSnapshot();
    if (edge) {
      try {
        personalizer.restore(edge.snapshot);
        restored = "edge";
      } catch (e) {
        options.onError?.(e);
      }
    }
  }

  const listeners = new Set();
  if (options.onDecision) listeners.add(options.onDecision);
  const trackListeners = new Set();
  if (options.onTrack) trackListeners.add(options.onTrack);
  const outbox = options.outbox ?? null;
  const snapshot = () => personalizer.snapshot();

  const client = {
    personalizer,
    info,
    restored,
    storage: store,
    outbox,
    /** Catalog fields for an item id (from the loaded catalog object), if known. */
    item(id) {
      return items.get(id) ?? null;
    },
    track(event) {
      const ev = { ...event };
      // Fill item fields from the catalog when the caller gave only an id.
      if (ev.item && typeof ev.item === "object" && items.has(ev.item.id)) {
        const known = items.get(ev.item.id);
        ev.item = { ...Object.fromEntries(Object.entries(known).filter(([, v]) => v !== undefined)), ...ev.item };
      }
      const stored = personalizer.track(ev);
      store?.schedule(snapshot);
      if (outbox) outbox.push(stored);
      for (const fn of trackListeners) fn(stored);
      return stored;
    },
    decide(request, target = null) {
      const decision = personalizer.decide(request);
      for (const fn of listeners) fn(decision, { request, element: target });
      return decision;
    },
    onDecision(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    onTrack(fn) {
      trackListeners.add(fn);
      return () => trackListeners.delete(fn);
    },
    /**
     * Decides every `[data-ep-slot]` element under root. Without an onDecision
     * listener, each slot gets links like the edge renders.
     */
    render(root = globalThis.document) {
      const out = [];
      if (!root?.querySelectorAll) return out;
      const slots = root.matches?.("[data-ep-slot]") ? [root] : [...root.querySelectorAll("[data-ep-slot]")];
      for (const el of slots) {
        const request = { slot: el.dataset.epSlot, k: Number(el.dataset.epK) || 8 };
        if (el.dataset.epItem) request.item = el.dataset.epItem;
        if (el.dataset.epContext) {
          try {
            request.context = JSON.parse(el.dataset.epContext);
          } catch {
            /* a malformed attribute is ignored */
          }
        }
        const decision = personalizer.decide(request);
        el.dataset.epDecisionId = decision.decisionId;
        if (listeners.size === 0) defaultRender(el, decision);
        for (const fn of listeners) fn(decision, { request, element: el });
        out.push(decision);
      }
      return out;
    },
    state() {
      return personalizer.state();
    },
    snapshot,
    async flush() {
      await store?.flush();
    },
    async reset() {
      await store?.clear();
      try {
        // The engine's documented way to a fresh session: bad bytes throw
        // SNAPSHOT_CORRUPT and leave a new, empty session behind.
        personalizer.restore(new Uint8Array(0));
      } catch (e) {
        if (e?.code !== "SNAPSHOT_CORRUPT") throw e;
      }
    },
    destroy() {
      store?.close?.();
      listeners.clear();
      trackListeners.clear();
      personalizer.free();
    },
  };
  return client;
}

function defaultRender(el, decision) {
  const doc = el.ownerDocument;
  el.replaceChildren(
    ...decision.items.map((it) => {
      const a = doc.createElement("a");
      a.className = "ep-item";
      a.href = `/p/${encodeURIComponent(it.id)}`;
      a.dataset.epItem = it.id;
      a.dataset.epReasons = it.reasons.join(" ");
      a.textContent = it.id;
      return a;
    }),
  );
}
