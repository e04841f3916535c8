#!/usr/bin/env bash
# `make demo`: installs what is missing, builds the wasm, starts every demo
# server, prints the storefront URL, and on Ctrl-C / TERM stops them all by PID.
#
#   scripts/demo.sh            run until Ctrl-C
#   scripts/demo.sh --check    start everything, fetch the storefront and its wasm, stop (a smoke test)
#
# Each scripts/demo.d/*.sh runs in sorted order (2x: stream, 3x: worker, 90: www).
# A step is *sourced* in a subshell with scripts/lib/proc.sh loaded and the repo as cwd,
# so it just calls `port_free PORT`, `start_bg NAME CMD...` and `wait_port PORT SECS NAME`.
# Every name it starts is recorded in $EP_PROC_REGISTRY, so this script stops it,
# also when a later step fails. A step fails by returning non-zero.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

check=0
case "${1:-}" in
    --check) check=1 ;;
    "") ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

make --no-print-directory setup build

# shellcheck source=lib/proc.sh
source scripts/lib/proc.sh
mkdir -p "$RUN_DIR"
export EP_PROC_REGISTRY="$RUN_DIR/demo.names"
# Servers a previous demo left behind (killed with -9, say) are stopped first.
if [ -f "$EP_PROC_REGISTRY" ]; then stop_all; fi
: >"$EP_PROC_REGISTRY"

cleanup() {
    trap - EXIT INT TERM
    echo
    echo "==> stopping the demo"
    stop_all
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for step in scripts/demo.d/*.sh; do
    [ -e "$step" ] || continue
    echo "==> $step"
    # A subshell: a step's `set -e`, variables and `exit` stay its own.
    if ! ( set -euo pipefail; source "$step" ); then
        echo "demo: $step failed; see the logs in ${RUN_DIR#"$REPO"/}/" >&2
        exit 1
    fi
done

url="http://127.0.0.1:8080/"
if [ "$check" = 1 ]; then
    echo "==> checking $url"
    curl -fsS "$url" | grep -q '<title>' || { echo "demo: storefront page missing" >&2; exit 1; }
    ctype="$(curl -fsS -o /dev/null -w '%{content_type}' "${url}pkg/edge_personalize_bg.wasm")"
    [ "$ctype" = "application/wasm" ] || { echo "demo: wasm served as '$ctype'" >&2; exit 1; }
    echo "demo check: ok"
    exit 0
fi

echo
echo "  Storefront: $url"
echo "  Logs:       ${RUN_DIR#"$REPO"/}/*.log"
echo "  Press Ctrl-C to stop every demo server."
echo
# Wait here until a signal; servers run in their own process groups.
while :; do sleep 1; done
