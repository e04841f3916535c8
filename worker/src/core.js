// The shared Rust core, compiled to wasm (`make build` -> dist/web, copied
// to worker/build by scripts/prepare-core.mjs).
//
// Every event check and every decision goes through here, so the Worker
// accepts and decides exactly what the browser does. The module is compiled
// by workerd at upload time (wrangler's CompiledWasm rule for *.wasm) and
// instantiated once per isolate.

import wasm from "../build/edge_personalize_bg.wasm";
import { initSync, Personalizer, validateEvents, version } from "../build/edge_personalize.js";

initSync({ module: wasm });

export { Personalizer, validateEvents, version };
