// edge-personalize Worker: routes and bindings around the shared wasm core.
//
//   POST /v1/collect   validate (core), enrich, queue          collect.js
//   POST /v1/decide    decide in the session's Durable Object   decide.js, session.js
//   GET  /v1/config    rules + versions, edge-cached, ETag      config.js
//   GET  / and /p/*    storefront HTML with decided slots       render.js
//   queue              Kafka REST sink, retries, dead letters   sink.js

import { route } from "./router.js";
import { consume } from "./sink.js";

export { SessionDO } from "./session.js";

export default {
  fetch: route,
  queue: consume,
};
