// The wasm engine's exports, shared by every entry point.
//
// Two builds of the same engine ship, each wasm with its own wasm-bindgen glue
// (`--target web`): the size build (wasm/, what browsers download) and the speed
// build (wasm-server/: Node and Cloudflare Workers, where bytes are not
// downloaded and CPU time is billed). The entry point (browser.js, node.js,
// workerd.js) imports its build's glue and binds it here, so the modules that
// use the engine (client.js) name no particular build and a bundler sees only
// the glue of the entry it picked. These are live bindings: importers see the
// bound build's functions and classes.
export let Personalizer;
export let CompiledCondition;
export let ConditionData;
export let evalCondition;
export let validateEvents;
export let version;
export let errorCodes;
export let wasmBuild;

/**
 * Makes `glue` (one build's wasm-bindgen module) the engine behind the exports
 * above. Entry points call it when they load and again in init (a bundler that
 * trusts `sideEffects: false` may leave out an entry's top level when only
 * re-exports are imported).
 */
export function bindEngine(glue) {
  ({ Personalizer, CompiledCondition, ConditionData, evalCondition, validateEvents, version, errorCodes, wasmBuild } = glue);
}
