// CORS with an origin allowlist.
//
// Browsers send `Origin`; server-side sources usually do not. A request that
// names an origin outside ALLOWED_ORIGINS is refused (403) before anything
// else happens, so a page on another site cannot spend our rate budget or
// reach the write path even with a leaked write key. Requests without an
// Origin are not browser cross-origin requests and fall through to the write
// key check.

const ALLOW_METHODS = "GET, POST, OPTIONS";
const ALLOW_HEADERS = "Content-Type, X-EP-Write-Key, If-None-Match";
const EXPOSE_HEADERS = "ETag, Retry-After";
const MAX_AGE_SECONDS = "600";

/**
 * True when `origin` is in the allowlist (`*` allows every origin). The match
 * is exact: browsers send the origin as scheme://host[:port] in lower case,
 * with no path and no default port, so anything else is not a browser's
 * origin for an allowed site. The opaque origin `null` (sandboxed frames,
 * file: pages, some redirects) is never allowed, not even by `*`: any page
 * can put itself in a sandboxed frame to send it.
 */
export function originAllowed(origin, allowed) {
  if (!origin || origin === "null") return false;
  return allowed.includes("*") || allowed.includes(origin);
}

/**
 * Headers that let an allowed origin read the response. The origin is echoed
 * (never `*`) and no Access-Control-Allow-Credentials is ever sent: the API
 * reads no cookies, and the browser module sends with credentials "omit".
 */
export function corsHeaders(origin) {
  if (!origin) return {};
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": EXPOSE_HEADERS,
    vary: "Origin",
  };
}

/** The answer to an OPTIONS preflight. */
export function preflight(request, allowed) {
  const origin = request.headers.get("origin");
  if (!originAllowed(origin, allowed)) {
    return new Response(null, { status: 403, headers: { vary: "Origin" } });
  }
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin),
      "access-control-allow-methods": ALLOW_METHODS,
      "access-control-allow-headers": ALLOW_HEADERS,
      "access-control-max-age": MAX_AGE_SECONDS,
    },
  });
}

/**
 * Adds CORS headers for `origin` to a response (a copy when headers are
 * immutable). Every API answer varies by Origin, with or without one, so a
 * shared cache never hands one origin's answer (or a no-Origin answer) to another.
 */
export function withCors(response, origin) {
  const out = new Response(response.body, response);
  if (!origin) {
    out.headers.append("vary", "Origin");
    return out;
  }
  for (const [k, v] of Object.entries(corsHeaders(origin))) {
    if (k === "vary") out.headers.append("vary", v);
    else out.headers.set(k, v);
  }
  return out;
}
