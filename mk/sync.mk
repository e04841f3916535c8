# Browser sync (issue 4): the outbox in the core (tests/outbox.rs runs in test-native), the
# browser adapter pkg-template/src/sync/, its Playwright tests against the real Worker and
# stream, and the chaos run (not part of `make test`: it takes several minutes).

TEST_TARGETS += test-sync

.PHONY: setup-sync test-sync chaos

SYNC_NPM_STAMP := tests/sync/node_modules/.package-lock.json

setup-sync: setup-stream setup-worker
	@if [ ! -f $(SYNC_NPM_STAMP) ] || [ tests/sync/package-lock.json -nt $(SYNC_NPM_STAMP) ]; then \
	  cd tests/sync && npm ci --no-audit --no-fund --loglevel=error; \
	fi

test-sync: setup-sync build ## Browser sync in headless Chromium vs wrangler dev + Tansu: offline, failing routes, reloads, tabs, unload, consent, PII, bounds
	@tests/sync/run.sh test

chaos: setup-sync build ## 10,000 events, 3 tabs, 3 reloads, 30% 500/429, a 60 s outage, offline toggles; Kafka must hold exactly the tracked set
	@tests/sync/run.sh chaos
