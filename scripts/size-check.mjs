// Fails when the shipped wasm + JS glue (gzip, web target) grows past the
// committed budget in bench/size-budget.json; warns above the target.
// Input: dist/size.json from scripts/build-wasm.sh.
import { readFileSync } from "node:fs";

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    console.error(`size-check: cannot read ${path}: ${e.message}`);
    process.exit(1);
  }
}

const size = readJson("dist/size.json");
const budget = readJson("bench/size-budget.json");
// The stable fallback build (no nightly rust-src) keeps the panic machinery
// and is held to its own, larger budget.
const max = size.toolchain === "stable" ? budget.stable_wasm_glue_gzip_bytes_max : budget.wasm_glue_gzip_bytes_max;
const actual = size.wasm_glue_gzip_bytes;
if (!Number.isInteger(max) || !Number.isInteger(actual)) {
  console.error("size-check: missing wasm_glue_gzip_bytes(_max) in dist/size.json or bench/size-budget.json");
  process.exit(1);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const line = `${size.toolchain || "?"} build: wasm ${kb(size.wasm_gzip_bytes)} + glue ${kb(size.glue_gzip_bytes)} = ${kb(actual)} gzip (${actual} bytes), budget ${kb(max)} (${max} bytes)`;
if (actual > max) {
  console.error(`size-check: FAIL: ${line}`);
  console.error("size-check: find what grew (e.g. a new dependency or formatting code) or, if the growth is deliberate, raise the budget in bench/size-budget.json in the same commit.");
  process.exit(1);
}
console.log(`size-check: ok: ${line}, ${((100 * actual) / max).toFixed(0)}% used`);
const target = budget.target_gzip_bytes;
if (Number.isInteger(target) && actual > target) {
  console.log(`size-check: WARNING: ${kb(actual - target)} above the issue's target of ${kb(target)}`);
}
const goal = budget.goal_gzip_bytes;
if (Number.isInteger(goal) && actual > goal) {
  console.log(`size-check: ${kb(actual - goal)} to go to the product goal of ${kb(goal)}`);
}
if (actual < max * 0.9) {
  console.log(`size-check: the build is >10% under budget; lower wasm_glue_gzip_bytes_max to keep the ratchet tight`);
}
