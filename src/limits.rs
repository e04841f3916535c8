//! Every limit of the engine, in one place.
//!
//! Each bounds what hostile or runaway input can cost a shopper's page: memory,
//! CPU time per call, or bytes on the wire. The README's limits table lists
//! each of them (with the model's, the Worker's, the gateway's and the sync
//! client's), and `tests/limits_table.rs` checks each is there with its value.

/// Largest JSON text the engine parses (rules, catalog, events, configs).
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// Deepest JSON nesting accepted by the parser. JsonLogic spends two JSON
/// levels per operator (`{"op": [...]}`), so this leaves room for conditions
/// at `MAX_RULE_DEPTH` inside a rules file.
pub const MAX_JSON_DEPTH: usize = 2 * MAX_RULE_DEPTH + 16;

/// Longest id (event, session, user, item, decision).
pub const MAX_ID_LEN: usize = 128;
/// Longest free-text field (page, search query, custom event name, tag).
pub const MAX_TEXT_LEN: usize = 512;
/// Most properties on one event's `properties` object.
pub const MAX_EVENT_PROPERTIES: usize = 32;
/// Longest short label on an event (`group`, and the `colo` the edge adds).
pub const MAX_LABEL_LEN: usize = 16;
/// Longest country code on an event (the edge adds it).
pub const MAX_COUNTRY_LEN: usize = 8;
/// Largest item quantity in one event.
pub const MAX_QUANTITY: f64 = 10_000.0;
/// Characters of an unknown field or action name echoed back in an error.
pub const MAX_ECHOED_CHARS: usize = 40;
/// Most items listed in one impression event.
pub const MAX_IMPRESSION_ITEMS: usize = 50;
/// Most events in one collected batch (the Worker's `/v1/collect`).
pub const MAX_BATCH_EVENTS: usize = 500;
/// How far into the future an event timestamp may lie (clock skew allowance).
pub const MAX_FUTURE_SKEW_MS: f64 = 5.0 * 60.0 * 1000.0;
/// Earliest timestamp accepted: 2000-01-01T00:00:00Z.
pub const MIN_TIMESTAMP_MS: f64 = 946_684_800_000.0;

/// Interactions remembered per session (the ring).
pub const SESSION_RING: usize = 200;
/// Affinity entries kept per kind (item, category, brand); the weakest is evicted.
pub const MAX_AFFINITIES_PER_KIND: usize = 256;
/// Distinct items in the cart.
pub const MAX_CART_ITEMS: usize = 100;
/// Purchased items remembered (for excluding them from slots).
pub const MAX_PURCHASED_ITEMS: usize = 100;
/// Event ids a session remembers to refuse re-delivered events (`DUPLICATE_EVENT`).
pub const MAX_SEEN_EVENT_IDS: usize = 256;
/// Inactivity that starts a new session.
pub const SESSION_TIMEOUT_MS: f64 = 30.0 * 60.0 * 1000.0;
/// Largest snapshot accepted by restore.
pub const MAX_SNAPSHOT_BYTES: usize = 256 * 1024;

/// Most rules in one rule set.
pub const MAX_RULES: usize = 500;
/// Deepest nesting of a rule condition.
pub const MAX_RULE_DEPTH: usize = 32;
/// Most nodes in one compiled condition.
pub const MAX_RULE_NODES: usize = 4096;
/// Evaluation steps one condition may take before it is stopped.
pub const MAX_EVAL_STEPS: u32 = 100_000;
/// Longest array a JsonLogic operation may build (merge, map, substr...).
pub const MAX_EVAL_ARRAY: usize = 10_000;

/// Largest factor a `boost` (or an `include_related` boost) may apply.
pub const MAX_BOOST_FACTOR: f64 = 1000.0;
/// Largest absolute scorer weight a config may set.
pub const MAX_SCORER_WEIGHT: f64 = 1000.0;

/// Most items in a catalog.
pub const MAX_CATALOG_ITEMS: usize = 200_000;
/// Most relations (related/accessory/similar) per item and kind.
pub const MAX_RELATIONS_PER_ITEM: usize = 64;
/// Most tags per item.
pub const MAX_TAGS_PER_ITEM: usize = 32;
/// Most items one decision may return.
pub const MAX_DECISION_K: usize = 100;
/// Most best-sellers in the fallback list.
pub const MAX_BESTSELLERS: usize = 1000;
/// Best-sellers taken by popularity when a catalog lists none.
pub const DERIVED_BESTSELLERS: usize = 100;

/// Most events one page's outbox holds; beyond it the drop policy decides (dropped events are counted and reported).
pub const MAX_OUTBOX_EVENTS: usize = 50_000;
/// Most bytes (event JSON) one outbox holds.
pub const MAX_OUTBOX_BYTES: usize = 16 * 1024 * 1024;
/// Largest batch body the outbox builds (the `keepalive` / `sendBeacon` budget is 64 KB).
pub const MAX_OUTBOX_BATCH_BYTES: usize = 256 * 1024;
/// Largest single event the outbox accepts.
pub const MAX_OUTBOX_EVENT_BYTES: usize = 32 * 1024;
/// Smallest batch or outbox byte budget a page may configure.
pub const MIN_OUTBOX_BYTES: usize = 1024;
/// Events per batch unless the page configures it (Segment's and Snowplow's ~20).
pub const DEFAULT_OUTBOX_BATCH_EVENTS: usize = 20;
/// Bytes per batch unless configured: what `keepalive` and `sendBeacon` carry.
pub const DEFAULT_OUTBOX_BATCH_BYTES: usize = 64 * 1024;
/// Events one page's outbox holds unless configured.
pub const DEFAULT_OUTBOX_EVENTS: usize = 5_000;
/// Bytes one page's outbox holds unless configured.
pub const DEFAULT_OUTBOX_BYTES: usize = 2 * 1024 * 1024;
/// Age after which a waiting event is dropped (counted) unless configured.
pub const DEFAULT_OUTBOX_MAX_AGE_MS: f64 = 7.0 * 24.0 * 60.0 * 60.0 * 1000.0;
