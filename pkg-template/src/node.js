// Node entry: the speed build (wasm-server/). Reads its .wasm from this package
// (or takes `options.wasm`) and instantiates it synchronously.
import { readFileSync } from "node:fs";
import * as glue from "../wasm-server/edge_personalize.js";
import { bindEngine } from "./core.js";

export { Personalizer, CompiledCondition, ConditionData, evalCondition, validateEvents, version, errorCodes, wasmBuild } from "./core.js";
export { createClient } from "./client.js";
export { createSnapshotStore } from "./storage.js";

bindEngine(glue);

/** Instantiates the engine: `options.wasm` bytes or a WebAssembly.Module, or the bundled file. Idempotent. */
export function initSync(options = {}) {
  bindEngine(glue);
  glue.initSync({ module: options.wasm ?? readFileSync(new URL("../wasm-server/edge_personalize_bg.wasm", import.meta.url)) });
}

/** The same as `initSync`, as a promise, so code can share one `await init()` everywhere. */
export async function init(options = {}) {
  initSync(options);
}
