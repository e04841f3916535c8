// Worker tests run inside workerd (@cloudflare/vitest-pool-workers), against
// the top-level wrangler.toml and the real wasm core from dist/server (`make build`, the speed build).
// Secrets and test-sized limits are bindings here, never in wrangler.toml.
import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { prepareCore } from "./scripts/prepare-core.mjs";
import { TEST_BINDINGS } from "./test/bindings.js";

if (!process.env.EP_SKIP_PREPARE_CORE) prepareCore();


export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./src/index.js",
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        bindings: TEST_BINDINGS,
        // A real model artifact from ep-model (the model owner's test fixture).
        dataBlobBindings: { TEST_MODEL_EPM: "../tests/model-fixtures/small.epm" },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.js"],
    testTimeout: 30000,
    // Logs of passing tests (expected warnings on failure paths) stay out of the output.
    silent: "passed-only",
  },
});
