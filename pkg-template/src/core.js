// The wasm engine's exports, shared by every entry point. The glue
// (wasm/edge_personalize.js) is wasm-bindgen's `--target web` output; it holds
// one module instance, so every entry initialises the same engine.
export {
  Personalizer,
  CompiledCondition,
  ConditionData,
  evalCondition,
  validateEvents,
  version,
  errorCodes,
  initSync as initWasmSync,
} from "../wasm/edge_personalize.js";
export { default as initWasm } from "../wasm/edge_personalize.js";
