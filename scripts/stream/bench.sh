#!/usr/bin/env bash
# `make bench-stream`: gateway throughput against a local Tansu broker (a benchmark, not a
# test). Starts broker and gateway on the test ports, runs tests/stream/bench-gateway.mjs,
# writes dist/gateway-bench.json, stops both by PID (also on failure).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=../lib/proc.sh
source scripts/lib/proc.sh
mkdir -p "$RUN_DIR" dist
export EP_PROC_REGISTRY="$RUN_DIR/bench-stream.names"
: >"$EP_PROC_REGISTRY"
trap stop_all EXIT
scripts/stream/broker.sh start 29092 ep-bench 3
scripts/stream/gateway.sh start 28082 29092
node tests/stream/bench-gateway.mjs --url http://127.0.0.1:28082 --topic ep-bench --events "${EP_BENCH_EVENTS:-20000}" \
    | tee dist/gateway-bench.json
