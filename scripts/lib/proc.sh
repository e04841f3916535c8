# shellcheck shell=bash
# Background servers for tests and the demo, tracked by PID.
#
# Source this file, then:
#   start_bg NAME CMD...      start CMD in its own process group; pid -> .run/NAME.pid, log -> .run/NAME.log
#   wait_port PORT [SECONDS] [NAME]
#                             wait until 127.0.0.1:PORT accepts connections (default 30 s); with NAME,
#                             fail early (and show the log tail) if that server died
#   port_free PORT            fail if something already listens on 127.0.0.1:PORT (a stale server
#                             would make a test talk to the wrong process)
#   stop_bg NAME              TERM the whole process group, KILL it after 5 s, remove the pid file
#   stop_all                  stop every server this shell started (and every name listed in
#                             $EP_PROC_REGISTRY, which lets scripts/demo.sh stop what its children started)
#
# Typical test script:
#   source scripts/lib/proc.sh
#   trap stop_all EXIT
#   port_free 28787 && start_bg worker-test npx wrangler dev ... && wait_port 28787 30 worker-test
#
# Every server must bind 127.0.0.1; this library only starts and stops them.

_PROC_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${RUN_DIR:-$_PROC_REPO/.run}"
_PROC_STARTED=()

_proc_log() { printf '[proc] %s\n' "$*" >&2; }

_proc_valid_name() {
    case "$1" in
        ''|*[!A-Za-z0-9._-]*) _proc_log "invalid server name '$1' (use letters, digits, . _ -)"; return 1 ;;
    esac
}

# True when the process group led by PID still has a member.
_proc_group_alive() { kill -0 -- "-$1" 2>/dev/null; }

start_bg() {
    local name="$1"; shift
    _proc_valid_name "$name" || return 1
    if [ $# -eq 0 ]; then _proc_log "start_bg $name: no command"; return 1; fi
    mkdir -p "$RUN_DIR"
    local pidfile="$RUN_DIR/$name.pid" log="$RUN_DIR/$name.log"
    if [ -f "$pidfile" ]; then
        local old; old="$(cat "$pidfile" 2>/dev/null || true)"
        if [ -n "$old" ] && _proc_group_alive "$old"; then
            _proc_log "$name is already running (pid $old); stop it first: stop_bg $name"
            return 1
        fi
        rm -f "$pidfile"
    fi
    # setsid makes the server the leader of a new process group, so stop_bg can
    # kill its children too (npx -> node -> workerd). Inside the subshell the
    # command is never a group leader already, so setsid does not fork and $!
    # is the server's own pid.
    ( setsid "$@" >"$log" 2>&1 </dev/null & echo $! >"$pidfile" )
    local pid; pid="$(cat "$pidfile")"
    _PROC_STARTED+=("$name")
    if [ -n "${EP_PROC_REGISTRY:-}" ]; then echo "$name" >>"$EP_PROC_REGISTRY"; fi
    _proc_log "started $name (pid $pid, log ${log#"$_PROC_REPO"/})"
}

port_free() {
    local port="$1"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        _proc_log "port $port on 127.0.0.1 is already in use; stop the old server first"
        return 1
    fi
}

wait_port() {
    local port="$1" secs="${2:-30}" name="${3:-}"
    local deadline=$(( $(date +%s) + secs ))
    while :; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        if [ -n "$name" ]; then
            local pid; pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null || true)"
            if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
                _proc_log "$name exited before listening on port $port; last log lines:"
                tail -n 30 "$RUN_DIR/$name.log" >&2 2>/dev/null || true
                return 1
            fi
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            _proc_log "timed out after ${secs}s waiting for 127.0.0.1:$port${name:+ ($name)}"
            if [ -n "$name" ]; then tail -n 30 "$RUN_DIR/$name.log" >&2 2>/dev/null || true; fi
            return 1
        fi
        sleep 0.1
    done
}

stop_bg() {
    local name="$1"
    _proc_valid_name "$name" || return 1
    local pidfile="$RUN_DIR/$name.pid"
    [ -f "$pidfile" ] || return 0
    local pid; pid="$(cat "$pidfile" 2>/dev/null || true)"
    rm -f "$pidfile"
    case "$pid" in ''|*[!0-9]*) return 0 ;; esac
    if _proc_group_alive "$pid"; then
        kill -TERM -- "-$pid" 2>/dev/null || true
        local i
        for i in $(seq 1 50); do
            _proc_group_alive "$pid" || break
            sleep 0.1
        done
        if _proc_group_alive "$pid"; then
            _proc_log "$name (pid $pid) ignored TERM; killing"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
        _proc_log "stopped $name (pid $pid)"
    fi
}

stop_all() {
    local names=("${_PROC_STARTED[@]}")
    if [ -n "${EP_PROC_REGISTRY:-}" ] && [ -f "$EP_PROC_REGISTRY" ]; then
        local n
        while IFS= read -r n; do names+=("$n"); done <"$EP_PROC_REGISTRY"
    fi
    # Stop in reverse start order: clients before the servers they talk to.
    local i
    for (( i=${#names[@]}-1; i>=0; i-- )); do
        stop_bg "${names[$i]}" || true
    done
    _PROC_STARTED=()
    if [ -n "${EP_PROC_REGISTRY:-}" ]; then rm -f "$EP_PROC_REGISTRY"; fi
}

# stop_all_on_exit [DIR]: for a test script that starts servers. On any exit
# (also Ctrl-C / TERM) stop every server it started, remove DIR (its scratch
# folder), then print $SUMMARY, so the script's verdict is its last line.
stop_all_on_exit() {
    _PROC_CLEANUP_DIR="${1:-}"
    SUMMARY="${SUMMARY:-}"
    trap _proc_exit_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

_proc_exit_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    if [ -n "${_PROC_CLEANUP_DIR:-}" ]; then rm -rf "$_PROC_CLEANUP_DIR"; fi
    if [ -n "${SUMMARY:-}" ]; then echo "$SUMMARY"; fi
    exit "$rc"
}
