#!/usr/bin/env bash
# Tests of scripts/lib/proc.sh with real processes: a server and its child
# both die on stop_bg, a server that exits early is reported by wait_port,
# a busy port is refused, stop_all stops what a child script registered.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/proc.sh
source "$REPO/scripts/lib/proc.sh"
RUN_DIR="$(mktemp -d /tmp/ep-proc-test.XXXXXX)"
trap 'stop_all; rm -rf "$RUN_DIR"' EXIT

pass=0
fail=0
check() { # NAME COMMAND...
    local name="$1"; shift
    if "$@"; then pass=$((pass + 1)); echo "ok - $name"; else fail=$((fail + 1)); echo "not ok - $name"; fi
}
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
alive() { kill -0 "$1" 2>/dev/null; }

PORT="$(free_port)"
# A parent shell that starts a listening child, like npx -> node.
start_bg srv bash -c "node -e 'require(\"net\").createServer().listen($PORT,\"127.0.0.1\")' & wait" 2>/dev/null
check "wait_port sees the server" wait_port "$PORT" 10 srv
pid="$(cat "$RUN_DIR/srv.pid")"
child="$(pgrep -P "$pid" | head -n 1)"
check "the server has a child process" test -n "$child"
check "port_free refuses a busy port" bash -c "! (source '$REPO/scripts/lib/proc.sh'; port_free $PORT 2>/dev/null)"
check "start_bg refuses a name that is running" bash -c "! (source '$REPO/scripts/lib/proc.sh'; RUN_DIR='$RUN_DIR' start_bg srv sleep 1 2>/dev/null)"
stop_bg srv 2>/dev/null
sleep 0.2
check "stop_bg kills the server" bash -c "! kill -0 $pid 2>/dev/null"
check "stop_bg kills the server's child" bash -c "! kill -0 ${child:-999999999} 2>/dev/null"
check "stop_bg removes the pid file" test ! -e "$RUN_DIR/srv.pid"
check "the port is free again" port_free "$PORT"

start_bg dies bash -c 'echo boom; exit 3' 2>/dev/null
t0=$(date +%s)
check "wait_port fails when the server exits" bash -c "! (source '$REPO/scripts/lib/proc.sh'; RUN_DIR='$RUN_DIR' wait_port $PORT 20 dies 2>/dev/null)"
check "...and fails fast" test $(( $(date +%s) - t0 )) -lt 5
check "wait_port times out on a silent port" bash -c "! (source '$REPO/scripts/lib/proc.sh'; wait_port $PORT 1 2>/dev/null)"

# A child script registers its server; the parent's stop_all stops it.
export EP_PROC_REGISTRY="$RUN_DIR/names"
: >"$EP_PROC_REGISTRY"
bash -c "source '$REPO/scripts/lib/proc.sh'; RUN_DIR='$RUN_DIR'; start_bg sleeper sleep 300" 2>/dev/null
spid="$(cat "$RUN_DIR/sleeper.pid")"
check "a child script's server runs" alive "$spid"
stop_all 2>/dev/null
sleep 0.1
check "stop_all stops a server a child script registered" bash -c "! kill -0 $spid 2>/dev/null"
unset EP_PROC_REGISTRY

echo "proc.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
