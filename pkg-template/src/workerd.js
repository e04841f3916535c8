// Cloudflare Workers (workerd) entry. Wrangler imports a .wasm file as a compiled
// WebAssembly.Module, which `initSync` instantiates without fetching anything.
import wasmModule from "../wasm/edge_personalize_bg.wasm";
import { initWasmSync } from "./core.js";

export * from "./core.js";
export { createClient } from "./client.js";

/** Instantiates the engine from the bundled module (or `options.wasm`). Idempotent. */
export function initSync(options = {}) {
  initWasmSync({ module: options.wasm ?? wasmModule });
}

/** The same as `initSync`, as a promise, so code can share one `await init()` everywhere. */
export async function init(options = {}) {
  initSync(options);
}
