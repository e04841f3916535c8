// Browser sync: delivers tracked events to the Worker's POST /v1/collect and
// never loses one silently.
//
//   const sync = await createSync({ url: "https://edge.example/v1/collect", writeKey: "...",
//                                   consent: "pending", pii: { drop: ["userId"], hash: ["properties.email"], salt } });
//   const client = await createClient({ ..., outbox: sync });   // client.track(...) -> sync.push(event)
//   sync.grant();  sync.status();  // {queued, inFlight, delivered, dropped, rejected, lastError, ...}
//
// The decisions (batching by count, bytes and time; backoff with full jitter;
// Retry-After; which answers reject and which retry; bounds and the drop
// policy) are the core's outbox state machine (wasm `Outbox`, src/outbox/).
// This file does the I/O around it:
// - durable queue: IndexedDB -> localStorage -> memory (store.js), one record per event;
// - one sending tab (leader.js); other tabs append to the shared queue and tell it;
// - transport: fetch (keepalive when small), and on pagehide every waiting event in
//   keepalive chunks of at most 64 KB; they stay queued until an answer acknowledges them;
// - online / offline / visibilitychange / pagehide;
// - consent: before a grant, events wait in memory only (never stored, never sent);
// - PII: fields dropped, or replaced by SHA-256(salt + value) (crypto.subtle).
import { Outbox as WasmOutbox } from "../../wasm/edge_personalize.js";
import { openStore } from "./store.js";
import { elect } from "./leader.js";

/** Largest pagehide chunk: the browsers' budget for keepalive / sendBeacon bodies. */
const CHUNK_BYTES = 64 * 1024;
/** A batch goes out with keepalive only under this, leaving room for headers in the budget. */
const KEEPALIVE_MAX_BYTES = CHUNK_BYTES - 1024;
/** Events waiting (stored, or held before consent) unless `options.outbox.maxEvents` says otherwise. */
const DEFAULT_MAX_QUEUED = 5000;
/** Settled ids remembered so a stale stored copy is not sent again; the oldest TRIM go when it is full. */
const SETTLED_IDS_MAX = 50000;
const SETTLED_IDS_TRIM = 10000;
/** Rejections kept for status(). */
const REJECTIONS_KEPT = 100;
const URGENT = new Set(["purchase", "add_to_cart"]);
const enc = new TextEncoder();

function retryAfterSeconds(h) {
  if (h == null || h === "") return undefined;
  const n = Number(h);
  if (Number.isFinite(n)) return Math.max(0, n);
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.max(0, (t - Date.now()) / 1000) : undefined;
}

async function sha256Hex(text) {
  const d = await crypto.subtle.digest("SHA-256", enc.encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Applies the PII policy to a copy of the event: `drop` and `hash` are dot paths. */
async function scrub(event, pii) {
  if (!pii || (!pii.drop?.length && !pii.hash?.length)) return event;
  const ev = structuredClone(event);
  const walk = (path) => {
    const parts = path.split(".");
    let o = ev;
    for (const p of parts.slice(0, -1)) {
      if (o == null || typeof o !== "object") return [null, null];
      o = o[p];
    }
    return o != null && typeof o === "object" ? [o, parts[parts.length - 1]] : [null, null];
  };
  for (const path of pii.drop ?? []) {
    const [o, k] = walk(path);
    if (o) delete o[k];
  }
  for (const path of pii.hash ?? []) {
    const [o, k] = walk(path);
    if (o && o[k] != null) o[k] = await sha256Hex(`${pii.salt ?? ""}${o[k]}`);
  }
  return ev;
}

/**
 * Starts the sync client. Options: `url` (the /v1/collect URL), `writeKey`,
 * `consent` ("granted" | "pending" | "denied", default "pending"), `pii`
 * ({drop, hash, salt}), `outbox` (the core's outbox config: batchEvents,
 * batchBytes, flushIntervalMs, maxEvents, maxBytes, dropPolicy, backoffBaseMs,
 * backoffMaxMs, maxAgeMs), `storage` ("indexeddb" | "localstorage" | "memory"),
 * `lockName`, `handoffMs` (a new sending tab's pause before its first send, default 1000),
 * `onRejected(rejections)`, `onDelivered(ids)`, `fetch`, `Outbox`
 * (the wasm class, when the glue is loaded elsewhere).
 */
export async function createSync(options = {}) {
  const url = options.url;
  if (!url) throw new Error("edge-personalize sync: options.url (the /v1/collect URL) is required");
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const OutboxClass = options.Outbox ?? WasmOutbox;
  const ob = new OutboxClass(options.outbox ?? {});
  const store = await openStore({ prefer: options.storage });
  const name = options.lockName ?? "ep-sync";
  const tabId = (globalThis.crypto?.randomUUID?.() ?? String(Math.random())).slice(0, 36);
  const headers = { "content-type": "application/json" };
  if (options.writeKey) headers["x-ep-write-key"] = options.writeKey;

  let consent = options.consent ?? "pending";
  const held = []; // consent pending: memory only
  const maxQueued = options.outbox?.maxEvents ?? DEFAULT_MAX_QUEUED;
  const maxHeld = maxQueued;
  const counts = { consentDiscarded: 0, consentDropped: 0, storageErrors: 0, unloadChunks: 0, requests: 0 };
  const rejected = []; // the last rejections, for status()
  let lastError = null;
  let shared = null; // the sender's status, as broadcast to the other tabs
  let sending = false;
  let handedOver = false; // this tab leads and its handoff pause is over
  let timer = null;
  let closed = false;
  let chain = Promise.resolve();
  let leader = null;
  let lastSession = null;
  const known = new Set(); // ids in the outbox, so loading the store is O(new records)
  const done = new Set(); // ids settled lately: a store read racing their deletion must not revive them

  let bc = null;
  try {
    bc = new BroadcastChannel(`${name}:news`);
    bc.onmessage = (e) => {
      if (e.data?.t === "new" && leader?.isLeader) scheduleLoad();
      if (e.data?.t === "status" && !leader?.isLeader) shared = e.data.s;
    };
  } catch {
    /* no BroadcastChannel: the sender rescans the store on every flush interval */
  }

  // ---- the sending tab
  let loadTimer = null;
  function scheduleLoad() {
    if (loadTimer) return;
    loadTimer = setTimeout(() => {
      loadTimer = null;
      load().then(pump);
    }, 200);
  }
  /** Takes every stored record into the outbox (adding a known id changes nothing). */
  async function load() {
    if (!leader?.isLeader) return;
    let recs;
    try {
      recs = await store.all();
    } catch (e) {
      lastError = `storage read: ${e?.message ?? e}`;
      return;
    }
    const gone = [];
    for (const r of recs) {
      if (known.has(r.id) || done.has(r.id)) continue;
      try {
        const res = ob.enqueue(r.body, !!r.urgent, r.at);
        known.add(r.id);
        gone.push(...res.dropped);
      } catch (e) {
        // A record the outbox can never send (corrupt, too large): rejected locally, with its reason.
        rejected.push({ id: r.id, code: e?.code ?? "INVALID_VALUE", message: String(e?.message ?? e) });
        gone.push(r.id);
      }
    }
    await forget(gone);
  }

  async function forget(ids) {
    if (!ids.length) return;
    for (const id of ids) {
      known.delete(id);
      done.add(id);
    }
    if (done.size > SETTLED_IDS_MAX) for (const id of [...done].slice(0, SETTLED_IDS_TRIM)) done.delete(id);
    try {
      await store.delete(ids);
    } catch (e) {
      lastError = `storage delete: ${e?.message ?? e}`;
    }
  }

  /**
   * Dropped events are counted by the outbox; the count itself goes to the
   * stream as an `ep_outbox_dropped` event once there is room for it (so the
   * report never causes a drop of its own).
   */
  function reportDrops() {
    const st = ob.status();
    if (st.dropsUnreported <= 0 || !lastSession || st.queued + st.inFlight >= maxQueued) return;
    const n = ob.takeDropsToReport();
    const ev = {
      id: `drop-${tabId}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      type: "custom",
      name: "ep_outbox_dropped",
      sessionId: lastSession,
      ts: Date.now(),
      properties: { count: n },
    };
    try {
      ob.enqueue(JSON.stringify(ev), true);
      known.add(ev.id);
    } catch {
      /* cannot happen for this small event; the count stays in status().dropped */
    }
  }

  function broadcastStatus() {
    try {
      bc?.postMessage({ t: "status", s: ob.status() });
    } catch {
      /* closed */
    }
  }

  function schedule() {
    clearTimeout(timer);
    if (closed || !leader?.isLeader) return;
    const wake = ob.nextWake();
    // Wake at the outbox's time, and at least every few seconds to pick up
    // records other tabs stored without a BroadcastChannel message.
    const rescan = options.outbox?.flushIntervalMs ?? 5000;
    const at = wake === undefined ? Date.now() + rescan : Math.min(wake, Date.now() + rescan);
    timer = setTimeout(() => load().then(pump), Math.max(20, at - Date.now()));
  }

  async function pump(force = false) {
    if (closed || !leader?.isLeader || !handedOver || sending) return;
    await forget(ob.expire());
    reportDrops();
    const b = ob.nextBatch(force);
    if (!b) return schedule();
    sending = true;
    let status = 0;
    let ra;
    let text = "";
    try {
      counts.requests++;
      const res = await fetchImpl(url, {
        method: "POST",
        headers,
        body: b.body,
        // keepalive, so the batch survives the page going away; the unload chunks leave
        // it out, and a new sending tab waits `handoffMs` before it sends.
        keepalive: b.body.length <= KEEPALIVE_MAX_BYTES,
        credentials: "omit",
      });
      status = res.status;
      ra = retryAfterSeconds(res.headers.get("retry-after"));
      text = await res.text();
    } catch (e) {
      status = 0;
      lastError = `network: ${e?.message ?? e}`;
    }
    const out = ob.onResponse(b.seq, status, ra, text);
    sending = false;
    if (out.rejected.length) {
      rejected.push(...out.rejected);
      if (rejected.length > REJECTIONS_KEPT) rejected.splice(0, rejected.length - REJECTIONS_KEPT);
      options.onRejected?.(out.rejected);
    }
    if (out.delivered.length) options.onDelivered?.(out.delivered);
    await forget([...out.delivered, ...out.rejected.map((r) => r.id)]);
    broadcastStatus();
    pump(force);
  }

  // ---- adding events
  async function ingest(event) {
    const ev = await scrub(event, options.pii);
    if (typeof ev.sessionId === "string") lastSession = ev.sessionId;
    const body = JSON.stringify(ev);
    const rec = { id: ev.id, body, urgent: URGENT.has(ev.type), at: Date.now() };
    let stored = true;
    try {
      await store.put(rec);
    } catch (e) {
      // Quota or a closed database: this record is not durable, the stored ones are untouched.
      stored = false;
      counts.storageErrors++;
      lastError = `storage write: ${e?.name ?? ""} ${e?.message ?? e}`.trim();
    }
    if (leader?.isLeader) {
      try {
        const r = ob.enqueue(body, rec.urgent, rec.at);
        known.add(ev.id);
        await forget(r.dropped);
      } catch (e) {
        rejected.push({ id: ev.id, code: e?.code ?? "INVALID_VALUE", message: String(e?.message ?? e) });
        await forget([ev.id]);
      }
      pump();
    } else if (stored) {
      bc?.postMessage({ t: "new" });
    } else {
      // Not durable and not ours to send: hand it to the sender directly.
      bc?.postMessage({ t: "new" });
    }
  }

  function enqueueIngest(event) {
    chain = chain.then(() => ingest(event)).catch((e) => {
      lastError = String(e?.message ?? e);
    });
    return chain;
  }

  // ---- page lifecycle
  function unloadSend() {
    if (!leader?.isLeader) return;
    // Every queued event (the in-flight batch has its own keepalive request). keepalive
    // requests share a 64 KB budget per page: the first chunks go now, the rest stay
    // stored and leave with the next page (the events are still queued).
    for (const body of ob.unloadChunks(CHUNK_BYTES)) {
      try {
        counts.unloadChunks++;
        fetchImpl(url, { method: "POST", headers, body, keepalive: true, credentials: "omit" }).catch(() => {});
      } catch {
        break; // over the keepalive budget
      }
    }
  }
  const onOnline = () => {
    ob.setOnline(true);
    pump();
  };
  const onOffline = () => ob.setOnline(false);
  const onVisibility = () => {
    if (document.visibilityState === "hidden") pump(true);
  };
  const onPagehide = () => {
    unloadSend();
    // A lease is handed over at once (a Web Lock is released by the browser itself).
    if (leader?.via === "localstorage-lease") {
      leader.release();
      handedOver = false;
    }
  };
  if (globalThis.addEventListener) {
    addEventListener("online", onOnline);
    addEventListener("offline", onOffline);
    addEventListener("pagehide", onPagehide);
    globalThis.document?.addEventListener("visibilitychange", onVisibility);
  }
  if (globalThis.navigator && navigator.onLine === false) ob.setOnline(false);

  const startLeading = () => {
    if (consent !== "granted") return;
    // A new sending tab waits `handoffMs` before its first send: the unload requests of the
    // tab it replaces (keepalive, up to 64 KB) get time to finish first, so the same events
    // are not in flight from two tabs at once. Re-sends are harmless either way (ids).
    const handoffMs = options.handoffMs ?? 1000;
    leader = elect(name, () => setTimeout(() => {
      handedOver = true;
      load().then(() => pump());
    }, handoffMs), { storageKind: store.kind, tabId });
  };
  if (consent === "granted") startLeading();

  const api = {
    /** Hands a stored event (as `track` returns it) to the outbox. */
    push(event) {
      if (closed || !event || typeof event !== "object") return;
      if (consent === "denied") {
        counts.consentDiscarded++;
        return;
      }
      if (consent === "pending") {
        if (held.length >= maxHeld) {
          held.shift();
          counts.consentDropped++;
        }
        held.push(event);
        return;
      }
      enqueueIngest(event);
    },
    /** Consent given: the held events go out with their original timestamps. */
    grant() {
      if (consent === "granted") return chain;
      consent = "granted";
      startLeading();
      for (const ev of held.splice(0)) enqueueIngest(ev);
      return chain;
    },
    /** Consent refused: held events are discarded, later ones too. */
    deny() {
      consent = "denied";
      counts.consentDiscarded += held.length;
      held.length = 0;
    },
    get consent() {
      return consent;
    },
    /** Sends whatever waits now (still honouring backoff and offline). */
    async flush() {
      await chain;
      await load();
      await pump(true);
    },
    /** Resolves once every push so far is stored (and, in the sending tab, queued). */
    settled() {
      return chain;
    },
    status() {
      const own = leader?.isLeader ? ob.status() : shared ?? ob.status();
      return {
        ...own,
        consent,
        heldForConsent: held.length,
        consentDiscarded: counts.consentDiscarded,
        consentDropped: counts.consentDropped,
        storageErrors: counts.storageErrors,
        requests: counts.requests,
        unloadChunks: counts.unloadChunks,
        storage: store.kind,
        leader: !!leader?.isLeader,
        leaderVia: leader?.via ?? "none",
        lastError: own.lastError ?? lastError,
        rejectedRecent: rejected.slice(-20),
      };
    },
    /** Stops sending and gives the sender role to another tab. */
    close() {
      closed = true;
      clearTimeout(timer);
      ob.abandon();
      known.clear();
      leader?.release();
      if (globalThis.removeEventListener) {
        removeEventListener("online", onOnline);
        removeEventListener("offline", onOffline);
        removeEventListener("pagehide", onPagehide);
        globalThis.document?.removeEventListener("visibilitychange", onVisibility);
      }
      bc?.close();
      store.close();
    },
  };
  return api;
}
