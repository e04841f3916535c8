#!/usr/bin/env bash
# Builds the shipped wasm: cargo (profile `wasm`, opt-level z) -> wasm-bindgen
# (web + nodejs glue) -> wasm-opt (settings below) from binaryen@132 (never
# Debian's binaryen, see docs/TOOLCHAIN.md) -> esbuild --minify on the web
# glue -> a load check -> dist/size.json.
#
# Output:
#   dist/web/edge_personalize.js + edge_personalize_bg.wasm    browser and Worker (`--target web`)
#   dist/node/edge_personalize.js + edge_personalize_bg.wasm   Node (`--target nodejs`, CommonJS)
#   dist/size.json                                             raw and gzip bytes (web target)
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

# The shipped build: the machine's nightly rebuilds std for wasm with
# panic=immediate-abort and without Debug formatting or panic locations. The
# core never panics on input, so the panic machinery is dead weight: this cuts
# about 10% of the gzip bytes every shopper downloads. Without nightly's
# rust-src (scripts/ensure-tools.sh nightly-src installs it) the stable build
# is used, loudly, and size-check holds it to its own budget.
# EP_WASM_TOOLCHAIN=stable forces the stable build.
# std's `optimize_for_size` feature picks core's small variants (integer
# formatting without its digit table, the small sorts, str::count, char
# escapes): -1.1 KB gzip, decide and track unchanged in A/B.
# `--cfg ep_hot_speed` compiles the JsonLogic evaluator's hot functions for
# speed (`#[optimize(speed)]`, nightly) in this otherwise size-optimised build.
nightly_src="$(rustc +nightly --print sysroot 2>/dev/null)/lib/rustlib/src/rust/library"
if [ "${EP_WASM_TOOLCHAIN:-}" != stable ] && [ -d "$nightly_src/std" ]; then
    TOOLCHAIN=nightly-build-std
    echo "==> cargo +nightly build --lib --profile wasm --target wasm32-unknown-unknown -Z build-std (panic=immediate-abort, optimize_for_size)"
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none --cfg ep_hot_speed" \
        cargo +nightly build --lib -p edge-personalize --profile wasm --target wasm32-unknown-unknown \
        -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size --target-dir "$TARGET_DIR/nightly-wasm"
    WASM_IN="$TARGET_DIR/nightly-wasm/wasm32-unknown-unknown/wasm/$NAME.wasm"
else
    TOOLCHAIN=stable
    [ "${EP_WASM_TOOLCHAIN:-}" = stable ] || echo "build-wasm: WARNING: no nightly rust-src; building with stable (about 10% larger)" >&2
    echo "==> cargo build --lib --profile wasm --target wasm32-unknown-unknown"
    cargo build --lib -p edge-personalize --profile wasm --target wasm32-unknown-unknown
    WASM_IN="$TARGET_DIR/wasm32-unknown-unknown/wasm/$NAME.wasm"
fi

# Build into a scratch folder and swap it in at the end, so a failed step never
# leaves a half-optimised dist/ that a test or the demo would pick up.
mkdir -p dist
STAGE="$(mktemp -d "$REPO/dist/.stage.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT

echo "==> wasm-bindgen (web, nodejs)"
wasm-bindgen "$WASM_IN" --target web --out-dir "$STAGE/web" --out-name "$NAME"
wasm-bindgen "$WASM_IN" --target nodejs --out-dir "$STAGE/node" --out-name "$NAME"
cp "$STAGE/web/${NAME}_bg.wasm" "$STAGE/pre-opt.wasm"

echo "==> wasm-opt -Os --flatten --rereloop -Os --converge -ocimfs 20 ($("$WASM_OPT" --version))"
for t in web node; do
    f="$STAGE/$t/${NAME}_bg.wasm"
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
    "$WASM_OPT" -Os --flatten --rereloop -Os --converge -ocimfs 20 --strip-debug --strip-producers --strip-target-features "$f" -o "$f.opt"
    mv "$f.opt" "$f"
done

# The web glue is what a page without a bundler downloads (and what the
# package ships): minified, it is about 40% of the gzip bytes. Export names,
# the import object's keys and `new URL("..._bg.wasm", import.meta.url)`
# (which bundlers look for) survive minification.
echo "==> esbuild --minify (web glue)"
"$ESBUILD" "$STAGE/web/$NAME.js" --minify --format=esm --log-level=warning --outfile="$STAGE/web/$NAME.min.js"
mv "$STAGE/web/$NAME.min.js" "$STAGE/web/$NAME.js"

echo "==> load check (node: nodejs glue and web glue via initSync)"
node -e '
const dir = process.argv[1];
const m = require(dir + "/node/edge_personalize.js");
const v = typeof m.version === "function" ? m.version() : "(no version export yet)";
console.log("  nodejs glue loads; version:", v);
' "$STAGE"
node --input-type=module -e '
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const dir = process.argv[1];
const m = await import(pathToFileURL(dir + "/web/edge_personalize.js").href);
m.initSync({ module: readFileSync(dir + "/web/edge_personalize_bg.wasm") });
const v = typeof m.version === "function" ? m.version() : "(no version export yet)";
console.log("  web glue loads (initSync); version:", v);
' "$STAGE"

echo "==> sizes"
node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
const [dir, out, toolchain] = process.argv.slice(1);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const wasm = readFileSync(dir + "/web/edge_personalize_bg.wasm");
const glue = readFileSync(dir + "/web/edge_personalize.js");
const pre = readFileSync(dir + "/pre-opt.wasm");
const size = {
  toolchain,
  wasm_raw_bytes: wasm.length,
  wasm_gzip_bytes: gz(wasm),
  glue_raw_bytes: glue.length,
  glue_gzip_bytes: gz(glue),
  wasm_glue_raw_bytes: wasm.length + glue.length,
  wasm_glue_gzip_bytes: gz(wasm) + gz(glue),
  wasm_before_opt_raw_bytes: pre.length,
  wasm_before_opt_gzip_bytes: gz(pre),
};
writeFileSync(out, JSON.stringify(size, null, 2) + "\n");
const kb = (n) => (n / 1024).toFixed(1) + " KB";
console.log(`  wasm (before wasm-opt): ${kb(size.wasm_before_opt_raw_bytes)} raw, ${kb(size.wasm_before_opt_gzip_bytes)} gzip`);
console.log(`  wasm:                   ${kb(size.wasm_raw_bytes)} raw, ${kb(size.wasm_gzip_bytes)} gzip`);
console.log(`  JS glue (web):          ${kb(size.glue_raw_bytes)} raw, ${kb(size.glue_gzip_bytes)} gzip`);
console.log(`  wasm + glue:            ${kb(size.wasm_glue_raw_bytes)} raw, ${kb(size.wasm_glue_gzip_bytes)} gzip (${size.wasm_glue_gzip_bytes} bytes)`);
' "$STAGE" "$STAGE/size.json" "$TOOLCHAIN"

rm -f "$STAGE/pre-opt.wasm"
rm -rf dist/web dist/node
mv "$STAGE/web" dist/web
mv "$STAGE/node" dist/node
mv "$STAGE/size.json" dist/size.json
echo "==> dist/web, dist/node, dist/size.json updated"
