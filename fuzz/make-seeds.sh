#!/usr/bin/env bash
# Regenerates the binary seed corpora (the JSON seeds are hand-written):
#   corpus/snapshot_restore/*.snap  valid and near-valid session snapshots (examples/make_seeds.rs)
#   corpus/model_load/*.epm         a tiny model artifact built by ep-model from a small synthetic
#                                   dataset over the fuzz catalog's item ids, and damaged copies
# Safe to re-run; the outputs are deterministic.
set -euo pipefail
FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$FUZZ")"
export PATH="$HOME/.cargo/bin:$PATH"

cargo run -q --manifest-path "$FUZZ/Cargo.toml" --example make_seeds

# Sessions over the fuzz catalog's ids (fuzz/src/lib.rs), so a loaded model's
# picks map onto the catalog and reach the scorer.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
items=(shoe-1 shoe-2 shoe-3 sock-1 sock-2 hat-1 hat-2 bag-1)
for ((s = 0; s < 60; s++)); do
    line=()
    for ((j = 0; j < 2 + s % 4; j++)); do line+=("${items[$(((s * 3 + j * 5 + j * s) % 8))]}"); done
    echo "${line[*]}"
done >"$work/sessions.txt"
cargo run -q --manifest-path "$REPO/Cargo.toml" --bin ep-model -- \
    build --train "$work/sessions.txt" --out "$work/tiny.epm" --version fuzz-tiny --neighbours 4
out="$FUZZ/corpus/model_load"
mkdir -p "$out"
cp "$work/tiny.epm" "$out/tiny.epm"
head -c 40 "$work/tiny.epm" >"$out/tiny-truncated.epm"
# Format version 2 (a newer engine's artifact): bytes 8-9, little endian.
{ head -c 8 "$work/tiny.epm"; printf '\x02\x00'; tail -c +11 "$work/tiny.epm"; } >"$out/tiny-future-version.epm"
ls -l "$out" "$FUZZ/corpus/snapshot_restore"
