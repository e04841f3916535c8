#!/usr/bin/env bash
# Runs the package tests, the storefront tests or the storefront benchmark.
#   tests/package/run.sh package      the packed tarball in a scratch Vite 7 app and a plain module page
#   tests/package/run.sh storefront   www/ end to end (screenshots in dist/screenshots/)
#   tests/package/run.sh bench        load -> first personalised slot, median ms -> dist/bench-www.json
# Every server binds 127.0.0.1, is started by scripts/lib/proc.sh and stopped by PID at exit.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
# shellcheck source=../../scripts/lib/proc.sh
source scripts/lib/proc.sh
trap stop_all EXIT
mode="${1:-}"
mkdir -p dist/screenshots

case "$mode" in
package)
    tarball="$(ls dist/edge-personalize-*.tgz 2>/dev/null | head -n 1)"
    [ -n "$tarball" ] || { echo "no dist/edge-personalize-*.tgz; run make package" >&2; exit 1; }
    SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/ep-package-test.XXXXXX")"
    trap 'stop_all; rm -rf "$SCRATCH"' EXIT
    node tests/package/scaffold.mjs "$SCRATCH" "$REPO/$tarball"
    # The Vite app: a production build, served by `vite preview`.
    (cd "$SCRATCH/vite-app" && "$REPO/tests/package/node_modules/.bin/vite" build --logLevel warn)
    port_free 28091; port_free 28092
    start_bg pkg-vite-preview "$REPO/tests/package/node_modules/.bin/vite" preview "$SCRATCH/vite-app" \
        --host 127.0.0.1 --port 28091 --strictPort
    start_bg pkg-plain node tests/package/serve.mjs "$SCRATCH/plain" 28092
    # The Worker: wrangler (worker/'s pinned copy) bundles it with the workerd
    # condition and runs it in workerd.
    wrangler="$REPO/worker/node_modules/.bin/wrangler"
    [ -x "$wrangler" ] || { echo "$wrangler missing; run make setup-worker" >&2; exit 1; }
    port_free 28094
    (cd "$SCRATCH/worker" && CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false \
        WRANGLER_HIDE_BANNER=true "$wrangler" deploy --dry-run --outdir "$SCRATCH/worker/bundle" >/dev/null)
    start_bg pkg-worker env -C "$SCRATCH/worker" CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false \
        WRANGLER_SEND_ERROR_REPORTS=false WRANGLER_HIDE_BANNER=true \
        "$wrangler" dev --local --ip 127.0.0.1 --port 28094 --inspector-ip 127.0.0.1 --inspector-port 28095
    wait_port 28091 30 pkg-vite-preview
    wait_port 28092 15 pkg-plain
    wait_port 28094 60 pkg-worker
    SCRATCH="$SCRATCH" VITE_URL=http://127.0.0.1:28091/ PLAIN_URL=http://127.0.0.1:28092/ WORKER_URL=http://127.0.0.1:28094/ \
        node --test --test-concurrency=1 --test-reporter=spec tests/package/package.test.mjs
    ;;
storefront|bench)
    port_free 28093
    start_bg pkg-storefront node scripts/serve-static.mjs 28093
    if [ "$mode" = storefront ]; then
        # The Worker the storefront's sync client delivers to (its /v1/collect).
        port_free 28096
        # It also renders the storefront's pages at the edge (STOREFRONT_ORIGIN).
        start_bg pkg-storefront-worker worker/scripts/dev.sh 28096 \
            --var ALLOWED_ORIGINS:http://127.0.0.1:28093,http://127.0.0.1:28096 \
            --var STOREFRONT_ORIGIN:http://127.0.0.1:28093
        wait_port 28093 15 pkg-storefront
        wait_port 28096 60 pkg-storefront-worker
        WWW_URL=http://127.0.0.1:28093/ COLLECT_URL=http://127.0.0.1:28096/v1/collect \
            node --test --test-concurrency=1 --test-reporter=spec tests/package/storefront.test.mjs
    else
        wait_port 28093 15 pkg-storefront
        WWW_URL=http://127.0.0.1:28093/ node tests/package/bench-www.mjs
    fi
    ;;
*) echo "usage: $0 package|storefront|bench" >&2; exit 2 ;;
esac
