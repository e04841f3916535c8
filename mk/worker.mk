# The edge Worker (worker/, wrangler.toml): npm tools, tests inside workerd,
# the CPU benchmark and the bundle size.

SETUP_TARGETS += setup-worker
TEST_TARGETS += test-worker

WORKER_ENV := CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false \
              WRANGLER_SEND_ERROR_REPORTS=false WRANGLER_HIDE_BANNER=true

.PHONY: setup-worker test-worker bench-worker worker-bundle

# Installs worker/package-lock.json exactly (npm ci), unless node_modules already
# holds that lock (npm keeps its copy in node_modules/.package-lock.json).
setup-worker: ## Install the Worker's npm tools (wrangler, vitest pool) when missing
	@if [ -f worker/node_modules/.ep-installed ] && cmp -s worker/package-lock.json worker/node_modules/.ep-installed; then \
	  echo "worker: npm packages up to date"; \
	else \
	  (cd worker && npm ci --no-audit --no-fund) && cp worker/package-lock.json worker/node_modules/.ep-installed; \
	fi

test-worker: setup-worker build ## Worker tests inside workerd (vitest + @cloudflare/vitest-pool-workers)
	cd worker && $(WORKER_ENV) npx vitest run

bench-worker: setup-worker build ## Worker CPU per /v1/collect (50 events) and /v1/decide in workerd, bundle size -> dist/worker-bench.json
	$(WORKER_ENV) node worker/bench/worker-bench.mjs

worker-bundle: setup-worker build ## The Worker bundle as deployed (wrangler deploy --dry-run) in dist/worker
	$(WORKER_ENV) worker/node_modules/.bin/wrangler deploy --dry-run --outdir dist/worker
