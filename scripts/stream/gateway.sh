#!/usr/bin/env bash
# Build (if needed) and start or stop ep-gateway on 127.0.0.1.
#
#   scripts/stream/gateway.sh build                       print the binary's path
#   scripts/stream/gateway.sh start PORT BROKER_PORT [ep-gateway options...]
#   scripts/stream/gateway.sh stop PORT
#
# Runs under scripts/lib/proc.sh as "gateway-PORT" (.run/gateway-PORT.pid / .log).
# Extra options go to ep-gateway (see `ep-gateway --help`), e.g. --cluster-id, --max-in-flight;
# a token is best passed as EP_GATEWAY_TOKEN in the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"
export PATH="$HOME/.cargo/bin:$PATH"

build() {
    # Release: the gateway is a server measured for throughput; incremental when up to date.
    (cd "$ROOT" && cargo build --release -p ep-gateway -j "${CARGO_BUILD_JOBS:-2}" --quiet) >&2
    local target="${CARGO_TARGET_DIR:-$ROOT/target}"
    case "$target" in /*) ;; *) target="$ROOT/$target" ;; esac
    echo "$target/release/ep-gateway"
}

usage() { echo "usage: $0 build | start PORT BROKER_PORT [options...] | stop PORT" >&2; exit 2; }
[ $# -ge 1 ] || usage
cmd="$1"; shift
case "$cmd" in
    build)
        build
        ;;
    start)
        [ $# -ge 2 ] || usage
        port="$1" broker_port="$2"; shift 2
        bin="$(build)"
        port_free "$port"
        start_bg "gateway-$port" "$bin" --listen "127.0.0.1:$port" --broker "127.0.0.1:$broker_port" "$@"
        wait_port "$port" 15 "gateway-$port"
        ;;
    stop)
        [ $# -ge 1 ] || usage
        stop_bg "gateway-$1"
        ;;
    *) usage ;;
esac
