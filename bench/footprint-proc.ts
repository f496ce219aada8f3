/** What /proc says about a process: memory, CPU time, wake-ups, and a process tree's peak memory. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Memory of one process in MB: VmRSS, its private part (RssAnon), and PSS (shared pages divided among their users). */
export interface Memory {
  rss: number;
  anon: number;
  pss: number;
}

/** Reads VmRSS and RssAnon from /proc/PID/status and Pss from /proc/PID/smaps_rollup. */
export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (text: string, field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  let pss = Number.NaN;
  try {
    pss = kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
  } catch {
    // older kernels: no rollup
  }
  return { rss: kb(status, 'VmRSS') / 1024, anon: kb(status, 'RssAnon') / 1024, pss: pss / 1024 };
}

/**
 * CPU time of a process in seconds: the run time of each of its threads in nanoseconds, from
 * /proc/PID/task/TID/schedstat, summed. /proc/PID/stat counts in ticks of 10 ms, too coarse for
 * an idle minute's few milliseconds (one tick reads as 0.010 s). A thread that ended takes its
 * time with it; the idle windows measured here keep their threads. Falls back to the ticks when
 * the kernel gives no schedstat.
 */
export function cpuSeconds(pid: number): number {
  let ns = 0;
  let read = false;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const runNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (Number.isFinite(runNs)) {
        ns += runNs;
        read = true;
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  if (read) return ns / 1e9;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/**
 * Wake-ups of a process so far: context switches (voluntary + involuntary) summed over all its
 * threads. Each time a thread sleeps and is woken (a timer, I/O, a signal) it switches in once.
 */
export function wakeups(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) total += Number(m[1]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

/** PIDs of `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Peak memory of a process tree in MB: summed VmRSS, and summed PSS (shared pages counted once). */
export interface TreePeak {
  rss: number;
  pss: number;
}

/**
 * Samples the summed RSS and PSS of a process tree every `everyMs` until stopped; the peak is what
 * the machine needs free at once (npm, the shell, node and esbuild's own process together). RSS
 * counts the Node binary's pages once per node process (npm and the build script both run one);
 * PSS divides shared pages among their users, so its sum is the memory the tree really takes.
 */
export function treePeakSampler(pid: number, everyMs = 20): { stop(): TreePeak } {
  const peak: TreePeak = { rss: 0, pss: 0 };
  const sample = () => {
    const sum: TreePeak = { rss: 0, pss: 0 };
    for (const p of processTree(pid)) {
      if (!existsSync(`/proc/${p}/status`)) continue;
      try {
        const m = memory(p);
        if (Number.isFinite(m.rss)) sum.rss += m.rss;
        if (Number.isFinite(m.pss)) sum.pss += m.pss;
      } catch {
        // exited between listing and reading
      }
    }
    peak.rss = Math.max(peak.rss, sum.rss);
    peak.pss = Math.max(peak.pss, sum.pss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
