// One sending tab per origin: the Web Locks API when the browser has it, else
// a lease in localStorage renewed by its holder (with BroadcastChannel news of
// a release), else (no shared storage at all) every tab sends its own events.
//
// `elect(name, onLead)` calls onLead() each time this tab becomes the sender; the
// returned object's `isLeader` says whether it still is, and `release()` gives
// the role up (the lease is released on pagehide). A lock holder keeps the lock
// until its page goes away.

const LEASE_MS = 3000;
const RENEW_MS = 1000;

export function elect(name, onLead, { storageKind, tabId }) {
  const state = { isLeader: false, via: "none", release() {} };
  const locks = globalThis.navigator?.locks;
  if (storageKind === "memory") {
    // Nothing is shared between tabs, so each tab is the sender of its own events.
    state.isLeader = true;
    state.via = "memory";
    queueMicrotask(onLead);
    return state;
  }
  if (locks?.request) {
    state.via = "web-locks";
    let release;
    const held = new Promise((r) => (release = r));
    locks
      .request(name, { mode: "exclusive" }, () => {
        state.isLeader = true;
        onLead();
        return held;
      })
      .catch(() => {});
    state.release = () => {
      state.isLeader = false;
      release();
    };
    return state;
  }
  // localStorage lease: {tab, until}. The holder renews it every second; a
  // lease not renewed for LEASE_MS is free. A second tab writing at the same
  // moment is settled by reading back after a short pause.
  const ls = globalThis.localStorage;
  const key = `${name}:lease`;
  state.via = "localstorage-lease";
  const read = () => {
    try {
      return JSON.parse(ls.getItem(key)) ?? null;
    } catch {
      return null;
    }
  };
  // Leading means holding an unexpired lease right now: a tab whose renewals were late
  // (throttled timers) stops sending the moment another tab could take over.
  let holds = false;
  Object.defineProperty(state, "isLeader", {
    get() {
      if (!holds) return false;
      const cur = read();
      return cur?.tab === tabId && cur.until > Date.now();
    },
    set(v) {
      holds = v;
    },
  });
  let timer;
  const tick = async () => {
    const now = Date.now();
    const cur = read();
    if (!cur || cur.until < now || cur.tab === tabId) {
      try {
        ls.setItem(key, JSON.stringify({ tab: tabId, until: now + LEASE_MS }));
      } catch {
        /* quota: try again next tick */
      }
      if (!holds) {
        await new Promise((r) => setTimeout(r, 50));
        if (read()?.tab === tabId) {
          holds = true;
          onLead();
        }
      }
    } else if (holds) {
      holds = false;
    }
    timer = setTimeout(tick, RENEW_MS);
  };
  let bc = null;
  try {
    bc = new BroadcastChannel(`${name}:lease`);
    bc.onmessage = (e) => {
      if (e.data === "released" && !state.isLeader) {
        clearTimeout(timer);
        tick();
      }
    };
  } catch {
    /* no BroadcastChannel: the lease expiry alone hands over */
  }
  tick();
  state.release = () => {
    clearTimeout(timer);
    if (read()?.tab === tabId) ls.removeItem(key);
    holds = false;
    bc?.postMessage("released");
  };
  return state;
}
