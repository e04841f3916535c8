// Declarative tracking from data-ep-* attributes (browser only):
//   data-ep-item="ID"        a product tile (or any element about one item); clicks
//                            on it are product_click events, with the slot and the
//                            decision when it sits inside a [data-ep-slot]
//   data-ep-category / -brand / -price   item fields (else taken from the catalog)
//   data-ep-view             on an element with data-ep-item: a product_view when it appears
//   data-ep-action="TYPE"    a button: an event of TYPE (add_to_cart, remove_from_cart,
//                            purchase, custom...) for the enclosing data-ep-item
//   data-ep-slot="SLOT"      a personalised slot (data-ep-k, data-ep-decision-id);
//                            its items count as impressions once at least `threshold`
//                            of them is visible for `dwellMs` without a break
//   form[data-ep-search]     a submit is a search event (the input named q, or the first)
//   data-ep-ignore           clicks inside it are not tracked (a "why?" toggle in a tile)
// Impressions are one event per item and decision, never repeated for the same pair.

function itemOf(client, el) {
  const id = el.dataset.epItem;
  const item = { ...(client.item(id) ?? {}), id };
  if (el.dataset.epCategory) item.category = el.dataset.epCategory;
  if (el.dataset.epBrand) item.brand = el.dataset.epBrand;
  if (el.dataset.epPrice && Number.isFinite(Number(el.dataset.epPrice))) item.price = Number(el.dataset.epPrice);
  for (const k of Object.keys(item)) if (item[k] === undefined) delete item[k];
  return item;
}

/** Starts autotracking under `root`; returns a function that stops it. */
export function autotrack(client, options = {}) {
  const root = options.root ?? globalThis.document;
  const doc = root.ownerDocument ?? root;
  const threshold = options.threshold ?? 0.5;
  const dwellMs = options.dwellMs ?? 1000;
  const page = () => options.page?.() ?? doc.defaultView?.location?.pathname;
  const rerender = options.rerender ?? false;
  const onError = options.onError ?? ((e) => console.warn("edge-personalize autotrack:", e));
  const seenImpressions = new Set();
  const viewed = new WeakSet();
  const timers = new Map();

  const context = (el) => {
    const ctx = {};
    const p = page();
    if (p) ctx.page = p;
    const slot = el.closest("[data-ep-slot]");
    if (slot) ctx.slot = slot.dataset.epSlot;
    return { ctx, slot };
  };

  const safeTrack = (event) => {
    try {
      const stored = client.track(event);
      if (rerender) client.render(root);
      return stored;
    } catch (e) {
      onError(e);
      return null;
    }
  };

  function onClick(e) {
    const target = e.target instanceof Element ? e.target : null;
    if (!target || !root.contains(target) || target.closest("[data-ep-ignore]")) return;
    const action = target.closest("[data-ep-action]");
    const tile = target.closest("[data-ep-item]");
    if (action) {
      const holder = action.matches("[data-ep-item]") ? action : action.closest("[data-ep-item]");
      const type = action.dataset.epAction;
      if (!holder) return;
      const item = itemOf(client, holder);
      const { ctx } = context(holder);
      const event = { type, context: ctx };
      if (type === "purchase") event.items = [{ ...item, quantity: Number(action.dataset.epQuantity) || 1 }];
      else if (type === "add_to_cart" || type === "remove_from_cart") event.item = { ...item, quantity: Number(action.dataset.epQuantity) || 1 };
      else event.item = item;
      safeTrack(event);
      return;
    }
    if (tile && !tile.hasAttribute("data-ep-view")) {
      const { ctx, slot } = context(tile);
      const event = { type: "product_click", item: itemOf(client, tile), context: ctx };
      if (slot?.dataset.epDecisionId) event.decisionId = slot.dataset.epDecisionId;
      safeTrack(event);
    }
  }

  function onSubmit(e) {
    const form = e.target;
    if (!(form instanceof Element) || !form.matches("form[data-ep-search]")) return;
    const input = form.querySelector("input[name=q]") ?? form.querySelector("input");
    const query = input?.value?.trim();
    if (query) safeTrack({ type: "search", query, context: { page: page() } });
  }

  const io = typeof IntersectionObserver === "function"
    ? new IntersectionObserver((entries) => {
        for (const entry of entries) {
          const el = entry.target;
          if (entry.isIntersecting && entry.intersectionRatio >= threshold) {
            if (!timers.has(el)) timers.set(el, setTimeout(() => impression(el), dwellMs));
          } else {
            clearTimeout(timers.get(el));
            timers.delete(el);
          }
        }
      }, { threshold: [0, threshold] })
    : null;

  function impression(el) {
    timers.delete(el);
    if (!el.isConnected) return;
    const slot = el.closest("[data-ep-slot]");
    const decisionId = slot?.dataset.epDecisionId;
    if (!slot || !decisionId) return;
    const key = `${decisionId}\u0000${el.dataset.epItem}`;
    if (seenImpressions.has(key)) return;
    seenImpressions.add(key);
    try {
      client.track({ type: "impression", decisionId, items: [itemOf(client, el)], context: { page: page(), slot: slot.dataset.epSlot } });
    } catch (err) {
      onError(err);
    }
  }

  const observed = new Set();
  function scan() {
    for (const el of root.querySelectorAll("[data-ep-view][data-ep-item]")) {
      if (viewed.has(el)) continue;
      viewed.add(el);
      safeTrack({ type: "product_view", item: itemOf(client, el), context: { page: page() } });
    }
    if (!io) return;
    for (const el of observed) {
      if (!el.isConnected) {
        io.unobserve(el);
        clearTimeout(timers.get(el));
        timers.delete(el);
        observed.delete(el);
      }
    }
    for (const el of root.querySelectorAll("[data-ep-slot] [data-ep-item]")) {
      if (!observed.has(el)) {
        observed.add(el);
        io.observe(el);
      }
    }
  }

  let queued = false;
  const mo = typeof MutationObserver === "function"
    ? new MutationObserver(() => {
        if (queued) return;
        queued = true;
        queueMicrotask(() => {
          queued = false;
          scan();
        });
      })
    : null;

  root.addEventListener("click", onClick, true);
  root.addEventListener("submit", onSubmit, true);
  mo?.observe(root === doc ? doc.documentElement : root, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-ep-item", "data-ep-view", "data-ep-decision-id"] });
  scan();

  return function stop() {
    root.removeEventListener("click", onClick, true);
    root.removeEventListener("submit", onSubmit, true);
    mo?.disconnect();
    io?.disconnect();
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
    observed.clear();
  };
}
