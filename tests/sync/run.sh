#!/usr/bin/env bash
# Browser sync against the real Worker and the real stream, on 127.0.0.1.
#
#   tests/sync/run.sh test    `make test-sync`: tests/sync/sync.test.mjs (node --test + playwright-core)
#   tests/sync/run.sh chaos   `make chaos`: tests/sync/chaos.mjs, 10,000 events; last line
#                             chaos: tracked=N delivered_unique=N lost=0 duplicates_seen=D
#
#   Tansu broker (EP_SYNC_BROKER_PORT, 29192) <- ep-gateway (28192) <- wrangler dev Worker (28887)
#       <- fault proxy (28890) <- headless Chromium page served on 28880
#
# Ports differ from e2e-stream's so both can run side by side. Every server is started by
# scripts/lib/proc.sh and stopped by PID at the end, also on failure or Ctrl-C. After the
# browser part, the topic is read with kafkajs (tests/stream/consume.mjs) and compared with
# the ids the test tracked.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# shellcheck source=../../scripts/lib/proc.sh
source scripts/lib/proc.sh

MODE="${1:-test}"
case "$MODE" in test|chaos) ;; *) echo "usage: $0 test|chaos" >&2; exit 2 ;; esac
BROKER_PORT="${EP_SYNC_BROKER_PORT:-29192}"
GATEWAY_PORT="${EP_SYNC_GATEWAY_PORT:-28192}"
WORKER_PORT="${EP_SYNC_WORKER_PORT:-28887}"
PROXY_PORT="${EP_SYNC_PROXY_PORT:-28890}"
PAGE_PORT="${EP_SYNC_PAGE_PORT:-28880}"
TOPIC="ep-events"

mkdir -p "$RUN_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ep-sync.XXXXXX")"
export EP_PROC_REGISTRY="$RUN_DIR/sync-$MODE.names"
: >"$EP_PROC_REGISTRY"
SUMMARY=""
stop_all_on_exit "$WORK"

TOKEN="sync-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
WRITE_KEY="wk-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export EP_GATEWAY_TOKEN="$TOKEN"

for p in "$BROKER_PORT" "$GATEWAY_PORT" "$WORKER_PORT" "$WORKER_PORT" "$PROXY_PORT" "$PAGE_PORT"; do port_free "$p"; done
scripts/stream/broker.sh start "$BROKER_PORT" "$TOPIC" 3
scripts/stream/gateway.sh start "$GATEWAY_PORT" "$BROKER_PORT" --cluster-id ep-sync
EP_WRITE_KEY="$WRITE_KEY" EP_SINK_TOKEN="$TOKEN" start_bg "worker-sync-$WORKER_PORT" \
    worker/scripts/dev.sh "$WORKER_PORT" \
    --var "SINK_URL:http://127.0.0.1:$GATEWAY_PORT" --var "SINK_TOPIC:$TOPIC" \
    --var "ALLOWED_ORIGINS:http://127.0.0.1:$PAGE_PORT" \
    --var RATE_IP_BURST:1000000 --var RATE_IP_PER_SECOND:100000 \
    --var RATE_SESSION_BURST:1000000 --var RATE_SESSION_PER_SECOND:100000
start_bg "sync-server-$PAGE_PORT" node tests/sync/server.mjs "$PAGE_PORT" "$PROXY_PORT" "http://127.0.0.1:$WORKER_PORT"
wait_port "$PAGE_PORT" 15 "sync-server-$PAGE_PORT"
wait_port "$PROXY_PORT" 15 "sync-server-$PAGE_PORT"
wait_port "$WORKER_PORT" 90 "worker-sync-$WORKER_PORT"

export EP_SYNC_PAGE="http://127.0.0.1:$PAGE_PORT/"
export EP_SYNC_COLLECT="http://127.0.0.1:$PROXY_PORT/v1/collect"
export EP_SYNC_PROXY="http://127.0.0.1:$PROXY_PORT"
export EP_SYNC_WRITE_KEY="$WRITE_KEY"
export EP_SYNC_OUT="$WORK"

# consume.mjs stops once it has read as many records as expected; with duplicates in the
# topic (re-sends are part of the design) that can be before the last ids arrived. So
# read the whole topic again until no expected id is missing or the time is up.
consume() { # expected-ids-file timeout-ms -> stats JSON on stdout
    local deadline=$(( $(date +%s) + ${2:-120000} / 1000 )) out
    while :; do
        out="$(node tests/stream/consume.mjs --broker "127.0.0.1:$BROKER_PORT" --topic "$TOPIC" \
            --expect "$(wc -l <"$1")" --ids "$1" --timeout-ms 20000)"
        if grep -q '"missing":0,' <<<"$out" || [ "$(date +%s)" -ge "$deadline" ]; then
            echo "$out"
            return 0
        fi
        sleep 2
    done
}

if [ "$MODE" = test ]; then
    node --test --test-reporter=spec --test-concurrency=1 ${EP_SYNC_TEST_PATTERN:+--test-name-pattern="$EP_SYNC_TEST_PATTERN"} tests/sync/sync.test.mjs
    # The stream: every id the tests expect delivered is in Kafka; no id tracked under
    # denied consent (or before consent was given) ever is.
    consume "$WORK/expected.txt" 90000 >"$WORK/consume.json"
    node tests/sync/judge.mjs stream "$WORK/consume.json" "$WORK/expected.txt" "$WORK/forbidden.txt" "$WORK/pii.json" \
        "$BROKER_PORT" "$TOPIC"
    SUMMARY="$(tail -n 1 "$WORK/judge.txt" 2>/dev/null || true)"
else
    node tests/sync/chaos.mjs
    consume "$WORK/tracked.txt" 240000 >"$WORK/consume.json"
    node tests/sync/judge.mjs chaos "$WORK/consume.json" "$WORK/tracked.txt"
    SUMMARY="$(tail -n 1 "$WORK/judge.txt")"
    grep -q ' lost=0 ' "$WORK/judge.txt"
fi
