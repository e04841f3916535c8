// Routing: which handler answers, and the checks every API route shares
// (CORS allowlist, method, per-IP rate limit, write key), in that order.

import { errorResponse, toResponse } from "./http.js";
import { originAllowed, preflight, withCors } from "./cors.js";
import { writeKeyOk } from "./auth.js";
import { clientIp, ipLimiter } from "./ratelimit.js";
import { settings } from "./settings.js";
import { collect } from "./collect.js";
import { decide } from "./decide.js";
import { config } from "./config.js";
import { render } from "./render.js";

/** API routes: path -> { method, handler, needsKey }. */
const API = {
  "/v1/collect": { method: "POST", handler: collect, needsKey: true },
  "/v1/decide": { method: "POST", handler: decide, needsKey: true },
  "/v1/config": { method: "GET", handler: config, needsKey: false },
};

async function api(route, request, env, ctx, s) {
  const origin = request.headers.get("origin");
  if (request.method === "OPTIONS") return preflight(request, s.allowedOrigins);
  if (origin && !originAllowed(origin, s.allowedOrigins)) {
    return errorResponse(403, "ORIGIN_NOT_ALLOWED", "this origin may not call the API", { vary: "Origin" });
  }
  const respond = (res) => withCors(res, origin);
  if (request.method !== route.method && !(route.method === "GET" && request.method === "HEAD")) {
    return respond(errorResponse(405, "METHOD_NOT_ALLOWED", `use ${route.method}`, { allow: `${route.method}, OPTIONS` }));
  }
  // The IP budget is charged before the key check, so guessing keys costs budget too.
  const wait = ipLimiter.take(
    [{ key: clientIp(request), cost: 1 }],
    { burst: s.rate.ipBurst, perSecond: s.rate.ipPerSecond, maxKeys: s.rate.maxKeys },
    Date.now(),
  );
  if (wait > 0) {
    return respond(errorResponse(429, "RATE_LIMITED", "too many requests", { "retry-after": String(wait) }));
  }
  if (route.needsKey && !(await writeKeyOk(request, s.writeKey))) {
    return respond(errorResponse(401, "UNAUTHORIZED", "missing or wrong X-EP-Write-Key"));
  }
  try {
    return respond(await route.handler(request, env, ctx, s));
  } catch (err) {
    return respond(toResponse(err));
  }
}

/** The Worker's fetch handler. */
export async function route(request, env, ctx) {
  try {
    const s = settings(env);
    const url = new URL(request.url);
    const apiRoute = API[url.pathname];
    if (apiRoute) return await api(apiRoute, request, env, ctx, s);
    if (url.pathname.startsWith("/v1/")) return errorResponse(404, "NOT_FOUND", "no such API route");
    if (request.method !== "GET" && request.method !== "HEAD") {
      return errorResponse(405, "METHOD_NOT_ALLOWED", "use GET", { allow: "GET" });
    }
    return await render(request, env, ctx, s);
  } catch (err) {
    return toResponse(err);
  }
}
