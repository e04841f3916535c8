// Fails when the shipped wasm + JS glue (gzip, web target) grows past the
// committed budget in bench/size-budget.json. Input: dist/size.json from
// scripts/build-wasm.sh.
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
const max = budget.wasm_glue_gzip_bytes_max;
const actual = size.wasm_glue_gzip_bytes;
if (!Number.isInteger(max) || !Number.isInteger(actual)) {
  console.error("size-check: missing wasm_glue_gzip_bytes(_max) in dist/size.json or bench/size-budget.json");
  process.exit(1);
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const line = `wasm ${kb(size.wasm_gzip_bytes)} + glue ${kb(size.glue_gzip_bytes)} = ${kb(actual)} gzip (${actual} bytes), budget ${kb(max)} (${max} bytes)`;
if (actual > max) {
  console.error(`size-check: FAIL: ${line}`);
  process.exit(1);
}
console.log(`size-check: ok: ${line}, ${((100 * actual) / max).toFixed(0)}% used`);
