// SessionDO: one Durable Object per shopper session, for server-side
// decisions (edge rendering, /v1/decide) and replay detection on collect.
//
// A session object holds only its session: the core's snapshot bytes (a few
// KB, the replay window of recent event ids included), in memory and in its
// (SQLite-backed) storage.
// The catalog, rules and model live once per isolate, in one loaded
// Personalizer that every session object in the isolate shares (`host`):
// a 10k-item catalog with its model is ~10 MB of wasm heap and ~300 ms to
// load, so one Personalizer per session would fit about ten sessions in an
// isolate's 128 MB and pay the load on every activation. Each call restores
// the session into the host, works and takes the new snapshot in one
// synchronous stretch, so two sessions never interleave inside it.
// The same snapshot bytes travel to the browser (base64 in the page), so the
// page continues the session the edge started, and back (a client snapshot
// can seed a session object that has no state yet).

import { DurableObject } from "cloudflare:workers";
import { Personalizer } from "./core.js";
import { loadAssets } from "./assets.js";

const SNAPSHOT_KEY = "snapshot";

function assetsKey(a) {
  return `${a.catalogVersion}/${a.rulesVersion}/${a.modelHash}`;
}

/** The isolate's loaded Personalizer and the assets key it was loaded with. */
let host = null;

/**
 * Loads catalog, rules and model into `p`. A model the core refuses is left
 * out: decisions fall back to the catalog's relations and best-sellers (and
 * say so in their reasons). Bad catalog or rules throw.
 */
function loadAssetsInto(p, assets) {
  p.loadCatalog(assets.catalogText);
  p.loadRules(assets.rulesText);
  if (assets.model) {
    try {
      p.loadModel(assets.model);
    } catch (err) {
      console.error("model rejected, deciding without it:", coreError(err).code);
    }
  }
}

/**
 * Makes sure the shared host holds the current assets. Newly published ones
 * go into the live host (the core keeps what it had when they are bad), so
 * there is never a second loaded copy. Callers read `host.p` right after this
 * resolves and use it without awaiting in between.
 */
async function ensureHost(env) {
  const assets = await loadAssets(env);
  const key = assetsKey(assets);
  if (host === null) {
    // No seed: the core draws one, so ids made in different isolates differ.
    const p = new Personalizer({});
    try {
      loadAssetsInto(p, assets);
    } catch (err) {
      p.free();
      throw err;
    }
    host = { p, key };
  } else if (host.key !== key) {
    try {
      loadAssetsInto(host.p, assets);
    } catch (err) {
      console.error("published assets rejected:", coreError(err).code);
    }
    host.key = key;
  }
  return host.p;
}

/** Snapshot bytes of a new, empty session `sessionId` (no assets needed). */
function freshSession(sessionId) {
  const p = new Personalizer({ sessionId });
  try {
    return p.snapshot();
  } finally {
    p.free();
  }
}

/** The `{ code, path, message }` of a core error; unknown throws stay opaque. */
export function coreError(err) {
  if (err && typeof err.code === "string") {
    return { code: err.code, path: err.path ?? "", message: String(err.message ?? "") };
  }
  console.error("unexpected error from the core:", err && err.stack ? err.stack : String(err));
  return { code: "INTERNAL", path: "", message: "internal error" };
}

export class SessionDO extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.bytes = null; // this session's snapshot (Uint8Array)
    this.sessionId = null;
  }

  /** True when `bytes` restore into `p` as session `sessionId`. */
  #restores(p, bytes, sessionId) {
    try {
      p.restore(bytes);
    } catch (err) {
      console.warn("session snapshot rejected:", err && err.code ? err.code : "unknown");
      return false;
    }
    // A snapshot of another session must not become this one's state.
    return p.sessionId === sessionId;
  }

  /** First use: the stored snapshot (or the client's), else a fresh session. */
  async #load(sessionId, clientSnapshot) {
    const stored = await this.ctx.storage.get(SNAPSHOT_KEY);
    const candidate = stored ?? clientSnapshot;
    const p = await ensureHost(this.env);
    // From here to the end: no await while the host holds this session.
    const usable = candidate && this.#restores(p, candidate, sessionId);
    this.bytes = usable ? p.snapshot() : freshSession(sessionId);
    this.sessionId = sessionId;
    if (!stored && usable) await this.ctx.storage.put(SNAPSHOT_KEY, this.bytes);
  }

  /**
   * Runs `work(p)` on the shared host with this session restored into it and
   * returns its result; `this.bytes` becomes the session after the work. The
   * first call loads the session while other calls wait
   * (blockConcurrencyWhile), so two early requests cannot build two sessions.
   */
  async #withSession(sessionId, clientSnapshot, work) {
    if (this.bytes === null || this.sessionId !== sessionId) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.bytes === null || this.sessionId !== sessionId) await this.#load(sessionId, clientSnapshot);
      });
    }
    const p = await ensureHost(this.env);
    // Synchronous from here: restore, work, snapshot.
    if (!this.#restores(p, this.bytes, sessionId)) {
      // Bytes this object wrote itself; refusing them means a core upgrade
      // changed the format: start over rather than fail every request.
      this.bytes = freshSession(sessionId);
      p.restore(this.bytes);
    }
    const result = work(p);
    this.bytes = p.snapshot();
    return result;
  }

  /**
   * Tracks validated events in order. Returns `{ tracked, rejected,
   * duplicates }`; one bad event does not stop the rest (the core says why it
   * refused it). `duplicates` lists the indices of events whose id this
   * session has tracked before: the core remembers the session's last
   * MAX_SEEN_EVENT_IDS ids in its snapshot and refuses a repeat with
   * DUPLICATE_EVENT, counting nothing twice; the caller does not queue them
   * again.
   */
  async track(sessionId, events) {
    const outcome = await this.#withSession(sessionId, null, (p) => {
      let tracked = 0;
      const rejected = [];
      const duplicates = [];
      // One call for the batch: `trackMany` tracks in order as `track` would,
      // without handing each stored event back (the object never reads it),
      // and answers per event `null` or the error `track` would have thrown.
      p.trackMany(events).forEach((err, index) => {
        if (err === null) {
          tracked += 1;
          return;
        }
        const code = err && err.code ? err.code : "INTERNAL";
        if (code === "DUPLICATE_EVENT") duplicates.push(index);
        else rejected.push({ index, code });
      });
      return { tracked, rejected, duplicates };
    });
    if (outcome.tracked > 0) await this.ctx.storage.put(SNAPSHOT_KEY, this.bytes);
    return outcome;
  }

  /**
   * Decides one slot. `opts.snapshot` (bytes) seeds a session object that has
   * no state yet; `opts.withSnapshot` returns the snapshot for hydration.
   */
  async decide(sessionId, request, opts = {}) {
    const out = await this.#withSession(sessionId, opts.snapshot ?? null, (p) => {
      try {
        return { decision: p.decide(request) };
      } catch (err) {
        // Core errors cross the RPC boundary as data: custom Error fields do not.
        return { error: coreError(err) };
      }
    });
    if (out.error) return out;
    await this.ctx.storage.put(SNAPSHOT_KEY, this.bytes);
    if (opts.withSnapshot) out.snapshot = this.bytes;
    return out;
  }

  /** The session's snapshot bytes (after loading it if needed). */
  async snapshot(sessionId) {
    await this.#withSession(sessionId, null, () => null);
    return this.bytes;
  }

  /** The session's state as the core reports it (for tests and debugging). */
  async state(sessionId) {
    return this.#withSession(sessionId, null, (p) => p.state());
  }
}
