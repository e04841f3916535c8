# Core engine: tools, the wasm build, and the native / Node / Chromium tests.

SETUP_TARGETS += setup-core
TEST_TARGETS += lint test-native test-wasm-node test-wasm-browser size-check

.PHONY: lint setup-core setup-build test-native test-wasm-node test-wasm-browser

setup-core: ## Install the core's tools (wasm target, wasm-bindgen-cli, Chromium, tools/ npm)
	@scripts/ensure-tools.sh wasm-target nightly-src wasm-bindgen chromium npm tools

setup-build:
	@scripts/ensure-tools.sh wasm-target nightly-src wasm-bindgen npm tools

# Rebuild the wasm only when its inputs changed; dist/size.json is written last.
WASM_INPUTS := $(shell find src -type f -name '*.rs' 2>/dev/null) Cargo.toml $(wildcard Cargo.lock) \
               scripts/build-wasm.sh tools/package-lock.json

dist/size.json: $(WASM_INPUTS) | setup-build
	@scripts/build-wasm.sh

build: dist/size.json ## Build the size build (dist/web, browsers) and the speed build (dist/node, dist/server) and dist/size.json

test-native: ## cargo test of the core crate (unit, integration, doc tests, examples compile)
	cargo test -p edge-personalize

test-wasm-node: ## wasm-bindgen tests in Node (tests/wasm_node.rs), compiled as the speed build
	@scripts/run-wasm-tests.sh node

test-wasm-browser: ## wasm-bindgen tests in headless Chromium (tests/wasm_browser.rs), compiled as the size build
	@scripts/run-wasm-tests.sh browser

size-check: build ## Fail if the size build's wasm + JS glue (gzip, dist/web) exceeds bench/size-budget.json
	@node scripts/size-check.mjs

# The storefront's end-to-end tests moved to mk/package.mk (test-storefront).
TEST_TARGETS += test-scripts
.PHONY: test-scripts

test-scripts: ## Tests of the shell helpers (scripts/lib/proc.sh) with real processes
	@scripts/tests/proc.test.sh

lint: ## clippy on the library, natively and for wasm: panic-freedom lints (src/lib.rs) and every warning denied
	cargo clippy -p edge-personalize --lib -- -D warnings
	cargo clippy -p edge-personalize --lib --target wasm32-unknown-unknown -- -D warnings
