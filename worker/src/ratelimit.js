// Rate limits: in-memory token buckets, one set per Worker isolate.
//
// Why in memory and not a Durable Object: a DO would give one global count
// per key, but it puts a second network hop (often to another colo) on every
// collect request, and a single hot key (one IP behind a NAT, one runaway
// session) would serialize through one object. Buckets in the isolate cost
// nothing and stop the abuse that matters (a script hammering one edge), at
// the price of being approximate: each isolate (and each colo) counts on its
// own, so a client spread over N isolates gets up to N times the budget, and
// buckets vanish when the isolate is evicted. The per-key map is bounded
// (RATE_MAX_KEYS, least-recently-used out). For a hard global quota, put a
// DO or Cloudflare's rate limiting rules in front; the interface below
// (`take`) stays the same.

/** Retry-After for a bucket that never refills (a rate of 0 per second). */
const NO_REFILL_RETRY_SECONDS = 3600;

/** Token buckets keyed by string, bounded in number. */
export class RateLimiter {
  constructor() {
    this.buckets = new Map();
  }

  /**
   * Takes `cost` tokens from every key in `charges` ([{ key, cost }]) or from
   * none. Returns 0 when allowed, else the seconds until the slowest bucket
   * could pay (for Retry-After, at least 1).
   */
  take(charges, { burst, perSecond, maxKeys }, nowMs) {
    let wait = 0;
    const states = [];
    for (const { key, cost } of charges) {
      const need = Math.min(cost, burst);
      let b = this.buckets.get(key);
      if (b) {
        this.buckets.delete(key); // re-inserted below: keeps LRU order
        const elapsed = Math.max(0, nowMs - b.at) / 1000;
        b = { tokens: Math.min(burst, b.tokens + elapsed * perSecond), at: nowMs };
      } else {
        b = { tokens: burst, at: nowMs };
      }
      this.buckets.set(key, b);
      states.push([b, need]);
      if (b.tokens < need) {
        const secs = perSecond > 0 ? (need - b.tokens) / perSecond : NO_REFILL_RETRY_SECONDS;
        wait = Math.max(wait, Math.max(1, Math.ceil(secs)));
      }
    }
    if (wait === 0) for (const [b, need] of states) b.tokens -= need;
    while (this.buckets.size > maxKeys) {
      const oldest = this.buckets.keys().next().value;
      this.buckets.delete(oldest);
    }
    return wait;
  }
}

/** Per-isolate limiters: one for client IPs, one for session ids. */
export const ipLimiter = new RateLimiter();
export const sessionLimiter = new RateLimiter();

/**
 * The client's address as Cloudflare reports it. Used only as a bucket key in
 * this isolate's memory: it is never logged, stored or forwarded.
 */
export function clientIp(request) {
  return request.headers.get("cf-connecting-ip") || "unknown";
}
