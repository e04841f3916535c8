#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there.
#
#   scripts/ensure-tools.sh                 everything below
#   scripts/ensure-tools.sh wasm-target     rustup target wasm32-unknown-unknown
#   scripts/ensure-tools.sh nightly-src     nightly's rust-src, for the size-optimised wasm build
#   scripts/ensure-tools.sh wasm-bindgen    wasm-bindgen-cli, exactly the version Cargo.toml pins
#   scripts/ensure-tools.sh chromium        chromium + chromium-driver from Debian (headless tests)
#   scripts/ensure-tools.sh fuzz            cargo-fuzz (only `make fuzz` asks for it; needs the nightly toolchain)
#   scripts/ensure-tools.sh npm DIR...      `npm ci` in DIR when node_modules is missing or
#                                           DIR/package-lock.json changed since the last install
#
# Safe to run again and again: every step prints "ok: X already installed" or installs X.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '%s\n' "$*"; }
die() { printf 'ensure-tools: %s\n' "$*" >&2; exit 1; }

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 is not on PATH; $2"; }

ensure_wasm_target() {
    need_cmd rustup "install Rust with rustup first (https://rustup.rs is not reachable here; the machine image has it)"
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "ok: rust target wasm32-unknown-unknown already installed"
    else
        say "installing rust target wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi
}

# The shipped wasm rebuilds std with nightly (see build-wasm.sh), which needs
# nightly's rust-src. The machine image carries the nightly toolchain; when it
# or the download is missing, build-wasm.sh falls back to stable.
ensure_nightly_src() {
    if ! rustc +nightly --version >/dev/null 2>&1; then
        say "note: no nightly toolchain; the wasm will be built with stable"
        return
    fi
    if [ -d "$(rustc +nightly --print sysroot)/lib/rustlib/src/rust/library/std" ]; then
        say "ok: nightly rust-src already installed"
    else
        say "installing nightly rust-src (for the size-optimised wasm build)"
        rustup component add rust-src --toolchain nightly || say "note: rust-src unavailable; the wasm will be built with stable"
    fi
}

# The CLI must match the crate's wasm-bindgen exactly, or the generated glue
# refuses the module. Cargo.toml pins it as `wasm-bindgen = "=X.Y.Z"`.
pinned_wasm_bindgen() {
    sed -n 's/^[[:space:]]*wasm-bindgen[[:space:]]*=[[:space:]]*"=\([0-9][0-9.]*\)".*/\1/p' Cargo.toml | head -n 1
}

ensure_wasm_bindgen() {
    local want have=""
    want="$(pinned_wasm_bindgen)"
    [ -n "$want" ] || die 'Cargo.toml has no exact pin like wasm-bindgen = "=0.2.130"'
    if command -v wasm-bindgen >/dev/null 2>&1; then
        have="$(wasm-bindgen --version | awk '{print $2}')"
    fi
    if [ "$have" = "$want" ] && command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
        say "ok: wasm-bindgen-cli $want already installed"
        return
    fi
    need_cmd cargo "install Rust with rustup first"
    say "installing wasm-bindgen-cli $want (was: ${have:-none}); takes ~6 min on 2 cores"
    # No --locked: its lockfile pins a webpki-roots release the registry cannot serve
    # (docs/TOOLCHAIN.md).
    cargo install wasm-bindgen-cli --version "$want" --force
}

# cargo-fuzz drives libFuzzer, which needs nightly's sanitizer flags. Only
# `make fuzz` asks for it, so `make test` never pays for the install.
ensure_cargo_fuzz() {
    rustc +nightly --version >/dev/null 2>&1 || die "cargo fuzz needs the nightly toolchain (rustup toolchain install nightly)"
    if command -v cargo-fuzz >/dev/null 2>&1; then
        say "ok: cargo-fuzz already installed ($(cargo-fuzz --version 2>/dev/null || echo unknown version))"
        return
    fi
    need_cmd cargo "install Rust with rustup first"
    say "installing cargo-fuzz from crates.io (a few minutes on 2 cores)"
    # --locked first (reproducible); fall back to fresh resolution when a
    # locked dependency cannot be fetched from the registry.
    cargo install cargo-fuzz --locked || cargo install cargo-fuzz
}

APT=(apt-get -o DPkg::Lock::Timeout=300)

ensure_chromium() {
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        say "ok: chromium and chromium-driver already installed"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then need_cmd sudo "run as root or install sudo"; sudo=(sudo); fi
    # Refresh the package lists only when apt does not know the packages yet.
    if ! apt-cache policy chromium chromium-driver 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        say "apt-get update (package lists do not know chromium yet)"
        "${sudo[@]}" "${APT[@]}" update
    fi
    say "installing chromium chromium-driver from Debian"
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" "${APT[@]}" install -y chromium chromium-driver; then
        say "install failed; refreshing package lists and retrying once"
        "${sudo[@]}" "${APT[@]}" update
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" "${APT[@]}" install -y chromium chromium-driver
    fi
}

# `npm ci` is exact and reproducible but slow to repeat, so a stamp in
# node_modules remembers which package-lock.json it was run for.
ensure_npm() {
    local dir="$1"
    [ -f "$dir/package-lock.json" ] || die "$dir/package-lock.json is missing (commit the lockfile)"
    need_cmd npm "install Node.js 20 (the machine image has it)"
    local stamp="$dir/node_modules/.ensure-tools.stamp" sum
    sum="$(sha256sum "$dir/package-lock.json" | awk '{print $1}')"
    if [ -d "$dir/node_modules" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        say "ok: npm packages in $dir already installed"
        return
    fi
    say "installing npm packages in $dir (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$sum" >"$stamp"
}

if [ $# -eq 0 ]; then
    set -- wasm-target nightly-src wasm-bindgen chromium npm tools
fi
while [ $# -gt 0 ]; do
    case "$1" in
        wasm-target)  ensure_wasm_target; shift ;;
        nightly-src)  ensure_nightly_src; shift ;;
        wasm-bindgen) ensure_wasm_bindgen; shift ;;
        chromium)     ensure_chromium; shift ;;
        fuzz)         ensure_cargo_fuzz; shift ;;
        npm)
            shift
            [ $# -gt 0 ] || die "npm needs at least one folder"
            while [ $# -gt 0 ]; do
                case "$1" in wasm-target|nightly-src|wasm-bindgen|chromium|fuzz|npm) break ;; esac
                ensure_npm "$1"; shift
            done
            ;;
        *) die "unknown step '$1' (see the header of this script)" ;;
    esac
done
