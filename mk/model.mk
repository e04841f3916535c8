# The learned session model (issue 5): builder, evaluator and artifact tests.
# Data: the Diginetica benchmark files (see $(DIGINETICA)/README.md).

TEST_TARGETS += test-model

.PHONY: test-model model-eval model-build model-tune model-fixtures

DIGINETICA ?= ../shared/data/diginetica
EP_MODEL := cargo run --release -j 2 -q -p edge-personalize --bin ep-model --

test-model: ## Model tests: artifact round trip, truncation/bit flips, metric code by hand, synthetic end to end, CLI
	cargo test -p edge-personalize -j 2 --lib model::
	cargo test -p edge-personalize -j 2 --test model_artifact --test model_eval --test model_cli --test model_fixture

model-eval: ## Diginetica eval: model vs POP/S-POP/Item-KNN, HR@20/MRR@20 on 60,858 test examples (JSON on stdout)
	$(EP_MODEL) eval --train $(DIGINETICA)/train_sessions.txt --test $(DIGINETICA)/test_sessions.txt --json

model-build: ## Build dist/model.epm from the Diginetica training file (default hyperparameters)
	@mkdir -p dist
	$(EP_MODEL) build --train $(DIGINETICA)/train_sessions.txt --out dist/model.epm --max-gzip 2000000

model-tune: ## Self-tune on the last 10% of the Diginetica training file and print the validation numbers
	$(EP_MODEL) tune --train $(DIGINETICA)/train_sessions.txt

model-fixtures: ## Regenerate tests/model-fixtures (the native/wasm agreement fixture)
	UPDATE_MODEL_FIXTURES=1 cargo test -p edge-personalize -j 2 --test model_fixture
