// Shared test helpers: requests with the test write key and origin, events.
import { SELF } from "cloudflare:test";

export const WRITE_KEY = "test-write-key";
export const ORIGIN = "https://shop.example";
export const BASE = "https://edge.example";

let ipCounter = 0;
/** A fresh client address per call, so per-IP buckets never leak between tests. */
export function freshIp() {
  ipCounter += 1;
  return `198.51.100.${ipCounter % 250}` + (ipCounter >= 250 ? `-${ipCounter}` : "");
}

let sessionCounter = 0;
/** A fresh session id per call. */
export function freshSession(prefix = "s") {
  sessionCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${sessionCounter}`;
}

/** POST JSON to the Worker with the write key, a fresh IP and the allowed origin. */
export function post(path, body, { headers = {}, ip = freshIp(), raw = false } = {}) {
  return SELF.fetch(BASE + path, {
    method: "POST",
    headers: withoutUndefined({
      "content-type": "application/json",
      "x-ep-write-key": WRITE_KEY,
      origin: ORIGIN,
      "cf-connecting-ip": ip,
      ...headers,
    }),
    body: raw ? body : JSON.stringify(body),
  });
}

/** Headers given as `undefined` are left out (a test's way to drop a default). */
export function withoutUndefined(headers) {
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
}

/** A valid event of `type` for `sessionId`. */
export function event(type, sessionId, extra = {}) {
  const base = { type, sessionId, ts: Date.now() - 1000 };
  if (["product_view", "product_click", "add_to_cart", "remove_from_cart"].includes(type)) {
    base.item = { id: "sku-1", category: "shoes", brand: "acme", price: 24.9 };
  }
  if (type === "purchase" || type === "impression") base.items = [{ id: "sku-1" }];
  if (type === "search") base.query = "red shoes";
  if (type === "custom") base.name = "newsletter";
  return { ...base, ...extra };
}
