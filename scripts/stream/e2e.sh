#!/usr/bin/env bash
# `make e2e-stream`: the stream end to end, on 127.0.0.1 test ports.
#
#   Tansu broker (29092) <- ep-gateway (28082) <- [wrangler dev Worker (28787)] <- 5,000 events
#
# When the Worker exists (wrangler.toml + worker/src/index.js), events go through its
# POST /v1/collect, its Queue and its Kafka REST sink; otherwise straight to the gateway
# (EP_E2E_VIA=gateway|worker forces one). Then kafkajs reads the whole topic and the
# check compares it with the ids that were accepted: each must arrive exactly once, under
# its session id as key, on the partition Java's default partitioner picks for that key.
# The last line printed is
#   stream e2e: posted=N consumed=N missing=0 duplicates=0
# and the exit status is non-zero if any number is off. Every server is stopped by PID at
# the end, also on failure or Ctrl-C.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# shellcheck source=../lib/proc.sh
source scripts/lib/proc.sh

BROKER_PORT="${EP_E2E_BROKER_PORT:-29092}"
GATEWAY_PORT="${EP_E2E_GATEWAY_PORT:-28082}"
WORKER_PORT="${EP_E2E_WORKER_PORT:-28787}"
COUNT="${EP_E2E_COUNT:-5000}"
SESSIONS="${EP_E2E_SESSIONS:-200}"
BATCH="${EP_E2E_BATCH:-50}"
TOPIC="${EP_E2E_TOPIC:-ep-events}"
CLUSTER_ID="ep-e2e"
# The Worker's sink API: v2 (its default) or v3 (one record per request, per-session order).
SINK_API="${EP_E2E_SINK_API:-v2}"

if [ -n "${EP_E2E_VIA:-}" ]; then
    VIA="$EP_E2E_VIA"
elif [ -f wrangler.toml ] && [ -f worker/src/index.js ] && [ -x worker/scripts/dev.sh ]; then
    VIA=worker
else
    VIA=gateway
fi
case "$VIA" in gateway|worker) ;; *) echo "e2e: EP_E2E_VIA must be gateway or worker" >&2; exit 2 ;; esac

mkdir -p "$RUN_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ep-e2e-stream.XXXXXX")"
# Child scripts (broker.sh, gateway.sh) record what they start here, so stop_all ends it.
export EP_PROC_REGISTRY="$RUN_DIR/e2e-stream.names"
: >"$EP_PROC_REGISTRY"
SUMMARY=""
# The summary is the last line, after the servers' stop messages.
stop_all_on_exit "$WORK"

# A fresh token per run: the hop into the gateway is authenticated like production.
TOKEN="e2e-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export EP_GATEWAY_TOKEN="$TOKEN"

if [ ! -d tests/stream/node_modules/kafkajs ]; then
    (cd tests/stream && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "==> e2e-stream: broker :$BROKER_PORT, gateway :$GATEWAY_PORT, via $VIA$([ "$VIA" = worker ] && echo " (sink API $SINK_API)"), $COUNT events" >&2
scripts/stream/broker.sh start "$BROKER_PORT" "$TOPIC" 3
scripts/stream/gateway.sh start "$GATEWAY_PORT" "$BROKER_PORT" --cluster-id "$CLUSTER_ID"

POST_ARGS=(--count "$COUNT" --sessions "$SESSIONS" --batch "$BATCH" --concurrency 4 --ids-out "$WORK/ids.txt")
CONSUME_TIMEOUT_MS=60000
if [ "$VIA" = worker ]; then
    # The Worker needs its npm tools and the wasm core (dist/server); both are no-ops when current.
    make --no-print-directory setup-worker build >&2
    WRITE_KEY="wk-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    port_free "$WORKER_PORT"
    # worker/scripts/dev.sh (the worker owner's) runs `wrangler dev --local` on 127.0.0.1 with
    # fresh local state; its secrets come from these variables.
    EP_WRITE_KEY="$WRITE_KEY" EP_SINK_TOKEN="$TOKEN" start_bg "worker-e2e-$WORKER_PORT" \
        worker/scripts/dev.sh "$WORKER_PORT" \
        --var "SINK_URL:http://127.0.0.1:$GATEWAY_PORT" --var "SINK_TOPIC:$TOPIC" \
        --var "SINK_API:$SINK_API" --var "SINK_CLUSTER_ID:$CLUSTER_ID"
    wait_port "$WORKER_PORT" 90 "worker-e2e-$WORKER_PORT"
    POST_ARGS+=(--target worker --url "http://127.0.0.1:$WORKER_PORT" --write-key "$WRITE_KEY")
    # The Worker answers before its Queue delivers; give the queue consumer time.
    CONSUME_TIMEOUT_MS=180000
else
    POST_ARGS+=(--target gateway --url "http://127.0.0.1:$GATEWAY_PORT" --topic "$TOPIC" --token "$TOKEN")
fi

node tests/stream/post-events.mjs "${POST_ARGS[@]}" | tee "$WORK/post.json" >&2
node tests/stream/consume.mjs --broker "127.0.0.1:$BROKER_PORT" --topic "$TOPIC" \
    --expect "$(wc -l <"$WORK/ids.txt")" --ids "$WORK/ids.txt" --timeout-ms "$CONSUME_TIMEOUT_MS" \
    | tee "$WORK/consume.json" >&2

# Judge the numbers (node, since the stats are JSON).
verdict="$(node -e '
const fs = require("fs");
const post = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const c = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const problems = [];
if (post.posted !== Number(process.argv[3])) problems.push(`posted ${post.posted} of ${process.argv[3]}`);
if (c.count !== post.posted) problems.push(`consumed ${c.count} records for ${post.posted} posted`);
for (const k of ["missing", "duplicates", "unexpected", "keyMismatches", "misplaced", "unparsable", "noId"]) {
  if (c[k] !== 0) problems.push(`${k}=${c[k]}`);
}
if (post.sessions < 2) problems.push("too few sessions");
console.log(`stream e2e: posted=${post.posted} consumed=${c.count} missing=${c.missing} duplicates=${c.duplicates}`);
console.log(problems.join("; "));
' "$WORK/post.json" "$WORK/consume.json" "$COUNT")"
SUMMARY="$(sed -n 1p <<<"$verdict")"
problems="$(sed -n 2p <<<"$verdict")"
if [ -n "$problems" ]; then
    echo "e2e-stream FAILED: $problems" >&2
    exit 1
fi
