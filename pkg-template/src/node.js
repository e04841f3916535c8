// Node entry: reads the .wasm next to this package (or `options.wasm`) and
// instantiates it synchronously through the same glue the browser uses.
import { readFileSync } from "node:fs";
import { initWasmSync } from "./core.js";

export * from "./core.js";
export { createClient } from "./client.js";
export { createSnapshotStore } from "./storage.js";

/** Instantiates the engine: `options.wasm` bytes or a WebAssembly.Module, or the bundled file. Idempotent. */
export function initSync(options = {}) {
  initWasmSync({ module: options.wasm ?? readFileSync(new URL("../wasm/edge_personalize_bg.wasm", import.meta.url)) });
}

/** The same as `initSync`, as a promise, so code can share one `await init()` everywhere. */
export async function init(options = {}) {
  initSync(options);
}
