# Fuzzing (issue 8): cargo-fuzz targets over every parser the core exposes to
# input. Not part of `make test` (not in TEST_TARGETS): it needs nightly and
# takes minutes per target. See fuzz/README.md.

.PHONY: fuzz fuzz-one fuzz-seeds setup-fuzz

FUZZ_SECONDS ?= 300
FUZZ_RUNS ?=

setup-fuzz:
	@scripts/ensure-tools.sh fuzz

fuzz: setup-fuzz ## Fuzz every target FUZZ_SECONDS (default 300) or FUZZ_RUNS executions each, one after another -> dist/fuzz.json
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) fuzz/run.sh

fuzz-one: setup-fuzz ## Fuzz one target: make fuzz-one T=rules_logic [FUZZ_SECONDS=60] [FUZZ_RUNS=N] -> dist/fuzz-T.json
	@test -n "$(T)" || { echo "usage: make fuzz-one T=<target> (see fuzz/README.md)"; exit 2; }
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_OUT=dist/fuzz-$(T).json fuzz/run.sh $(T)

fuzz-seeds: ## Regenerate the binary seed corpora (valid snapshots, a tiny model artifact)
	@fuzz/make-seeds.sh
