// Bindings for the tests: the secrets (test values only) and test-sized limits.
// Read by vitest.config.mjs (in Node) and by the tests (in workerd), so both
// agree on the numbers without the tests importing the config.
export const TEST_BINDINGS = {
  WRITE_KEY: "test-write-key",
  USER_ID_SALT: "test-salt",
  SINK_TOKEN: "test-sink-token",
  ALLOWED_ORIGINS: "https://shop.example,http://127.0.0.1:8080",
  // Small enough that a test can exhaust them, see test/limits.test.js.
  MAX_BODY_BYTES: "262144",
  MAX_EVENTS_PER_BATCH: "500",
  RATE_IP_BURST: "40",
  RATE_IP_PER_SECOND: "1",
  RATE_SESSION_BURST: "600",
  RATE_SESSION_PER_SECOND: "1",
  // Nothing listens on port 9 (discard) on 127.0.0.1: the sink's failure path.
  SINK_URL: "http://127.0.0.1:9",
  SINK_RETRY_BASE_SECONDS: "0",
  SINK_RETRY_MAX_SECONDS: "0",
  SINK_TIMEOUT_MS: "2000",
};
