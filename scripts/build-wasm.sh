#!/usr/bin/env bash
# Builds the shipped wasm, twice from the same source:
#   the size build  (cargo profile `wasm`, opt-level z)  for browsers: every shopper downloads it;
#   the speed build (cargo profile `wasm-speed`, opt-level 3) for servers (Node, the Worker),
#     where nobody downloads the bytes and a Worker is billed per CPU-ms.
# Each: cargo -> wasm-bindgen -> wasm-opt (settings below) from binaryen@132
# (never Debian's binaryen, see docs/TOOLCHAIN.md); then esbuild --minify on the
# browser glue, a load check of every glue with its own wasm, dist/size.json.
#
# Output (each folder holds one build's glue with that build's wasm; never mix them):
#   dist/web/edge_personalize.js + edge_personalize_bg.wasm     size build, `--target web`: browsers
#   dist/node/edge_personalize.js + edge_personalize_bg.wasm    speed build, `--target nodejs` (CommonJS): Node
#   dist/server/edge_personalize.js + edge_personalize_bg.wasm  speed build, `--target web` (ES module,
#                                                                initSync): the Worker, the package's node/workerd entries
#   dist/size.json    raw and gzip bytes of the size build (budgeted) and of the speed build
#                     (speed_*: information), and each shipped file's sha256
# Tools come from scripts/ensure-tools.sh (make build runs it first).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
NAME=edge_personalize
WASM_OPT="$REPO/tools/node_modules/.bin/wasm-opt"

ESBUILD="$REPO/tools/node_modules/.bin/esbuild"
[ -x "$ESBUILD" ] || { echo "build-wasm: $ESBUILD missing; run scripts/ensure-tools.sh npm tools" >&2; exit 1; }
[ -x "$WASM_OPT" ] || { echo "build-wasm: $WASM_OPT missing; run scripts/ensure-tools.sh npm tools" >&2; exit 1; }

# The shipped builds: the machine's nightly rebuilds std for wasm with
# panic=immediate-abort and without Debug formatting or panic locations. The
# core never panics on input, so the panic machinery is dead weight: this cuts
# about 10% of the gzip bytes every shopper downloads. Without nightly's
# rust-src (scripts/ensure-tools.sh nightly-src installs it) the stable builds
# are used, loudly, and size-check holds the size build to its own budget.
# EP_WASM_TOOLCHAIN=stable forces the stable builds.
# Size build only:
#   std's `optimize_for_size` feature picks core's small variants (integer
#   formatting without its digit table, the small sorts, str::count, char
#   escapes): -1.1 KB gzip, decide and track unchanged in A/B.
#   `--cfg ep_hot_speed` compiles the JsonLogic evaluator's hot functions for
#   speed (`#[optimize(speed)]`, nightly) in this otherwise size-optimised build.
# EP_WASM_BUILD names the build inside the wasm (the `wasmBuild()` export).
# The two profiles build into their own folders under the target dir, so
# building one never invalidates the other.
NIGHTLY_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
nightly_src="$(rustc +nightly --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library"
if [ "${EP_WASM_TOOLCHAIN:-}" != stable ] && [ -d "$nightly_src/std" ]; then
    TOOLCHAIN=nightly-build-std
    echo "==> size build: cargo +nightly build --lib --profile wasm --target wasm32-unknown-unknown -Z build-std (panic=immediate-abort, optimize_for_size)"
    EP_WASM_BUILD=size RUSTFLAGS="$NIGHTLY_RUSTFLAGS --cfg ep_hot_speed" \
        cargo +nightly build --lib -p edge-personalize --profile wasm --target wasm32-unknown-unknown \
        -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size --target-dir "$TARGET_DIR/nightly-wasm"
    echo "==> speed build: cargo +nightly build --lib --profile wasm-speed --target wasm32-unknown-unknown -Z build-std (panic=immediate-abort)"
    EP_WASM_BUILD=speed RUSTFLAGS="$NIGHTLY_RUSTFLAGS" \
        cargo +nightly build --lib -p edge-personalize --profile wasm-speed --target wasm32-unknown-unknown \
        -Z build-std=std,panic_abort --target-dir "$TARGET_DIR/nightly-wasm"
    SIZE_WASM="$TARGET_DIR/nightly-wasm/wasm32-unknown-unknown/wasm/$NAME.wasm"
    SPEED_WASM="$TARGET_DIR/nightly-wasm/wasm32-unknown-unknown/wasm-speed/$NAME.wasm"
else
    TOOLCHAIN=stable
    [ "${EP_WASM_TOOLCHAIN:-}" = stable ] || echo "build-wasm: WARNING: no nightly rust-src; building with stable (about 10% larger)" >&2
    echo "==> size build: cargo build --lib --profile wasm --target wasm32-unknown-unknown"
    EP_WASM_BUILD=size cargo build --lib -p edge-personalize --profile wasm --target wasm32-unknown-unknown
    echo "==> speed build: cargo build --lib --profile wasm-speed --target wasm32-unknown-unknown"
    EP_WASM_BUILD=speed cargo build --lib -p edge-personalize --profile wasm-speed --target wasm32-unknown-unknown
    SIZE_WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm/$NAME.wasm"
    SPEED_WASM="$TARGET_DIR/wasm32-unknown-unknown/wasm-speed/$NAME.wasm"
fi

# Build into a scratch folder and swap it in at the end, so a failed step never
# leaves a half-optimised dist/ that a test or the demo would pick up.
mkdir -p dist
STAGE="$(mktemp -d "$REPO/dist/.stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

echo "==> wasm-bindgen (size build: web; speed build: nodejs, web)"
wasm-bindgen "$SIZE_WASM" --target web --out-dir "$STAGE/web" --out-name "$NAME"
wasm-bindgen "$SPEED_WASM" --target nodejs --out-dir "$STAGE/node" --out-name "$NAME"
wasm-bindgen "$SPEED_WASM" --target web --out-dir "$STAGE/server" --out-name "$NAME"
cp "$STAGE/web/${NAME}_bg.wasm" "$STAGE/pre-opt.wasm"
cp "$STAGE/server/${NAME}_bg.wasm" "$STAGE/speed-pre-opt.wasm"

# The size build.
# The features Rust enabled are read from the module's target_features
# section; it is stripped afterwards because browsers do not need it.
# --converge repeats the passes until they stop shrinking (~0.3% of the gzip bytes).
# -ocimfs 20: a function with one caller is inlined into it only up to
# 20 bytes (binaryen's default: any size). Inlining the big parsers and
# core calls into the export shims made the wasm 2% smaller raw but 5%
# larger in gzip (112,170 vs 117,982 B), presumably because gzip finds
# fewer repeats in merged functions with hundreds of locals. Costs decide
# and track ~2-5% of speed (bench/README.md, "Fourth round: size").
# -Os --flatten --rereloop -Os rather than -Oz: the relooper rebuilds the
# control flow from flat code, which gzip liked better (-582 B against
# -Oz -ocimfs 20); decide, track and rule evaluation unchanged in A/B.
SIZE_OPT=(-Os --flatten --rereloop -Os --converge -ocimfs 20)
# The speed build: binaryen's speed passes at -O3 (bench/README.md, "Fifth
# round": against -O2 and against no wasm-opt at all).
SPEED_OPT=(${EP_SPEED_WASM_OPT:--O3})
STRIP=(--strip-debug --strip-producers --strip-target-features)
echo "==> wasm-opt ($("$WASM_OPT" --version)): size build ${SIZE_OPT[*]}; speed build ${SPEED_OPT[*]}"
"$WASM_OPT" "${SIZE_OPT[@]}" "${STRIP[@]}" "$STAGE/web/${NAME}_bg.wasm" -o "$STAGE/web/${NAME}_bg.wasm.opt"
mv "$STAGE/web/${NAME}_bg.wasm.opt" "$STAGE/web/${NAME}_bg.wasm"
"$WASM_OPT" "${SPEED_OPT[@]}" "${STRIP[@]}" "$STAGE/server/${NAME}_bg.wasm" -o "$STAGE/server/${NAME}_bg.wasm.opt"
mv "$STAGE/server/${NAME}_bg.wasm.opt" "$STAGE/server/${NAME}_bg.wasm"
# wasm-bindgen writes the same .wasm for both targets (only the glue differs),
# so the speed build is optimised once; should that ever change, node's own
# copy is optimised instead.
if cmp -s "$STAGE/node/${NAME}_bg.wasm" "$STAGE/speed-pre-opt.wasm"; then
    cp "$STAGE/server/${NAME}_bg.wasm" "$STAGE/node/${NAME}_bg.wasm"
else
    "$WASM_OPT" "${SPEED_OPT[@]}" "${STRIP[@]}" "$STAGE/node/${NAME}_bg.wasm" -o "$STAGE/node/${NAME}_bg.wasm.opt"
    mv "$STAGE/node/${NAME}_bg.wasm.opt" "$STAGE/node/${NAME}_bg.wasm"
fi

# The web glue is what a page without a bundler downloads (and what the
# package ships): minified, it is about 40% of the gzip bytes. Export names,
# the import object's keys and `new URL("..._bg.wasm", import.meta.url)`
# (which bundlers look for) survive minification.
# The speed build's web glue (the Worker's, the package's node/workerd
# entries') is minified the same way: fewer bytes in the package and the upload.
echo "==> esbuild --minify (web glue of both builds)"
for t in web server; do
    "$ESBUILD" "$STAGE/$t/$NAME.js" --minify --format=esm --log-level=warning --outfile="$STAGE/$t/$NAME.min.js"
    mv "$STAGE/$t/$NAME.min.js" "$STAGE/$t/$NAME.js"
done

echo "==> load check (each glue with its own wasm, and the build it says it is)"
node -e '
const dir = process.argv[1];
const m = require(dir + "/node/edge_personalize.js");
if (m.wasmBuild() !== "speed") { console.error("build-wasm: dist/node is the " + m.wasmBuild() + " build, not speed"); process.exit(1); }
console.log("  node   (nodejs glue):          " + m.version() + ", " + m.wasmBuild() + " build");
' "$STAGE"
for t in web:size server:speed; do
    node --input-type=module -e '
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [dir, folder, want] = process.argv.slice(1);
const m = await import(pathToFileURL(`${dir}/${folder}/edge_personalize.js`).href);
m.initSync({ module: readFileSync(`${dir}/${folder}/edge_personalize_bg.wasm`) });
if (m.wasmBuild() !== want) { console.error(`build-wasm: dist/${folder} is the ${m.wasmBuild()} build, not ${want}`); process.exit(1); }
console.log(`  ${folder.padEnd(6)} (web glue, initSync): ${m.version()}, ${m.wasmBuild()} build`);
' "$STAGE" "${t%%:*}" "${t##*:}"
done

echo "==> sizes"
node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
const [dir, out, toolchain] = process.argv.slice(1);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const read = (f) => readFileSync(`${dir}/${f}`);
// Raw and gzip bytes of one build: its wasm, with its web glue, and before wasm-opt.
const measure = (prefix, folder, preOpt) => {
  const wasm = read(`${folder}/edge_personalize_bg.wasm`);
  const glue = read(`${folder}/edge_personalize.js`);
  const pre = read(preOpt);
  return {
    [`${prefix}wasm_raw_bytes`]: wasm.length,
    [`${prefix}wasm_gzip_bytes`]: gz(wasm),
    [`${prefix}wasm_glue_raw_bytes`]: wasm.length + glue.length,
    [`${prefix}wasm_glue_gzip_bytes`]: gz(wasm) + gz(glue),
    [`${prefix}wasm_before_opt_raw_bytes`]: pre.length,
    [`${prefix}wasm_before_opt_gzip_bytes`]: gz(pre),
  };
};
const glue = read("web/edge_personalize.js");
const shipped = ["web", "node", "server"].flatMap((t) => [`${t}/edge_personalize.js`, `${t}/edge_personalize_bg.wasm`]);
const size = {
  toolchain,
  // The size build (dist/web): what a shopper downloads; make size-check budgets this.
  ...measure("", "web", "pre-opt.wasm"),
  glue_raw_bytes: glue.length,
  glue_gzip_bytes: gz(glue),
  // The speed build (dist/server, the same wasm in dist/node): for servers, not budgeted.
  ...measure("speed_", "server", "speed-pre-opt.wasm"),
  // Which files came out of this build together (scripts/package.sh checks them).
  sha256: Object.fromEntries(shipped.map((f) => [f, createHash("sha256").update(read(f)).digest("hex")])),
};
writeFileSync(out, JSON.stringify(size, null, 2) + "\n");
const kb = (n) => (n / 1024).toFixed(1) + " KB";
console.log(`  size build  wasm (before wasm-opt): ${kb(size.wasm_before_opt_raw_bytes)} raw, ${kb(size.wasm_before_opt_gzip_bytes)} gzip`);
console.log(`  size build  wasm:                   ${kb(size.wasm_raw_bytes)} raw, ${kb(size.wasm_gzip_bytes)} gzip`);
console.log(`  size build  JS glue (web):          ${kb(size.glue_raw_bytes)} raw, ${kb(size.glue_gzip_bytes)} gzip`);
console.log(`  size build  wasm + glue:            ${kb(size.wasm_glue_raw_bytes)} raw, ${kb(size.wasm_glue_gzip_bytes)} gzip (${size.wasm_glue_gzip_bytes} bytes)`);
console.log(`  speed build wasm (before wasm-opt): ${kb(size.speed_wasm_before_opt_raw_bytes)} raw, ${kb(size.speed_wasm_before_opt_gzip_bytes)} gzip`);
console.log(`  speed build wasm:                   ${kb(size.speed_wasm_raw_bytes)} raw, ${kb(size.speed_wasm_gzip_bytes)} gzip`);
console.log(`  speed build wasm + glue (server):   ${kb(size.speed_wasm_glue_raw_bytes)} raw, ${kb(size.speed_wasm_glue_gzip_bytes)} gzip (${size.speed_wasm_glue_gzip_bytes} bytes)`);
' "$STAGE" "$STAGE/size.json" "$TOOLCHAIN"

rm -f "$STAGE/pre-opt.wasm" "$STAGE/speed-pre-opt.wasm"
rm -rf dist/web dist/node dist/server
mv "$STAGE/web" dist/web
mv "$STAGE/node" dist/node
mv "$STAGE/server" dist/server
mv "$STAGE/size.json" dist/size.json
echo "==> dist/web, dist/node, dist/server, dist/size.json updated"
