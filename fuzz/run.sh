#!/usr/bin/env bash
# Runs fuzz targets one after another and writes dist/fuzz.json.
#
#   fuzz/run.sh [TARGET...]        every target when none is named
#
# Environment:
#   FUZZ_SECONDS  time per target (default 300); ignored when FUZZ_RUNS is set
#   FUZZ_RUNS     stop each target after this many executions instead
#   FUZZ_JOBS     run each target that many times in parallel (libFuzzer -fork; default 1)
#   FUZZ_OUT      report path (default dist/fuzz.json; fuzz-one writes dist/fuzz-TARGET.json)
#
# Each target fuzzes a grown corpus in fuzz/target/corpus/TARGET (git-ignored),
# seeded from the committed fuzz/corpus/TARGET, with fuzz/dict/TARGET.dict.
# Crash inputs land in fuzz/artifacts/TARGET/. Per target it prints and
# records executions, exec/s, peak RSS and crashes; any crash fails the run.
#
# Built without AddressSanitizer (-s none): the core has no `unsafe`, so ASan
# would only halve the speed. Debug assertions and overflow checks stay on,
# so unchecked arithmetic that overflows is a crash.
set -euo pipefail
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$FUZZ")"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

ALL_TARGETS=(event_validation rules_logic snapshot_restore model_load outbox_queue worker_request)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
    case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target '$t' (targets: ${ALL_TARGETS[*]})" >&2; exit 2 ;; esac
done

SECONDS_PER_TARGET="${FUZZ_SECONDS:-300}"
RUNS="${FUZZ_RUNS:-}"
JOBS="${FUZZ_JOBS:-1}"
OUT="${FUZZ_OUT:-dist/fuzz.json}"
LOGS="$FUZZ/target/logs"
mkdir -p "$LOGS" "$(dirname "$OUT")"

echo "==> building fuzz targets (nightly, libFuzzer, debug assertions on)"
if [ ${#targets[@]} -eq 1 ]; then build=("${targets[0]}"); else build=(); fi
(cd "$FUZZ" && cargo +nightly fuzz build -s none -a "${build[@]}")

rows="$LOGS/results-$(basename "$OUT" .json).tsv"
: >"$rows"
failed=0
for t in "${targets[@]}"; do
    grown="$FUZZ/target/corpus/$t"
    mkdir -p "$grown" "$FUZZ/artifacts/$t"
    before="$(find "$FUZZ/artifacts/$t" -type f | wc -l)"
    limit=(-max_total_time="$SECONDS_PER_TARGET")
    [ -z "$RUNS" ] || limit=(-runs="$RUNS")
    fork=()
    [ "$JOBS" -le 1 ] || fork=(-fork="$JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    log="$LOGS/$t.log"
    if [ -n "$RUNS" ]; then budget="$RUNS runs"; else budget="$SECONDS_PER_TARGET s"; fi
    echo "==> fuzz $t ($budget); log: $log"
    started=$(date +%s)
    set +e
    (cd "$FUZZ" && cargo +nightly fuzz run -s none -a "$t" "$grown" "$FUZZ/corpus/$t" -- \
        "${limit[@]}" "${fork[@]}" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
        -dict="$FUZZ/dict/$t.dict" -print_final_stats=1) >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - started ))
    # -print_final_stats: stat::number_of_executed_units, average_exec_per_sec, peak_rss_mb.
    # In fork mode the parent prints no stats; its last "#N" status line has the total.
    execs="$(awk '/stat::number_of_executed_units:/ {n += $2} END {print n + 0}' "$log")"
    if [ "$execs" = 0 ]; then execs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')"; execs="${execs:-0}"; fi
    rss="$(awk '/stat::peak_rss_mb:/ {if ($2 > m) m = $2} END {print m + 0}' "$log")"
    slowest="$(awk '/stat::slowest_unit_time_sec:/ {if ($2 > m) m = $2} END {print m + 0}' "$log")"
    rate=$(( elapsed > 0 ? execs / elapsed : execs ))
    crashes=$(( $(find "$FUZZ/artifacts/$t" -type f | wc -l) - before ))
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    seeds="$(find "$FUZZ/corpus/$t" -type f | wc -l)"
    corpus="$(find "$grown" -type f | wc -l)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$execs" "$rate" "$elapsed" "$crashes" "$rss" "$slowest" "$seeds" "$corpus" >>"$rows"
    printf '    %-17s executions %12s  exec/s %8s  crashes %s  peak RSS %s MB  slowest input %s s  corpus %s (seeds %s)\n' \
        "$t" "$execs" "$rate" "$crashes" "$rss" "$slowest" "$corpus" "$seeds"
    if [ "$crashes" -gt 0 ]; then
        failed=1
        echo "    crash input(s) in fuzz/artifacts/$t/; reproduce: (cd fuzz && cargo +nightly fuzz run -s none $t ARTIFACT)"
        grep -m 3 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | sed 's/^/    /' || true
    fi
done

node -e '
const fs = require("fs");
const [rows, out, seconds, runs, commit] = process.argv.slice(1);
const targets = fs.readFileSync(rows, "utf8").trim().split("\n").filter(Boolean).map((l) => {
  const [name, executions, execPerSec, seconds, crashes, peakRssMb, slowest, seeds, corpus] = l.split("\t");
  return { name, executions: +executions, execPerSec: +execPerSec, seconds: +seconds, crashes: +crashes,
           peakRssMb: +peakRssMb, slowestInputSeconds: +slowest, seedInputs: +seeds, corpusInputs: +corpus };
});
const report = { generatedAt: new Date().toISOString(), commit, secondsPerTarget: runs ? null : +seconds,
                 runsPerTarget: runs ? +runs : null, targets,
                 totalExecutions: targets.reduce((a, t) => a + t.executions, 0),
                 totalCrashes: targets.reduce((a, t) => a + t.crashes, 0) };
fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
' "$rows" "$OUT" "$SECONDS_PER_TARGET" "$RUNS" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src fuzz || echo +local-changes)"
echo "==> wrote $OUT"
exit "$failed"
