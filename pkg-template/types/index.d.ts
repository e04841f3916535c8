// Type declarations for edge-personalize, written by hand (not generated), so
// that every value the engine returns has a named shape and a doc comment.

// ---------------------------------------------------------------- loading

/** What `init` can load the engine from. */
export type WasmSource =
  | string
  | URL
  | Request
  | Response
  | Promise<Response>
  | BufferSource
  | WebAssembly.Module;

export interface InitOptions {
  /**
   * Where the wasm comes from. Browsers default to `edge_personalize_bg.wasm`
   * next to the package's module, compiled with `WebAssembly.instantiateStreaming`
   * (serve it as `application/wasm`). Node reads the bundled file; Cloudflare
   * Workers import it as a `WebAssembly.Module`. Pass bytes or a module to
   * load it yourself.
   */
  wasm?: WasmSource;
}

/**
 * Loads the engine once; later calls return the same promise. Every other
 * export needs it to have resolved (or `initSync` to have run).
 */
export function init(options?: InitOptions): Promise<void>;

/**
 * Node and Cloudflare Workers only: instantiates the engine synchronously from
 * the bundled wasm (or `options.wasm`, bytes or a `WebAssembly.Module`). Idempotent.
 */
export function initSync(options?: { wasm?: BufferSource | WebAssembly.Module }): void;

// ---------------------------------------------------------------- engine types

/** An event type the engine accepts. */
export type EventType =
  | "page_view"
  | "product_view"
  | "product_click"
  | "add_to_cart"
  | "remove_from_cart"
  | "purchase"
  | "search"
  | "impression"
  | "custom";

/** An item as events carry it: the id, and what the engine learns affinities from. */
export interface EventItem {
  id: string;
  category?: string;
  brand?: string;
  price?: number;
  quantity?: number;
}

/** Where an event happened. */
export interface EventContext {
  page?: string;
  slot?: string;
  device?: string;
}

/**
 * An event. Unknown fields are rejected (`INVALID_VALUE`), so a typo is an
 * error rather than lost data. Item events (`product_view`, `product_click`,
 * `add_to_cart`, `remove_from_cart`) need `item`; `purchase` and `impression`
 * need `items`; `search` needs `query`; `custom` needs `name`.
 */
export interface TrackEvent {
  type: EventType;
  /** 26-character time-ordered id; filled in when missing. */
  id?: string;
  sessionId?: string;
  userId?: string;
  /** Milliseconds since the epoch; after 2000-01-01, at most 5 minutes ahead. Default: now. */
  ts?: number;
  context?: EventContext;
  item?: EventItem;
  items?: EventItem[];
  /** The decision that showed the item (impressions and clicks from a slot). */
  decisionId?: string;
  /** Search text (`search`). */
  query?: string;
  /** Event name (`custom`). */
  name?: string;
  /** Flat properties (`custom`): at most 32, values string, number or boolean. */
  properties?: Record<string, string | number | boolean | null>;
}

/** An event as stored: `id`, `ts`, `sessionId` and `group` are always set. */
export interface StoredEvent extends TrackEvent {
  id: string;
  ts: number;
  sessionId: string;
  group: Group;
}

/** "holdout" sessions get best-sellers only (for measuring uplift). */
export type Group = "treatment" | "holdout";

/** The linear scorer's weights. */
export interface ScorerWeights {
  itemAffinity?: number;
  categoryAffinity?: number;
  brandAffinity?: number;
  relation?: number;
  recency?: number;
  popularity?: number;
  priceFit?: number;
  model?: number;
}

/** `new Personalizer(config)`. Every field is optional; bad values throw `INVALID_CONFIG`. */
export interface PersonalizerConfig {
  /** Seed of the engine's random numbers (ids, holdout); random by default. */
  seed?: number;
  sessionId?: string;
  userId?: string;
  /** Half-life of affinities, in seconds. Default 1800. */
  halfLifeSeconds?: number;
  /** Share of shoppers (0..1) held out with best-sellers only. Default 0. */
  holdoutShare?: number;
  /** Items per category in one decision. Default ⌈0.6·k⌉. */
  diversityCap?: number;
  weights?: ScorerWeights;
}

/** A request for one slot's items. */
export interface DecideRequest {
  slot: string;
  /** Number of items, 1..100. */
  k: number;
  /** Visible to rules as `context.*`. */
  context?: Record<string, unknown>;
  /** The product on the page: its relations seed candidates; never recommended. */
  item?: string;
  /** Item ids never to recommend. */
  exclude?: string[];
  /** Default true: cart items are not recommended. */
  excludeCart?: boolean;
  /** Default true: purchased items are not recommended. */
  excludePurchased?: boolean;
}

/** One recommended item. */
export interface DecisionItem {
  id: string;
  score: number;
  /**
   * Why it is there, e.g. `related:sku-17`, `accessories:sku-17`, `category:tents`,
   * `brand:acme`, `model`, `popular`, `rule:accessories-after-view`.
   */
  reasons: string[];
}

/** The answer to `decide`. */
export interface Decision {
  /** Time-ordered id; impressions and clicks refer to it. */
  decisionId: string;
  slot: string;
  items: DecisionItem[];
  /** Ids of the rules whose condition held for this decision. */
  rulesFired: string[];
  /** Rules skipped because they failed (e.g. `STEP_LIMIT`), with the error. */
  ruleErrors?: Array<{ rule: string; code: ErrorCode; message: string }>;
  /** True when best-sellers filled the slot (new shopper, thin data, holdout). */
  fallbackUsed: boolean;
  group: Group;
  /** The loaded model's version, or null. */
  modelVersion: string | null;
}

/** An entry of the session's recent interactions, newest first. */
export interface RecentEntry {
  item: string;
  type: EventType;
  category?: string;
  brand?: string;
  price?: number;
  ageSeconds: number;
}

/** The live session and what the engine runs with (`state()`), for debug drawers. */
export interface SessionState {
  id: string;
  sessionId: string;
  ageSeconds: number;
  recent: RecentEntry[];
  /** Decayed affinities per kind: key → weight. */
  affinity: { item: Record<string, number>; category: Record<string, number>; brand: Record<string, number> };
  cart: Array<{ item: string; quantity: number; price?: number }>;
  purchased: string[];
  /** Events per type, and `events` in all. */
  counters: Record<EventType | "events", number>;
  group: Group;
  catalogItems: number;
  catalogVersion: string | null;
  rules: number;
  rulesVersion: string | null;
  modelVersion: string | null;
}

/** A verdict of `validateEvents`. */
export type EventVerdict =
  | { ok: true; event: StoredEvent }
  | { ok: false; error: { code: ErrorCode; path: string; message: string } };

/** Every stable error code (`errorCodes()`); codes are never renamed, only added. */
export type ErrorCode =
  | "INVALID_JSON"
  | "TOO_LARGE"
  | "TOO_DEEP"
  | "MISSING_FIELD"
  | "WRONG_TYPE"
  | "INVALID_VALUE"
  | "BAD_TIMESTAMP"
  | "UNKNOWN_OPERATOR"
  | "BAD_ARITY"
  | "STEP_LIMIT"
  | "SNAPSHOT_CORRUPT"
  | "SNAPSHOT_VERSION"
  | "MODEL_CORRUPT"
  | "MODEL_VERSION"
  | "NOT_FOUND"
  | "INVALID_CONFIG"
  | "DUPLICATE_EVENT";

/**
 * What every engine call throws: a JS `Error` with a stable `code` and the
 * `path` of the offending input, e.g. `rules[3].condition.and[1]`.
 * The engine keeps working after any error.
 */
export interface EngineError extends Error {
  code: ErrorCode;
  path: string;
}

/** A catalog item. */
export interface CatalogItem {
  id: string;
  category?: string;
  brand?: string;
  price?: number;
  inStock?: boolean;
  tags?: string[];
  popularity?: number;
  related?: Array<{ id: string; weight: number }>;
  accessories?: Array<{ id: string; weight: number }>;
  similar?: Array<{ id: string; weight: number }>;
  [extra: string]: unknown;
}

/** The catalog `loadCatalog` reads. Ids become dense indices at load. */
export interface Catalog {
  version?: string;
  items: CatalogItem[];
  bestsellers?: string[];
}

/** A rule set (JsonLogic conditions, merchant actions); see the README. */
export interface RuleSet {
  version?: string;
  rules: Array<{
    id: string;
    priority?: number;
    description?: string;
    condition: unknown;
    action: Record<string, unknown> & { type: "boost" | "bury" | "pin" | "exclude" | "include_related" };
    slots?: string[];
    start?: string | number;
    end?: string | number;
  }>;
}

// ---------------------------------------------------------------- the engine

/** One shopper's engine: session state, rules, model, decisions. */
export class Personalizer {
  /** Throws `INVALID_CONFIG` for bad values. */
  constructor(config?: PersonalizerConfig | string);
  /** Validates and applies an event; returns it as stored. Throws an `EngineError`. */
  track(event: TrackEvent): StoredEvent;
  /**
   * Tracks events in order as `track` would, without returning the stored events
   * (cheaper per event). One entry per event: `null` when tracked, else the
   * `EngineError` `track` would have thrown. Throws `WRONG_TYPE` if `events` is not an array.
   */
  trackMany(events: TrackEvent[]): (EngineError | null)[];
  /** The items of one slot, with scores and reasons. */
  decide(request: DecideRequest): Decision;
  /** The session as compact, versioned, checksummed bytes (a 200-event session with its replay window is about 7.3 KB). */
  snapshot(): Uint8Array;
  /** Restores a snapshot. Bad bytes throw (`SNAPSHOT_CORRUPT`, `SNAPSHOT_VERSION`, `TOO_LARGE`) and leave a fresh session. */
  restore(bytes: Uint8Array | number[]): void;
  /** Saves the snapshot to `localStorage[key]` (base64, browser only). */
  saveToStorage(key: string): void;
  /** Restores from `localStorage[key]`; false when nothing is stored. */
  restoreFromStorage(key: string): boolean;
  /** Replaces the catalog (JSON text or object); a bad one throws and keeps the previous. */
  loadCatalog(catalog: Catalog | string): { items: number; danglingRelations: number; version: string | null };
  /** Replaces the rule set (JSON text or object); a bad one throws and keeps the previous. */
  loadRules(rules: RuleSet | string): { rules: number };
  /** Loads an `ep-model` artifact; a bad one throws (`MODEL_CORRUPT`, `MODEL_VERSION`) and keeps the previous. */
  loadModel(bytes: Uint8Array | number[]): { version: string };
  /** The live session and the loaded versions. */
  state(): SessionState;
  readonly sessionId: string;
  readonly group: Group;
  /** Frees the wasm memory of this engine (also `[Symbol.dispose]` where the runtime has it). */
  free(): void;
}

/**
 * Evaluates a JsonLogic condition on plain data exactly as rules are evaluated: for testing rules.
 * Only the parts of `data` the condition can read are converted into wasm.
 */
export function evalCondition(condition: unknown, data: unknown): unknown;

/**
 * Plain data converted into wasm once, for evaluating compiled conditions on it
 * many times without paying the JS-to-wasm conversion per call.
 */
export class ConditionData {
  constructor(data: unknown);
  free(): void;
}

/**
 * A JsonLogic condition compiled once (throws `UNKNOWN_OPERATOR`, `BAD_ARITY`,
 * `TOO_DEEP`, `TOO_LARGE` with the path in the condition), evaluated exactly as
 * rules are: for testing or evaluating one condition many times.
 */
export class CompiledCondition {
  constructor(condition: unknown);
  /** The condition's value on plain JS data, as `evalCondition` gives it. */
  evaluate(data: unknown): unknown;
  /** Whether the condition holds (JsonLogic truthiness) on data converted once. */
  matches(data: ConditionData): boolean;
  /** The condition's value on data converted once. */
  evaluateOn(data: ConditionData): unknown;
  free(): void;
}

/** Per-event verdicts for a batch (array, `{events}`, or JSON text), as the Worker's `/v1/collect` uses them. */
export function validateEvents(batch: unknown, nowMs: number, seed?: number | null): EventVerdict[];

/** The engine's version and the snapshot format it reads, e.g. `edge-personalize 0.1.0 (snapshot v2)`. */
export function version(): string;

/** Every stable error code. */
export function errorCodes(): ErrorCode[];

/**
 * Which build of the engine this entry loaded: `"size"` (browsers: the wasm
 * optimised for bytes) or `"speed"` (Node and Cloudflare Workers: optimised for
 * CPU time). Both behave the same; `"dev"` is a build made outside the package.
 */
export function wasmBuild(): "size" | "speed" | "dev";

// ---------------------------------------------------------------- snapshots

export interface SnapshotStoreOptions {
  /** Storage key (IndexedDB key, localStorage key). Default `"edge-personalize"`. */
  key?: string;
  /** Delay after the last change before the snapshot is written. Default 250 ms. */
  debounceMs?: number;
  /** Default `"auto"`: IndexedDB, else localStorage, else memory. */
  backend?: "auto" | "indexeddb" | "localstorage" | "memory";
  /** Called when a write fails (quota, private mode). */
  onError?: (error: unknown) => void;
}

/**
 * Debounced session storage. Writes happen `debounceMs` after the last
 * `schedule`, on `flush()`, and when the page is hidden or unloaded (then a
 * synchronous localStorage copy is kept too; `load` returns the newer).
 */
export interface SnapshotStore {
  readonly backend: "indexeddb" | "localstorage" | "memory";
  readonly key: string;
  /** True while a scheduled write has not happened yet. */
  readonly pending: boolean;
  /** Writes done so far. */
  readonly writes: number;
  readonly lastError: unknown;
  /** Remembers how to take the snapshot; the bytes are taken when the write happens. */
  schedule(takeSnapshot: () => Uint8Array): void;
  /** Writes a scheduled snapshot now. */
  flush(): Promise<void>;
  /** The newest stored snapshot, or null. */
  load(): Promise<Uint8Array | null>;
  /** Forgets the stored session. */
  clear(): Promise<void>;
  /** Stops listening to page events and closes the database. */
  close(): void;
}

/** Opens a snapshot store (browser; in Node only `backend: "memory"` persists). */
export function createSnapshotStore(options?: SnapshotStoreOptions): Promise<SnapshotStore>;

/** The session the edge Worker embedded in the page (`#ep-snapshot`), or null. */
export function readEdgeSnapshot(doc?: Document): { sessionId: string; snapshot: Uint8Array; decisions: Decision[] } | null;

// ---------------------------------------------------------------- the client

/**
 * Where stored events go for delivery to the Worker's `/v1/collect`: the
 * package's sync client, or anything with a `push`.
 */
export interface OutboxLike {
  push(event: StoredEvent): void;
}

/** A catalog, rule set or model: the data, a URL to fetch, or a function giving either. */
export type DataSource<T> = T | string | URL | Response | (() => T | string | URL | Response | Promise<T | string | URL | Response>);

export interface ClientOptions {
  config?: PersonalizerConfig;
  /** The catalog: an object, JSON text, or a URL to fetch. */
  catalog?: DataSource<Catalog>;
  rules?: DataSource<RuleSet>;
  /** An `ep-model` artifact: bytes or a URL. A failure to load it is reported to `onError` and ignored. */
  model?: DataSource<Uint8Array | ArrayBuffer>;
  /** Snapshot storage: options, a store, or false for none. Default: a store in browsers, none elsewhere. */
  storage?: SnapshotStoreOptions | SnapshotStore | false;
  /** Restore from the edge's `#ep-snapshot` when nothing is stored locally. Default true. */
  edgeSnapshot?: boolean;
  /** Receives every stored event (the sync client's outbox). */
  outbox?: OutboxLike;
  /** Called with every decision the client makes; `element` is the slot rendered, if any. */
  onDecision?: DecisionListener;
  /** Called with every stored event. */
  onTrack?: (event: StoredEvent) => void;
  /** Non-fatal problems: a model that did not load, a snapshot that did not restore. */
  onError?: (error: unknown) => void;
  fetch?: typeof fetch;
}

export type DecisionListener = (decision: Decision, info: { request: DecideRequest; element: Element | null }) => void;

/** One page's engine with storage, an outbox and rendering hooks. */
export interface Client {
  readonly personalizer: Personalizer;
  /** What loaded: `catalog`, `rules`, `model` (or `modelError`). */
  readonly info: {
    catalog?: { items: number; danglingRelations: number; version: string | null };
    rules?: { rules: number };
    model?: { version: string };
    modelError?: EngineError;
  };
  /** Where the session came from at start: local storage, the edge's page snapshot, or null (new). */
  readonly restored: "storage" | "edge" | null;
  readonly storage: SnapshotStore | null;
  readonly outbox: OutboxLike | null;
  /** Catalog fields of an item (when the catalog was given as data or fetched). */
  item(id: string): EventItem | null;
  /**
   * Tracks an event (item fields filled from the catalog), schedules a snapshot
   * save, hands the stored event to the outbox. Throws an `EngineError`.
   */
  track(event: TrackEvent): StoredEvent;
  /** Decides a slot and tells the onDecision listeners. */
  decide(request: DecideRequest, element?: Element | null): Decision;
  /** Decides every `[data-ep-slot]` (with `data-ep-k`, `data-ep-item`, `data-ep-context`) under root. */
  render(root?: ParentNode): Decision[];
  /** Adds a decision listener; returns a function that removes it. */
  onDecision(listener: DecisionListener): () => void;
  /** Adds an event listener; returns a function that removes it. */
  onTrack(listener: (event: StoredEvent) => void): () => void;
  state(): SessionState;
  snapshot(): Uint8Array;
  /** Writes a pending snapshot now. */
  flush(): Promise<void>;
  /** Forgets the stored session and starts a new one. */
  reset(): Promise<void>;
  /** Frees the engine and stops storage listeners. */
  destroy(): void;
}

/** Creates a client: loads data, restores the session. Call `init()` first. */
export function createClient(options?: ClientOptions): Promise<Client>;

// ---------------------------------------------------------------- autotracking

export interface AutotrackOptions {
  /** Where to listen. Default: the document. */
  root?: Document | Element;
  /** Share of an item that must be visible for an impression. Default 0.5. */
  threshold?: number;
  /** How long it must stay visible. Default 1000 ms. */
  dwellMs?: number;
  /** The page path events carry. Default `location.pathname`. */
  page?: () => string;
  /** Re-render the slots after each tracked click or view. Default false. */
  rerender?: boolean;
  /** Tracking errors (an invalid event); default `console.warn`. */
  onError?: (error: unknown) => void;
}

/**
 * Tracks from `data-ep-*` attributes: `data-ep-item` tiles (clicks),
 * `data-ep-view` (a product_view when it appears), `data-ep-action` buttons,
 * `data-ep-slot` items (impressions: ≥ threshold visible for ≥ dwellMs, once
 * per decision and item), `form[data-ep-search]` (search). Returns `stop`.
 */
export function autotrack(client: Client, options?: AutotrackOptions): () => void;
