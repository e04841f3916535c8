#!/usr/bin/env bash
# `make bench`: the native, Node and headless Chromium benchmarks on one shared workload.
# Not part of `make test`; no timing is asserted anywhere. Output:
#   dist/bench/workload.json   the workload (10k items, 200 events, 25 rules)
#   dist/bench/native.json     native Rust medians (examples/bench_native.rs)
#   dist/bench.json            everything, with ratios (bench/browser.mjs adds the
#                              headless Chromium medians); markdown tables on stdout
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

make --no-print-directory build
mkdir -p dist/bench
node bench/workload.mjs dist/bench/workload.json

# The JsonLogic conformance cases live in shared/, next to the repo.
conformance=""
for c in ../shared/conformance/jsonlogic/compatible.json ../../shared/conformance/jsonlogic/compatible.json; do
    if [ -f "$c" ]; then conformance="$c"; break; fi
done

echo "==> native (cargo run --release --example bench_native)"
cargo run --quiet --release -p edge-personalize --example bench_native -- dist/bench/workload.json $conformance >dist/bench/native.json
echo "==> node (wasm vs plain JS)"
node bench/node.mjs dist/bench/workload.json dist/bench/native.json
scripts/ensure-tools.sh chromium
echo "==> headless Chromium (wasm for the web vs plain JS, in one page)"
node bench/browser.mjs dist/bench/workload.json
