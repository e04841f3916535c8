// Browser entry: the size build (wasm/). `init()` compiles the wasm with
// WebAssembly.instantiateStreaming from next to this package (bundlers such as
// Vite see the `new URL(..., import.meta.url)` and emit the file), or from what
// the caller supplies.
import * as glue from "../wasm/edge_personalize.js";
import { bindEngine } from "./core.js";

export { Personalizer, CompiledCondition, ConditionData, evalCondition, validateEvents, version, errorCodes, wasmBuild } from "./core.js";
export { createClient } from "./client.js";
export { autotrack } from "./autotrack.js";
export { createSnapshotStore } from "./storage.js";
export { readEdgeSnapshot } from "./edge.js";

bindEngine(glue);

let ready;

/**
 * Loads the engine once; later calls return the same promise.
 * `options.wasm`: a URL or string to fetch, a Response (or its promise),
 * bytes, or a compiled WebAssembly.Module. Default: the .wasm next to this module.
 */
export function init(options = {}) {
  if (!ready) {
    bindEngine(glue);
    const source = options.wasm ?? new URL("../wasm/edge_personalize_bg.wasm", import.meta.url);
    ready = glue.default({ module_or_path: source }).then(() => undefined);
    ready.catch(() => { ready = undefined; });
  }
  return ready;
}
