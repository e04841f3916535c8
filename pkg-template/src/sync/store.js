// The durable queue behind the outbox: IndexedDB, else localStorage, else memory.
//
// One record per event ({id, body, urgent, at}), keyed by the event id, so a
// write that fails (quota) never touches the records already stored, and a
// re-send after a reload is the same record. Every tab of the origin shares it:
// any tab appends, the sending tab (see leader.js) reads and deletes.

const DB_NAME = "ep-sync";
const STORE = "outbox";
const LS_PREFIX = "ep-ob:";

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function txDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

async function openIdb(name) {
  const idb = globalThis.indexedDB;
  if (!idb) throw new Error("no IndexedDB");
  const open = idb.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id" });
  const db = await req(open);
  // Another tab upgrading the schema: step aside instead of blocking it.
  db.onversionchange = () => db.close();
  return {
    kind: "indexeddb",
    async put(rec) {
      const tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).put(rec);
      await txDone(tx);
    },
    async delete(ids) {
      if (!ids.length) return;
      const tx = db.transaction(STORE, "readwrite");
      const s = tx.objectStore(STORE);
      for (const id of ids) s.delete(id);
      await txDone(tx);
    },
    async all() {
      const tx = db.transaction(STORE, "readonly");
      return req(tx.objectStore(STORE).getAll()); // sorted by key: ids are time-ordered
    },
    async count() {
      const tx = db.transaction(STORE, "readonly");
      return req(tx.objectStore(STORE).count());
    },
    close() {
      db.close();
    },
  };
}

function openLocalStorage(prefix) {
  const ls = globalThis.localStorage;
  if (!ls) throw new Error("no localStorage");
  const probe = prefix + "probe";
  ls.setItem(probe, "1");
  ls.removeItem(probe);
  const keys = () => {
    const out = [];
    for (let i = 0; i < ls.length; i++) {
      const k = ls.key(i);
      if (k && k.startsWith(prefix) && k !== probe) out.push(k);
    }
    return out;
  };
  return {
    kind: "localstorage",
    async put(rec) {
      ls.setItem(prefix + rec.id, JSON.stringify({ body: rec.body, urgent: rec.urgent, at: rec.at }));
    },
    async delete(ids) {
      for (const id of ids) ls.removeItem(prefix + id);
    },
    async all() {
      const out = [];
      for (const k of keys()) {
        try {
          const v = JSON.parse(ls.getItem(k));
          out.push({ id: k.slice(prefix.length), body: v.body, urgent: !!v.urgent, at: v.at });
        } catch {
          ls.removeItem(k); // a torn record: unreadable, so it cannot be sent either
        }
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async count() {
      return keys().length;
    },
    close() {},
  };
}

function openMemory() {
  const m = new Map();
  return {
    kind: "memory",
    async put(rec) {
      m.set(rec.id, rec);
    },
    async delete(ids) {
      for (const id of ids) m.delete(id);
    },
    async all() {
      return [...m.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async count() {
      return m.size;
    },
    close() {},
  };
}

/**
 * The best durable store this page has. `prefer`: "indexeddb" | "localstorage" |
 * "memory" starts the fallback chain lower (tests, or pages that forbid IndexedDB).
 */
export async function openStore({ prefer = "indexeddb", name = DB_NAME } = {}) {
  const chain = ["indexeddb", "localstorage", "memory"];
  for (const kind of chain.slice(Math.max(0, chain.indexOf(prefer)))) {
    try {
      if (kind === "indexeddb") return await openIdb(name);
      if (kind === "localstorage") return openLocalStorage(LS_PREFIX);
      return openMemory();
    } catch {
      /* next in the chain */
    }
  }
  return openMemory();
}
