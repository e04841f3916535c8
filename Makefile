# edge-personalize: one Rust engine -> wasm for the browser, Node and Cloudflare Workers.
#
# A newcomer on a fresh Debian machine runs `make test` or `make demo`; both
# install whatever is missing first (scripts/ensure-tools.sh; idempotent).
# Each mk/*.mk appends its own test target to TEST_TARGETS and its installer
# to SETUP_TARGETS. Cargo uses its default ./target unless CARGO_TARGET_DIR is set.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export PATH := $(HOME)/.cargo/bin:$(PATH)

TEST_TARGETS :=
SETUP_TARGETS :=

include $(wildcard mk/*.mk)

.PHONY: help setup build test demo bench size-check package clean distclean

help: ## Show the targets
	@echo "make targets:"
	@grep -hE '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sort -u | \
	  awk 'BEGIN{FS=":.*## "} {printf "  %-20s %s\n", $$1, $$2}'
	@echo "test runs, in order: $(TEST_TARGETS)"
	@echo "setup runs, in order: $(SETUP_TARGETS)"

setup: ## Install every missing tool (Rust wasm target, wasm-bindgen-cli, Chromium, npm packages)
	@for t in $(SETUP_TARGETS); do \
	  $(MAKE) --no-print-directory $$t || exit 1; \
	done

# Every TEST_TARGETS entry runs even when an earlier one failed, so one CI run
# shows all failures; any failure fails `make test`.
test: setup ## Install what is missing, build, then run every test target (CI: .ci/run)
	@passed=(); failed=(); \
	for t in $(TEST_TARGETS); do \
	  echo "==> make $$t"; \
	  if $(MAKE) --no-print-directory $$t; then passed+=("$$t"); else failed+=("$$t"); fi; \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "==> failed test targets: $${failed[*]}"; fi; \
	echo "targets: $${#passed[@]} passed, $${#failed[@]} failed"; \
	[ $${#failed[@]} -eq 0 ]

demo: ## Build, install, start every demo server, print the storefront URL (Ctrl-C stops all)
	@scripts/demo.sh

bench: ## Benchmarks (native, Node and headless Chromium wasm vs json-logic-js and plain JS, bundle sizes) -> dist/bench.json
	@scripts/bench.sh

clean: ## Remove build output (dist/) and stale server pid files (.run/)
	rm -rf dist .run

distclean: clean ## Also remove cargo's target dir and every node_modules
	cargo clean
	rm -rf tools/node_modules worker/node_modules tests/stream/node_modules tests/package/node_modules tests/sync/node_modules
