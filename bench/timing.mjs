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
