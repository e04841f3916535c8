// Synthetic shopper events that follow the event schema in docs/TEAM-NOTES.md, with
// ULID-like ids (26 Crockford base32 characters: 48-bit ms time + 80 random bits).
import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A 26-character ULID-like id for time `ms`. */
export function ulid(ms) {
  let t = BigInt(ms);
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[Number(t & 31n)] + time;
    t >>= 5n;
  }
  let r = BigInt("0x" + randomBytes(10).toString("hex"));
  let rand = "";
  for (let i = 0; i < 16; i++) {
    rand = CROCKFORD[Number(r & 31n)] + rand;
    r >>= 5n;
  }
  return time + rand;
}

const CATEGORIES = ["shoes", "bags", "jackets", "hats", "socks"];
const BRANDS = ["acme", "globex", "initech", "umbrella"];
const DEVICES = ["mobile", "desktop", "tablet"];

function item(n) {
  const id = n % 300;
  return {
    id: `sku-${id}`,
    category: CATEGORIES[id % CATEGORIES.length],
    brand: BRANDS[id % BRANDS.length],
    price: Math.round((9.9 + (id % 50) * 3.1) * 100) / 100,
    quantity: 1 + (n % 3),
  };
}

/**
 * `count` events spread round-robin over `sessions` sessions ("s-0".."s-N"), every event
 * type represented, ids unique (checked), timestamps increasing from `startMs`.
 */
export function makeEvents(count, sessions, startMs = Date.now()) {
  const ids = new Set();
  const events = [];
  for (let n = 0; n < count; n++) {
    const ts = startMs + n;
    let id = ulid(ts);
    while (ids.has(id)) id = ulid(ts);
    ids.add(id);
    const s = n % sessions;
    const base = {
      id,
      sessionId: `s-${s}`,
      ts,
      context: { page: `/p/sku-${n % 300}`, slot: "home-recs", device: DEVICES[s % DEVICES.length] },
    };
    if (s % 4 === 0) base.userId = `u-${s}`;
    switch (n % 9) {
      case 0: events.push({ ...base, type: "page_view" }); break;
      case 1: events.push({ ...base, type: "product_view", item: item(n) }); break;
      case 2: events.push({ ...base, type: "product_click", item: item(n), decisionId: `d-${n}` }); break;
      case 3: events.push({ ...base, type: "add_to_cart", item: item(n) }); break;
      case 4: events.push({ ...base, type: "remove_from_cart", item: item(n) }); break;
      case 5: events.push({ ...base, type: "purchase", items: [item(n), item(n + 7)] }); break;
      case 6: events.push({ ...base, type: "search", query: ["red shoes", "rain jacket", "wool hat"][n % 3] }); break;
      case 7: events.push({ ...base, type: "impression", items: [item(n), item(n + 1), item(n + 2)], decisionId: `d-${n}` }); break;
      default: events.push({ ...base, type: "custom", name: "newsletter", properties: { source: "footer" } });
    }
  }
  return events;
}
