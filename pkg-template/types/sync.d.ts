// Types of `edge-personalize/sync` (pkg-template/src/sync/, the browser sync
// client), written by hand from its documented contract.

import type { StoredEvent, OutboxLike, ErrorCode } from "./index.js";

/** The core outbox's settings (batching, bounds, backoff). */
export interface OutboxConfig {
  /** Events per request. Default 20. */
  batchEvents?: number;
  /** Bytes per request. Default 64 KB. */
  batchBytes?: number;
  /** Longest wait before a partial batch is sent. Default 5000 ms. */
  flushIntervalMs?: number;
  /** Most events kept; beyond it the drop policy applies. */
  maxEvents?: number;
  maxBytes?: number;
  dropPolicy?: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxAgeMs?: number;
}

export interface SyncOptions {
  /** The Worker's collect URL, e.g. `https://edge.example.com/v1/collect`. */
  url: string;
  /** Sent as `X-EP-Write-Key`. */
  writeKey?: string;
  /** Default "pending": events wait in memory only (never stored, never sent) until `grant()`. */
  consent?: "granted" | "pending" | "denied";
  /** Fields (dot paths) dropped, or replaced by hex SHA-256(salt + value). */
  pii?: { drop?: string[]; hash?: string[]; salt?: string };
  outbox?: OutboxConfig;
  /** The durable queue. Default: IndexedDB, else localStorage, else memory. */
  storage?: "indexeddb" | "localstorage" | "memory";
  /** Name of the lock that elects the one sending tab. Default "ep-sync". */
  lockName?: string;
  /** A new sending tab's pause before its first send. Default 1000 ms. */
  handoffMs?: number;
  onRejected?: (rejections: Array<{ id: string; code: ErrorCode | string; message: string }>) => void;
  onDelivered?: (ids: string[]) => void;
  fetch?: typeof fetch;
}

/** Counters of the outbox (the sending tab's, shared with the other tabs). */
export interface SyncStatus {
  queued: number;
  inFlight: number;
  delivered: number;
  rejected: number;
  dropped: number;
  lastError: string | null;
  consent: "granted" | "pending" | "denied";
  heldForConsent: number;
  storage: string;
  leader: boolean;
  [more: string]: unknown;
}

/** The sync client: an outbox for `createClient({ outbox })`. */
export interface Sync extends OutboxLike {
  /** Hands a stored event (as `track` returns it) to the outbox. */
  push(event: StoredEvent): void;
  /** Consent given: held events go out with their original timestamps. */
  grant(): Promise<void> | void;
  /** Consent refused: held events are discarded, later ones too. */
  deny(): void;
  readonly consent: "granted" | "pending" | "denied";
  /** Sends whatever waits now (still honouring backoff and offline). */
  flush(): Promise<void>;
  /** Resolves once every push so far is stored. */
  settled(): Promise<void>;
  status(): SyncStatus;
  /** Stops sending and gives the sender role to another tab. */
  close(): void;
}

/** Starts the sync client (browser). Call the package's `init()` first. */
export function createSync(options: SyncOptions): Promise<Sync>;
