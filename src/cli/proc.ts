import { readFileSync } from 'node:fs';

/**
 * Linux `/proc` readers for the server manager. Every function returns undefined when the
 * process (or /proc itself) is not there, so callers treat "cannot tell" like "gone".
 */

/** Kernel clock ticks per second for /proc times (USER_HZ; 100 on every Linux ABI Node runs on). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The parts of /proc/<pid>/stat the manager uses. */
export interface ProcStat {
  pid: number;
  /** Executable name (truncated to 15 chars by the kernel). */
  comm: string;
  /** One-letter state; 'Z' is a zombie (exited, not yet reaped). */
  state: string;
  /** User + system CPU time in clock ticks. */
  cpuTicks: number;
  /** Start time after boot in clock ticks: with the pid, it names one process for good. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat text; exported for tests. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  // comm may itself contain ')' and spaces, so the last ')' ends it.
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state) of proc(5); field k is fields[k - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = Number(fields[19]);
  if (!Number.isInteger(pid) || !Number.isFinite(utime + stime + startTicks)) return undefined;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: fields[0] ?? '?',
    cpuTicks: utime + stime,
    startTicks,
  };
}

/** Reads /proc/<pid>/stat. */
export function readProcStat(pid: number): ProcStat | undefined {
  const text = readProcFile(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** The process's argv as the kernel reports it. */
export function readCmdline(pid: number): string[] | undefined {
  const text = readProcFile(`/proc/${pid}/cmdline`);
  if (text === undefined) return undefined;
  return text.split('\0').filter((part) => part !== '');
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function readRssBytes(pid: number): number | undefined {
  const text = readProcFile(`/proc/${pid}/status`);
  const match = text?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Seconds since boot (first field of /proc/uptime). */
export function readSystemUptimeSeconds(): number | undefined {
  const text = readProcFile('/proc/uptime');
  const value = Number(text?.split(/\s+/)[0]);
  return Number.isFinite(value) ? value : undefined;
}

/** How long the process has been running, in seconds, from its start ticks and the system uptime. */
export function processAgeSeconds(stat: ProcStat): number | undefined {
  const uptime = readSystemUptimeSeconds();
  if (uptime === undefined) return undefined;
  return Math.max(0, uptime - stat.startTicks / CLOCK_TICKS_PER_SECOND);
}

/** CPU use in percent of one core over `sampleMs` of wall time; undefined if the process went away. */
export async function sampleCpuPercent(pid: number, sampleMs: number): Promise<number | undefined> {
  const before = readProcStat(pid);
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const after = readProcStat(pid);
  const elapsedSec = (performance.now() - t0) / 1000;
  if (!before || !after || after.startTicks !== before.startTicks || elapsedSec <= 0) return undefined;
  return ((after.cpuTicks - before.cpuTicks) / CLOCK_TICKS_PER_SECOND / elapsedSec) * 100;
}

/** True when /proc is mounted (Linux); the manager's identity checks need it. */
export function hasProcFs(): boolean {
  return readProcFile('/proc/self/stat') !== undefined;
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
