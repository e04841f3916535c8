#!/usr/bin/env bash
# Runs one wasm-bindgen test file in the environment it was written for.
#
#   scripts/run-wasm-tests.sh node      tests/wasm_node.rs in Node, compiled as the speed
#                                       build is (cargo profile wasm-speed: opt-level 3)
#   scripts/run-wasm-tests.sh browser   tests/wasm_browser.rs in headless Chromium
#                                       (the file says wasm_bindgen_test_configure!(run_in_browser)),
#                                       compiled as the size build is (profile wasm: opt-level z)
#
# Node runs the speed build and browsers the size build (scripts/build-wasm.sh);
# the suites share tests/wasm_common, so the same checks hold for both builds'
# code generation. (The tests build with stable std, not the nightly build-std
# of the shipped files: a failing assert must still print its message.)
#
# wasm-bindgen-test-runner picks Node or the browser per test binary from that
# configure section. WASM_BINDGEN_TEST_ONLY_NODE/_WEB make it skip a binary
# configured for the other environment; since a skip prints success, this script
# also fails when no test ran at all.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"

mode="${1:-}"
case "$mode" in
    node)    test_name=wasm_node;    profile=wasm-speed; export WASM_BINDGEN_TEST_ONLY_NODE=1 ;;
    browser) test_name=wasm_browser; profile=wasm;       export WASM_BINDGEN_TEST_ONLY_WEB=1
             # The runner reads ./webdriver.json (Chromium path and headless flags)
             # and finds the driver through CHROMEDRIVER or PATH.
             if [ -z "${CHROMEDRIVER:-}" ] && [ -x /usr/bin/chromedriver ]; then
                 export CHROMEDRIVER=/usr/bin/chromedriver
             fi ;;
    *) echo "usage: $0 node|browser" >&2; exit 2 ;;
esac

if [ ! -f "tests/$test_name.rs" ]; then
    echo "run-wasm-tests: tests/$test_name.rs does not exist" >&2
    exit 1
fi

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
# In the browser the runner's limit covers the whole page run (every test, the
# hostile corpus's ~3,000 inputs included: ~35 s here), and a cold 2-core CI
# machine is slower still; a hung test still fails, after 5 minutes.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-300}"

mkdir -p .run
log=".run/test-wasm-$mode.log"
# Test binaries ignore a profile's panic = "abort", so cargo would build the
# library twice into one folder (once for the test, once as the cdylib), each
# overwriting the other ("output filename collision"). Unwind is the profile
# default, which on wasm32 leaves the target's own strategy, abort, either way.
profile_env="CARGO_PROFILE_$(echo "$profile" | tr 'a-z-' 'A-Z_')_PANIC"
export "$profile_env=unwind"
echo "==> $profile_env=unwind cargo test --profile $profile --target wasm32-unknown-unknown --test $test_name"
cargo test -p edge-personalize --profile "$profile" --target wasm32-unknown-unknown --test "$test_name" 2>&1 | tee "$log"

if ! grep -Eq 'test result: ok\. [1-9][0-9]* passed' "$log"; then
    echo "run-wasm-tests: no test ran in $mode (see $log); is the file configured for $mode?" >&2
    exit 1
fi
