// json-logic-js for the benchmark, loaded from tools/node_modules (the bench
// lives outside that folder). scripts' esbuild size measurement swaps this file
// for a plain `import` so the bundle contains the real library.
import { createRequire } from "node:module";

const require = createRequire(new URL("../tools/package.json", import.meta.url));
export default require("json-logic-js");
