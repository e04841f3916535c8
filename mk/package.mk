# The npm package (pkg-template/ + dist/web + dist/server -> dist/edge-personalize-*.tgz) and
# its tests: the packed tarball installed into a scratch Vite 7 app and a plain
# <script type="module"> page (headless Chromium), a Cloudflare Worker (workerd),
# Node and strict tsc; and the storefront (www/) end to end in headless Chromium,
# its sync client delivering to wrangler dev. Screenshots: dist/screenshots/.
# `make bench-www` measures load -> first personalised slot (not part of make test).

SETUP_TARGETS += setup-package
TEST_TARGETS += test-package test-storefront

.PHONY: setup-package test-package test-storefront bench-www

PACKAGE_INPUTS := $(shell find pkg-template -type f 2>/dev/null) scripts/package.sh dist/size.json

setup-package: ## npm packages of the package tests (tests/package: vite 7, playwright-core, typescript)
	@scripts/ensure-tools.sh npm tests/package

dist/package-report.json: $(PACKAGE_INPUTS)
	@scripts/package.sh

package: dist/package-report.json ## Pack the npm package edge-personalize into dist/ (report: dist/package-report.json)

test-package: package setup-package setup-worker ## The tarball in a scratch Vite 7 app, a plain module page (headless Chromium), a Worker (workerd), Node, tsc
	@tests/package/run.sh package

test-storefront: build setup-package setup-worker ## The storefront: browse, accessories first, reload restores, sync (screenshots in dist/screenshots/)
	@tests/package/run.sh storefront

bench-www: build setup-package ## Median ms from page load to the first personalised slot (headless Chromium) -> dist/bench-www.json
	@tests/package/run.sh bench
