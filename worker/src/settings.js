// Settings: the Worker's knobs, read once per request from `env`.
//
// Plain vars live in wrangler.toml ([vars]); secrets (WRITE_KEY, USER_ID_SALT,
// SINK_TOKEN) come only from `wrangler secret put` in production and from
// worker/.dev.vars (see .dev.vars.example) locally. Every limit has a default
// here so a missing var never disables a limit.

/** Defaults for every numeric limit; vars override them. */
export const DEFAULTS = Object.freeze({
  MAX_BODY_BYTES: 256 * 1024,
  MAX_EVENTS_PER_BATCH: 500,
  // Per-IP: requests. Per-session: events. Token buckets, see ratelimit.js.
  RATE_IP_BURST: 120,
  RATE_IP_PER_SECOND: 20,
  RATE_SESSION_BURST: 600,
  RATE_SESSION_PER_SECOND: 50,
  RATE_MAX_KEYS: 10000,
  SINK_RETRY_BASE_SECONDS: 2,
  SINK_RETRY_MAX_SECONDS: 300,
  SINK_TIMEOUT_MS: 10000,
  DECIDE_MAX_K: 20,
  CONFIG_MAX_AGE_SECONDS: 60,
});

/**
 * A numeric var, or its default when missing or out of range. `min` is 1 for
 * sizes and bursts: a burst of 0 would make every request's cost 0 (see
 * ratelimit.js) and a size of 0 would refuse everything, so neither is a
 * value anyone means; a mistyped var falls back to the default, never to "off".
 */
function num(env, name, min = 0) {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === "") return DEFAULTS[name];
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? n : DEFAULTS[name];
}

function str(env, name, fallback = "") {
  const raw = env[name];
  return typeof raw === "string" ? raw.trim() : fallback;
}

/** The settings this request runs with. Cheap: a handful of property reads. */
export function settings(env) {
  const origins = str(env, "ALLOWED_ORIGINS")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    allowedOrigins: origins,
    writeKey: str(env, "WRITE_KEY"),
    userIdSalt: str(env, "USER_ID_SALT"),
    maxBodyBytes: num(env, "MAX_BODY_BYTES", 1),
    maxEvents: num(env, "MAX_EVENTS_PER_BATCH", 1),
    rate: {
      ipBurst: num(env, "RATE_IP_BURST", 1),
      ipPerSecond: num(env, "RATE_IP_PER_SECOND"),
      sessionBurst: num(env, "RATE_SESSION_BURST", 1),
      sessionPerSecond: num(env, "RATE_SESSION_PER_SECOND"),
      maxKeys: num(env, "RATE_MAX_KEYS", 1),
    },
    trackInSession: str(env, "TRACK_IN_SESSION", "true") !== "false",
    sink: {
      url: str(env, "SINK_URL").replace(/\/+$/, ""),
      api: str(env, "SINK_API", "v2") === "v3" ? "v3" : "v2",
      topic: str(env, "SINK_TOPIC", "ep-events"),
      clusterId: str(env, "SINK_CLUSTER_ID"),
      token: str(env, "SINK_TOKEN"),
      auth: str(env, "SINK_AUTH", "bearer") === "basic" ? "basic" : "bearer",
      retryBaseSeconds: num(env, "SINK_RETRY_BASE_SECONDS"),
      retryMaxSeconds: num(env, "SINK_RETRY_MAX_SECONDS"),
      timeoutMs: num(env, "SINK_TIMEOUT_MS"),
    },
    decideMaxK: num(env, "DECIDE_MAX_K"),
    configMaxAge: num(env, "CONFIG_MAX_AGE_SECONDS"),
    storefrontOrigin: str(env, "STOREFRONT_ORIGIN").replace(/\/+$/, ""),
  };
}
