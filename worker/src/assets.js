// Catalog, rules and model: from KV when present, else the bundled defaults.
//
// KV (binding CONFIG_KV) is where production publishes new versions:
//   catalog.json, rules.json (text) and model.bin (the ep-model artifact).
// Without KV entries the Worker runs on the small bundled fixtures, so a
// fresh checkout, the tests and the demo work without a publish step.
// Reads are cached per isolate for ASSET_TTL_MS: every session object and the
// config route would otherwise read KV on every cold start.

import bundledCatalog from "../fixtures/catalog.json";
import bundledRules from "../fixtures/rules.json";

const ASSET_TTL_MS = 30_000;
let cached = null;

async function sha256Hex(data) {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const d = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function fromKv(kv) {
  if (!kv) return [null, null, null];
  return Promise.all([
    kv.get("catalog.json", "text"),
    kv.get("rules.json", "text"),
    kv.get("model.bin", "arrayBuffer"),
  ]);
}

/**
 * The current assets: `{ catalogText, rulesText, model (Uint8Array|null),
 * modelHash, catalogVersion, rulesVersion }`. Versions are content hashes.
 */
export async function loadAssets(env, nowMs = Date.now()) {
  if (cached && nowMs - cached.at < ASSET_TTL_MS && cached.kv === env.CONFIG_KV) return cached.value;
  const [kvCatalog, kvRules, kvModel] = await fromKv(env.CONFIG_KV);
  const catalogText = kvCatalog ?? JSON.stringify(bundledCatalog);
  const rulesText = kvRules ?? JSON.stringify(bundledRules);
  const model = kvModel ? new Uint8Array(kvModel) : null;
  const [catalogHash, rulesHash, modelHash] = await Promise.all([
    sha256Hex(catalogText),
    sha256Hex(rulesText),
    model ? sha256Hex(model) : "none",
  ]);
  const value = {
    catalogText,
    rulesText,
    model,
    modelHash: modelHash.slice(0, 16),
    catalogVersion: "sha256:" + catalogHash.slice(0, 16),
    rulesVersion: "sha256:" + rulesHash.slice(0, 16),
    source: kvCatalog !== null || kvRules !== null ? "kv" : "bundled",
  };
  cached = { at: nowMs, kv: env.CONFIG_KV, value };
  return value;
}

/** Forgets the per-isolate cache (tests publish new KV values). */
export function forgetAssets() {
  cached = null;
}
