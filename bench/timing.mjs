// The clock and the statistic every Node benchmark here uses.
//
// CPU time of this process in ns, not wall time: on the shared 2-core machine
// (load average 4-7 while other jobs build) wall time mostly measured the
// scheduler, and even alternating batches' ratios moved 3.2x-4.5x between
// runs. CPU time counts what each competitor costs, including V8's own GC and
// compiler threads (so garbage one competitor leaves is charged to whoever
// runs next: alternate, and compare within a run). Resolution is 1 us.
export const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Calls `decideAll(t)` (t = Date.now() at the call) until everything it did
 * happened within that one millisecond, at most `tries` times; returns its
 * results followed by whether that was achieved. Decision scores decay with
 * the clock and the wasm engines read Date.now() themselves, so decisions
 * compared across engines must be made at one instant or a near-tie may
 * legitimately order differently. Used in Node and in the Chromium page.
 */
export function sameMillisecond(decideAll, tries = 200) {
  for (let i = 1; ; i++) {
    const t = Date.now();
    const out = decideAll(t);
    const inOne = Date.now() === t;
    if (inOne || i >= tries) return [...out, inOne];
  }
}
