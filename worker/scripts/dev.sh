#!/usr/bin/env bash
# Runs the Worker locally in workerd (`wrangler dev --local`), bound to 127.0.0.1.
#
#   worker/scripts/dev.sh PORT [extra wrangler dev args...]
#
# Secrets come from worker/.dev.vars (or the committed example), overridden by
# these environment variables when set: EP_WRITE_KEY, EP_USER_ID_SALT, EP_SINK_TOKEN.
# Vars from wrangler.toml can be overridden with `--var NAME:VALUE`, e.g.
#   --var SINK_URL:http://127.0.0.1:28082
# Local state (queues, KV, Durable Objects) lives in .run/wrangler-state-PORT and
# starts empty on every run, so no queued message from an earlier run is replayed.
# The devtools inspector listens on 127.0.0.1:(PORT+1000).
# EP_CONFIG_DIR=DIR publishes DIR/catalog.json, rules.json and model.bin (those
# present) to the local CONFIG_KV first, as production would (the demo uses www/);
# EP_MODEL_FILE=FILE publishes FILE (an ep-model artifact) as model.bin.
set -euo pipefail
port="${1:?usage: worker/scripts/dev.sh PORT [wrangler dev args...]}"
shift
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

state=".run/wrangler-state-$port"
rm -rf "$state"
mkdir -p "$state"

# The env file: the developer's .dev.vars, else the example, plus overrides.
vars="$state/dev.vars"
base="worker/.dev.vars"
[ -f "$base" ] || base="worker/.dev.vars.example"
(umask 077; grep -v '^\s*#' "$base" >"$vars" || true)
[ -z "${EP_WRITE_KEY:-}" ] || echo "WRITE_KEY=$EP_WRITE_KEY" >>"$vars"
[ -z "${EP_USER_ID_SALT:-}" ] || echo "USER_ID_SALT=$EP_USER_ID_SALT" >>"$vars"
[ -z "${EP_SINK_TOKEN:-}" ] || echo "SINK_TOKEN=$EP_SINK_TOKEN" >>"$vars"

export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false \
       WRANGLER_SEND_ERROR_REPORTS=false WRANGLER_HIDE_BANNER=true \
       WRANGLER_LOG_PATH="$state/logs"
wrangler=worker/node_modules/.bin/wrangler
if [ -n "${EP_CONFIG_DIR:-}" ]; then
    for f in catalog.json rules.json model.bin; do
        [ -f "$EP_CONFIG_DIR/$f" ] || continue
        "$wrangler" kv key put "$f" --path "$EP_CONFIG_DIR/$f" --binding CONFIG_KV \
            --local --persist-to "$state" >/dev/null
        echo "dev.sh: published $EP_CONFIG_DIR/$f to the local CONFIG_KV"
    done
fi
if [ -n "${EP_MODEL_FILE:-}" ] && [ -f "$EP_MODEL_FILE" ]; then
    "$wrangler" kv key put model.bin --path "$EP_MODEL_FILE" --binding CONFIG_KV \
        --local --persist-to "$state" >/dev/null
    echo "dev.sh: published $EP_MODEL_FILE to the local CONFIG_KV as model.bin"
fi

exec "$wrangler" dev --local \
    --ip 127.0.0.1 --port "$port" \
    --inspector-ip 127.0.0.1 --inspector-port "$((port + 1000))" \
    --persist-to "$state" --env-file "$vars" \
    --show-interactive-dev-session=false \
    "$@"
