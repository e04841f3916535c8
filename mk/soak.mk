# The soak benchmark (issue 8): memory held flat over 1,000,000 events across
# 1,000 sessions in Node wasm. Not part of `make test` (minutes of CPU, and
# what it checks is a trend, not a unit): `make bench-soak` -> dist/soak.json.
#
# It runs its own wasm build: the same core with the `alloc-stats` feature
# (a counting global allocator, never shipped), so live heap bytes are
# measured next to linear memory, which only ever grows.

.PHONY: bench-soak

SOAK_DIR := dist/soak
SOAK_EVENTS ?= 1000000
SOAK_SESSIONS ?= 1000
SOAK_WASM := $(or $(CARGO_TARGET_DIR),target)/wasm32-unknown-unknown/wasm/edge_personalize.wasm

bench-soak: setup-build ## Soak: 1M events over 1,000 sessions in Node wasm, memory sampled every 10% -> dist/soak.json, PLATEAU yes/no
	@mkdir -p $(SOAK_DIR)
	cargo build --lib -p edge-personalize --profile wasm --target wasm32-unknown-unknown --features alloc-stats
	wasm-bindgen --target nodejs --out-dir $(SOAK_DIR)/node $(SOAK_WASM)
	node bench/soak.mjs prepare $(SOAK_DIR)
	cargo run --release -j 2 -q -p edge-personalize --bin ep-model -- build --train $(SOAK_DIR)/sessions.txt \
	  --format sessions --out $(SOAK_DIR)/model.epm --version soak-10000-7
	node --expose-gc bench/soak.mjs run $(SOAK_DIR) $(SOAK_EVENTS) $(SOAK_SESSIONS)
