// SessionDO: one Durable Object per shopper session, holding the core's
// Personalizer for server-side decisions (edge rendering, /v1/decide).
//
// State lives in the core; this object only keeps it alive between requests:
// it restores the Personalizer from the last snapshot in its (SQLite-backed)
// storage when it starts, and saves a new snapshot after every change. The
// same snapshot bytes travel to the browser (base64 in the page), so the page
// continues the session the edge started, and back (a client snapshot can seed
// a session object that has no state yet).

import { DurableObject } from "cloudflare:workers";
import { Personalizer } from "./core.js";
import { loadAssets } from "./assets.js";

const SNAPSHOT_KEY = "snapshot";
const SEEN_IDS_KEY = "seenIds";
/**
 * Event ids each session remembers for replay detection (see collect.js).
 * Ids are at most 128 characters, so the stored list stays under 64 KB; 512
 * covers far more than one page's outbox retries (a batch holds at most 500).
 */
export const SEEN_IDS_MAX = 512;

function assetsKey(a) {
  return `${a.catalogVersion}/${a.rulesVersion}/${a.modelHash}`;
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
    this.p = null;
    this.sessionId = null;
    this.assetsKey = null;
    this.seenIds = null; // Set of recent event ids, insertion order = age
  }

  /** The replay window, loaded from storage on first use. */
  async #seen() {
    if (this.seenIds === null) {
      const stored = await this.ctx.storage.get(SEEN_IDS_KEY);
      this.seenIds = new Set(Array.isArray(stored) ? stored : []);
    }
    return this.seenIds;
  }

  /** Remembers `id`, forgetting the oldest ids beyond SEEN_IDS_MAX. */
  #remember(seen, id) {
    seen.add(id);
    while (seen.size > SEEN_IDS_MAX) seen.delete(seen.values().next().value);
  }

  /**
   * Loads catalog, rules and model into `p`; returns the assets' version key.
   * A model the core refuses is left out: decisions fall back to the
   * catalog's relations and best-sellers (and say so in their reasons).
   */
  #loadAssetsInto(p, assets) {
    p.loadCatalog(assets.catalogText);
    p.loadRules(assets.rulesText);
    if (assets.model) {
      try {
        p.loadModel(assets.model);
      } catch (err) {
        console.error("model rejected, deciding without it:", coreError(err).code);
      }
    }
    return assetsKey(assets);
  }

  /** A Personalizer with the current catalog, rules and model, for `sessionId`. */
  async #fresh(sessionId) {
    const assets = await loadAssets(this.env);
    // No seed: the core draws one, so ids made in different objects differ.
    const p = new Personalizer({ sessionId });
    this.assetsKey = this.#loadAssetsInto(p, assets);
    return p;
  }

  /** Restores `bytes` into `p`; false (and a fresh session) when they are unusable. */
  #restoreInto(p, bytes, sessionId) {
    try {
      p.restore(bytes);
    } catch (err) {
      console.warn("session snapshot rejected:", err && err.code ? err.code : "unknown");
      return false;
    }
    // A snapshot of another session must not become this one's state.
    return p.state().sessionId === sessionId;
  }

  /** First use: restore from storage (or the client's snapshot), else start fresh. */
  async #load(sessionId, clientSnapshot) {
    const stored = await this.ctx.storage.get(SNAPSHOT_KEY);
    let p = await this.#fresh(sessionId);
    const bytes = stored ?? clientSnapshot;
    if (bytes && !this.#restoreInto(p, bytes, sessionId)) {
      p.free();
      p = await this.#fresh(sessionId);
    }
    this.p = p;
    this.sessionId = sessionId;
    if (!stored && bytes) await this.#save();
  }

  /**
   * The live Personalizer. The first call loads it while other calls wait
   * (blockConcurrencyWhile), so two early requests cannot build two sessions.
   * Later calls pick up newly published catalog, rules or model.
   */
  async #personalizer(sessionId, clientSnapshot = null) {
    if (!this.p || this.sessionId !== sessionId) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (!this.p || this.sessionId !== sessionId) await this.#load(sessionId, clientSnapshot);
      });
      return this.p;
    }
    const assets = await loadAssets(this.env);
    const key = assetsKey(assets);
    if (key !== this.assetsKey) {
      try {
        this.assetsKey = this.#loadAssetsInto(this.p, assets);
      } catch (err) {
        // The core keeps the previous catalog/rules/model when new ones are bad.
        console.error("published assets rejected:", coreError(err).code);
        this.assetsKey = key;
      }
    }
    return this.p;
  }

  async #save() {
    await this.ctx.storage.put(SNAPSHOT_KEY, this.p.snapshot());
  }

  /**
   * Tracks validated events in order. Returns `{ tracked, rejected,
   * duplicates }`; one bad event does not stop the rest (the core says why it
   * refused it). `duplicates` lists the indices of events whose id this
   * session has tracked before (within SEEN_IDS_MAX ids): they are not
   * tracked again, and the caller does not queue them again.
   */
  async track(sessionId, events) {
    const p = await this.#personalizer(sessionId);
    const seen = await this.#seen();
    let tracked = 0;
    const rejected = [];
    const duplicates = [];
    events.forEach((ev, index) => {
      const id = ev && typeof ev.id === "string" ? ev.id : null;
      if (id !== null && seen.has(id)) {
        duplicates.push(index);
        return;
      }
      try {
        p.track(ev);
        tracked += 1;
        if (id !== null) this.#remember(seen, id);
      } catch (err) {
        rejected.push({ index, code: err && err.code ? err.code : "INTERNAL" });
      }
    });
    if (tracked > 0) {
      // One write for both keys: the snapshot and the window never disagree.
      await this.ctx.storage.put({ [SNAPSHOT_KEY]: this.p.snapshot(), [SEEN_IDS_KEY]: [...seen] });
    }
    return { tracked, rejected, duplicates };
  }

  /**
   * Decides one slot. `opts.snapshot` (bytes) seeds a session object that has
   * no state yet; `opts.withSnapshot` returns the snapshot for hydration.
   */
  async decide(sessionId, request, opts = {}) {
    const p = await this.#personalizer(sessionId, opts.snapshot ?? null);
    let decision;
    try {
      decision = p.decide(request);
    } catch (err) {
      // Core errors cross the RPC boundary as data: custom Error fields do not.
      return { error: coreError(err) };
    }
    await this.#save();
    const out = { decision };
    if (opts.withSnapshot) out.snapshot = p.snapshot();
    return out;
  }

  /** The session's snapshot bytes (after restoring it if needed). */
  async snapshot(sessionId) {
    const p = await this.#personalizer(sessionId);
    return p.snapshot();
  }

  /** The session's state as the core reports it (for tests and debugging). */
  async state(sessionId) {
    const p = await this.#personalizer(sessionId);
    return p.state();
  }
}
