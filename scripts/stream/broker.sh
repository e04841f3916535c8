#!/usr/bin/env bash
# Start or stop a local Tansu broker (Kafka protocol, in-memory storage) on 127.0.0.1.
#
#   scripts/stream/broker.sh start PORT [TOPIC] [PARTITIONS]   (defaults: ep-events, 3)
#   scripts/stream/broker.sh topic PORT TOPIC [PARTITIONS]          (create a topic unless present)
#   scripts/stream/broker.sh stop PORT
#
# The broker runs under scripts/lib/proc.sh as "broker-PORT" (pid in .run/broker-PORT.pid,
# log in .run/broker-PORT.log), so `stop` and proc.sh's stop_all end it by PID. Its data is
# in memory only: a restart starts empty.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"

usage() { echo "usage: $0 start PORT [TOPIC] [PARTITIONS] | topic PORT TOPIC [PARTITIONS] | stop PORT" >&2; exit 2; }

# Creates TOPIC with PARTITIONS partitions on the broker at PORT unless it exists.
# All topics are listed rather than asking for one by name: Tansu creates a topic whenever
# its metadata is requested by name, which would hide a missing-topic bug.
ensure_topic() {
    local tansu="$1" port="$2" topic="$3" partitions="$4"
    if "$tansu" topic list --broker "tcp://127.0.0.1:$port" | grep -qF "\"name\":\"$topic\""; then
        echo "broker: topic $topic already exists on :$port" >&2
    else
        "$tansu" topic create --broker "tcp://127.0.0.1:$port" --partitions "$partitions" "$topic" >&2
        echo "broker: created topic $topic ($partitions partitions) on :$port" >&2
    fi
}
[ $# -ge 2 ] || usage
cmd="$1" port="$2"
case "$port" in ''|*[!0-9]*) usage ;; esac
name="broker-$port"

case "$cmd" in
    start)
        topic="${3:-ep-events}" partitions="${4:-3}"
        tansu="$("$ROOT/scripts/stream/ensure-broker.sh" | tail -n 1)"
        port_free "$port"
        start_bg "$name" "$tansu" broker \
            --listener-url "tcp://127.0.0.1:$port" \
            --advertised-listener-url "tcp://127.0.0.1:$port" \
            --storage-engine memory://tansu/
        wait_port "$port" 15 "$name"
        ensure_topic "$tansu" "$port" "$topic" "$partitions"
        ;;
    topic)
        [ $# -ge 3 ] || usage
        tansu="$("$ROOT/scripts/stream/ensure-broker.sh" | tail -n 1)"
        ensure_topic "$tansu" "$port" "$3" "${4:-3}"
        ;;
    stop)
        stop_bg "$name"
        ;;
    *) usage ;;
esac
