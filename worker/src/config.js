// GET /v1/config: what the page needs to decide like the edge does: the
// rules, and the versions of the catalog, the rules and the model.
//
// The body is built once per asset version and kept in the edge cache (Cache
// API), keyed by those versions, so a publish (new KV values) shows up as
// soon as the per-isolate asset cache expires, and repeated requests cost a
// cache read. The ETag is a hash of the body; If-None-Match answers 304.

import { json, errorResponse } from "./http.js";
import { loadAssets } from "./assets.js";
import { Personalizer, version } from "./core.js";
import { coreError } from "./session.js";

const CACHE_HOST = "https://ep-config.cache";

async function sha256Hex(text) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when an If-None-Match header names `etag` (or `*`). */
export function etagMatches(header, etag) {
  if (!header) return false;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
}

/** Builds the config body, checking rules and model through the core; bad rules throw. */
async function build(assets) {
  const p = new Personalizer({});
  try {
    const rules = p.loadRules(assets.rulesText);
    // A bad model is reported, not fatal: pages and the edge decide without it.
    let model = null;
    let modelError = null;
    if (assets.model) {
      try {
        model = p.loadModel(assets.model);
      } catch (err) {
        modelError = coreError(err).code;
      }
    }
    const body = {
      coreVersion: version(),
      catalogVersion: assets.catalogVersion,
      rulesVersion: assets.rulesVersion,
      modelVersion: model ? model.version : null,
      ruleCount: rules.rules,
      rules: JSON.parse(assets.rulesText),
    };
    if (modelError) body.modelError = modelError;
    return body;
  } finally {
    p.free?.();
  }
}

export async function config(request, env, ctx, s) {
  const assets = await loadAssets(env);
  const key = new Request(
    `${CACHE_HOST}/v1/config?c=${assets.catalogVersion}&r=${assets.rulesVersion}&m=${assets.modelHash}`,
  );
  const cache = caches.default;
  let cached = await cache.match(key);
  let etag;
  let text;
  if (cached) {
    etag = cached.headers.get("etag");
    text = await cached.text();
  } else {
    let body;
    try {
      body = await build(assets);
    } catch (err) {
      const e = coreError(err);
      console.error("config assets rejected by the core:", e.code, e.path);
      return errorResponse(503, "CONFIG_INVALID", "the published configuration is not valid");
    }
    text = JSON.stringify(body);
    etag = `"${(await sha256Hex(text)).slice(0, 32)}"`;
    ctx.waitUntil(
      cache.put(
        key,
        new Response(text, {
          headers: { "content-type": "application/json", etag, "cache-control": `max-age=${s.configMaxAge}` },
        }),
      ),
    );
  }
  const headers = {
    etag,
    "cache-control": `public, max-age=${s.configMaxAge}`,
    "x-ep-cache": cached ? "hit" : "miss",
  };
  if (etagMatches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(text, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
