// Cloudflare Workers (workerd) entry: the speed build (wasm-server/), since a
// Worker is billed per CPU-ms and nobody downloads its bytes. Wrangler imports
// a .wasm file as a compiled WebAssembly.Module, which `initSync` instantiates
// without fetching anything.
import wasmModule from "../wasm-server/edge_personalize_bg.wasm";
import * as glue from "../wasm-server/edge_personalize.js";
import { bindEngine } from "./core.js";

export { Personalizer, CompiledCondition, ConditionData, evalCondition, validateEvents, version, errorCodes, wasmBuild } from "./core.js";
export { createClient } from "./client.js";

bindEngine(glue);

/** Instantiates the engine from the bundled module (or `options.wasm`). Idempotent. */
export function initSync(options = {}) {
  bindEngine(glue);
  glue.initSync({ module: options.wasm ?? wasmModule });
}

/** The same as `initSync`, as a promise, so code can share one `await init()` everywhere. */
export async function init(options = {}) {
  initSync(options);
}
