#!/usr/bin/env bash
# `make package`: turns pkg-template/ and the two wasm builds into the npm
# package `edge-personalize` and packs it into dist/.
#
#   dist/package/                          the staged package (what the tarball holds)
#   dist/edge-personalize-VERSION.tgz      `npm pack` output
#   dist/package-report.json               tarball name, size, unpacked size, file list,
#                                          and which build each wasm folder holds
#
# The version is the crate's (Cargo.toml). Two builds of the engine ship, each
# with its own `--target web` glue: dist/web (the size build) as wasm/, for the
# `browser` and `default` conditions; dist/server (the speed build) as
# wasm-server/, for `node` and `workerd` (src/core.js says how an entry binds its
# build). dist/node (CommonJS glue) is not shipped. The sync client
# (pkg-template/src/sync/, when present, browser only) is exported as
# `edge-personalize/sync`.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

for f in dist/size.json dist/web/edge_personalize.js dist/web/edge_personalize_bg.wasm \
         dist/server/edge_personalize.js dist/server/edge_personalize_bg.wasm; do
    [ -f "$f" ] || { echo "package: $f missing; run make build" >&2; exit 1; }
done
# Each glue must go with the wasm it was generated for: a glue of one build
# with the wasm of another can instantiate and still call the wrong exports.
# dist/size.json holds the sha256 of every file of one build-wasm.sh run; the
# files must still be those, and each folder must load as the build it names.
node --input-type=module - <<'JS'
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
const sums = JSON.parse(readFileSync("dist/size.json", "utf8")).sha256 ?? {};
for (const f of ["web/edge_personalize.js", "web/edge_personalize_bg.wasm", "server/edge_personalize.js", "server/edge_personalize_bg.wasm"]) {
  const sum = createHash("sha256").update(readFileSync(`dist/${f}`)).digest("hex");
  if (sums[f] !== sum) {
    console.error(`package: dist/${f} is not the file dist/size.json recorded from the last build; rebuild (make build)`);
    process.exit(1);
  }
}
for (const [folder, want] of [["web", "size"], ["server", "speed"]]) {
  const glue = await import(new URL(`dist/${folder}/edge_personalize.js`, `file://${process.cwd()}/`).href);
  glue.initSync({ module: readFileSync(`dist/${folder}/edge_personalize_bg.wasm`) });
  if (glue.wasmBuild() !== want) {
    console.error(`package: dist/${folder} holds the ${glue.wasmBuild()} build, not the ${want} build`);
    process.exit(1);
  }
}
JS

version="$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
[ -n "$version" ] || { echo "package: no version in Cargo.toml" >&2; exit 1; }

STAGE="dist/package"
rm -rf "$STAGE"
mkdir -p "$STAGE/wasm" "$STAGE/wasm-server"
cp -R pkg-template/src pkg-template/types pkg-template/README.md pkg-template/package.json "$STAGE/"
cp dist/web/edge_personalize.js dist/web/edge_personalize_bg.wasm "$STAGE/wasm/"
cp dist/server/edge_personalize.js dist/server/edge_personalize_bg.wasm "$STAGE/wasm-server/"
# Notes for contributors next to the sources (e.g. src/sync/README.md) stay in the
# repository: npm would pack any README it finds.
find "$STAGE/src" "$STAGE/types" -type f ! -name '*.js' ! -name '*.d.ts' -delete
# The repository's license file, when there is one, ships too.
for lic in LICENSE LICENSE-APACHE LICENSE.md; do
    if [ -f "$lic" ]; then cp "$lic" "$STAGE/"; fi
done

node --input-type=module - "$STAGE/package.json" "$version" <<'JS'
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
const [file, version] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(file, "utf8"));
pkg.version = version;
const dir = dirname(file);
if (existsSync(join(dir, "src/sync/index.js"))) {
  pkg.exports["./sync"] = existsSync(join(dir, "types/sync.d.ts"))
    ? { types: "./types/sync.d.ts", default: "./src/sync/index.js" }
    : "./src/sync/index.js";
}
writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS

# Every module the exports map names must exist.
node --input-type=module - "$STAGE" <<'JS'
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
const dir = process.argv[2];
const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const targets = [];
const walk = (v) => (typeof v === "string" ? targets.push(v) : Object.values(v).forEach(walk));
walk(pkg.exports);
const missing = targets.filter((t) => !existsSync(join(dir, t)));
if (missing.length) { console.error("package: exports name missing files:", missing.join(", ")); process.exit(1); }
JS

rm -f dist/edge-personalize-*.tgz
json="$(cd "$STAGE" && npm pack --json --pack-destination "$REPO/dist" 2>/dev/null)"
node --input-type=module - "$json" dist/package-report.json <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const [json, out] = process.argv.slice(2);
const [r] = JSON.parse(json);
const report = {
  name: r.name,
  version: r.version,
  tarball: `dist/${r.filename}`,
  size: r.size,
  unpackedSize: r.unpackedSize,
  files: r.files.map((f) => ({ path: f.path, size: f.size })),
  // Which build each of the packed wasm folders holds, as its glue loads it.
  builds: {},
};
for (const folder of ["wasm", "wasm-server"]) {
  const glue = await import(new URL(`dist/package/${folder}/edge_personalize.js`, `file://${process.cwd()}/`).href);
  glue.initSync({ module: readFileSync(`dist/package/${folder}/edge_personalize_bg.wasm`) });
  report.builds[`${folder}/`] = glue.wasmBuild();
}
writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
console.log(`==> ${report.tarball}: ${(report.size / 1024).toFixed(1)} KB packed, ${(report.unpackedSize / 1024).toFixed(1)} KB unpacked, ${report.files.length} files`);
for (const f of report.files) console.log(`    ${String(f.size).padStart(8)}  ${f.path}`);
console.log(`    builds: ${Object.entries(report.builds).map(([k, v]) => `${k} ${v}`).join(", ")}`);
JS
