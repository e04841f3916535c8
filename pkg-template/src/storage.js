// Snapshot storage for the browser: IndexedDB when it opens, else localStorage
// (base64), else memory. Saves are debounced: `schedule(take)` only remembers
// how to take the snapshot; the bytes are taken and written once, `debounceMs`
// after the last call, or at once on `flush()` and when the page is hidden.
// Every record carries the time it was written. On pagehide a copy also goes
// to localStorage synchronously (IndexedDB writes started while a page unloads
// may not finish), and `load()` returns the newer of the two.

const DB_NAME = "edge-personalize";
const STORE = "snapshots";

function toBase64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function localStore() {
  try {
    const ls = globalThis.localStorage;
    if (!ls) return null;
    const probe = "__ep_probe__";
    ls.setItem(probe, "1");
    ls.removeItem(probe);
    return ls;
  } catch {
    return null;
  }
}

function openDb() {
  return new Promise((resolve) => {
    let req;
    try {
      req = globalThis.indexedDB?.open(DB_NAME, 1);
    } catch {
      req = undefined;
    }
    if (!req) return resolve(null);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null);
    req.onblocked = () => resolve(null);
  });
}

function idb(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
  });
}

function lsRead(ls, key) {
  const text = ls?.getItem(key);
  if (!text) return null;
  try {
    const rec = JSON.parse(text);
    return { ts: Number(rec.ts) || 0, bytes: fromBase64(String(rec.b64)) };
  } catch {
    // Older plain-base64 values are still read.
    try {
      return { ts: 0, bytes: fromBase64(text) };
    } catch {
      return null;
    }
  }
}

function lsWrite(ls, key, ts, bytes) {
  ls.setItem(key, JSON.stringify({ ts, b64: toBase64(bytes) }));
}

/**
 * A debounced snapshot store. See types/index.d.ts (SnapshotStore) for the contract.
 */
export async function createSnapshotStore(options = {}) {
  const key = options.key ?? "edge-personalize";
  const debounceMs = options.debounceMs ?? 250;
  const want = options.backend ?? "auto";
  const ls = want === "memory" ? null : localStore();
  const db = want === "auto" || want === "indexeddb" ? await openDb() : null;
  const backend = db ? "indexeddb" : ls && want !== "indexeddb" ? "localstorage" : "memory";
  let memory = null;
  let timer = null;
  let take = null;
  let writes = 0;
  let lastError = null;

  async function write(ts, bytes) {
    if (backend === "indexeddb") await idb(db, "readwrite", (s) => s.put({ ts, bytes }, key));
    else if (backend === "localstorage") lsWrite(ls, key, ts, bytes);
    else memory = { ts, bytes };
    writes++;
  }

  async function flush() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const t = take;
    take = null;
    if (!t) return;
    try {
      await write(Date.now(), t());
      lastError = null;
    } catch (e) {
      lastError = e;
      options.onError?.(e);
    }
  }

  // Page hidden or unloading: write now, and keep a synchronous copy.
  function flushSync() {
    const t = take;
    if (!t) return;
    try {
      const bytes = t();
      const ts = Date.now();
      if (backend === "indexeddb" && ls) lsWrite(ls, key, ts, bytes);
      void flush();
    } catch (e) {
      lastError = e;
    }
  }

  const onHide = () => {
    if (globalThis.document?.visibilityState !== "visible") flushSync();
  };
  if (typeof addEventListener === "function") {
    addEventListener("pagehide", flushSync);
    addEventListener("visibilitychange", onHide);
  }

  return {
    backend,
    key,
    /** Remembers how to take the snapshot; writes it `debounceMs` after the last call. */
    schedule(takeSnapshot) {
      take = takeSnapshot;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => void flush(), debounceMs);
    },
    flush,
    get pending() {
      return take !== null;
    },
    get writes() {
      return writes;
    },
    get lastError() {
      return lastError;
    },
    /** The newest stored snapshot (IndexedDB or the pagehide copy), or null. */
    async load() {
      let best = null;
      if (backend === "indexeddb") {
        try {
          const rec = await idb(db, "readonly", (s) => s.get(key));
          if (rec && rec.bytes) best = { ts: rec.ts ?? 0, bytes: new Uint8Array(rec.bytes) };
        } catch (e) {
          lastError = e;
        }
      } else if (backend === "memory") {
        best = memory;
      }
      const copy = ls ? lsRead(ls, key) : null;
      if (copy && (!best || copy.ts > best.ts)) best = copy;
      return best ? best.bytes : null;
    },
    async clear() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      take = null;
      memory = null;
      if (backend === "indexeddb") await idb(db, "readwrite", (s) => s.delete(key));
      ls?.removeItem(key);
    },
    close() {
      if (timer !== null) clearTimeout(timer);
      if (typeof removeEventListener === "function") {
        removeEventListener("pagehide", flushSync);
        removeEventListener("visibilitychange", onHide);
      }
      db?.close();
    },
  };
}
