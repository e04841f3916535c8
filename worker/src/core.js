// The shared Rust core, compiled to wasm: the speed build (`make build` ->
// dist/server, opt-level 3; a Worker is billed per CPU-ms and nobody downloads
// it), copied to worker/build by scripts/prepare-core.mjs. The same source as
// the browser's size build (dist/web), so it accepts and decides the same.
//
// Every event check and every decision goes through here, so the Worker
// accepts and decides exactly what the browser does. The module is compiled
// by workerd at upload time (wrangler's CompiledWasm rule for *.wasm) and
// instantiated once per isolate.

import wasm from "../build/edge_personalize_bg.wasm";
import { initSync, Personalizer, validateEvents, version } from "../build/edge_personalize.js";

initSync({ module: wasm });

export { Personalizer, validateEvents, version };
