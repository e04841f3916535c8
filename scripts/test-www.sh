#!/usr/bin/env bash
# `make test-www`: the demo storefront end to end. Serves www/ + dist/web on
# 127.0.0.1:28080 (stopped by PID at the end, also on failure) and drives it in
# headless Chromium with playwright-core (scripts/tests/www.test.mjs).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PORT="${WWW_TEST_PORT:-28080}"

# shellcheck source=lib/proc.sh
source scripts/lib/proc.sh
trap stop_all EXIT

port_free "$PORT"
start_bg test-www node scripts/serve-static.mjs "$PORT"
wait_port "$PORT" 15 test-www
WWW_URL="http://127.0.0.1:$PORT/" node --test --test-reporter=spec scripts/tests/www.test.mjs
