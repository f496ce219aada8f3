import { basename } from 'node:path';
import type { PidRecord } from './pid-file.js';
import { hasProcFs, type ProcStat, readCmdline, readProcStat } from './proc.js';

/** What the pid in a pid file points at now. */
export type PidStatus =
  | { kind: 'running'; stat: ProcStat | undefined }
  /** No such process (or a zombie): the server exited. */
  | { kind: 'gone' }
  /** The pid is alive but belongs to some other program: never signal it. */
  | { kind: 'reused'; command: string };

/**
 * Decides whether the pid in `record` is still the server `spotipi start` launched: same pid, same
 * start time (from /proc/<pid>/stat) and a command line that runs SpotiPi's entry script.
 */
export function checkPidRecord(record: Pick<PidRecord, 'pid' | 'startTicks' | 'entry'>): PidStatus {
  if (!hasProcFs()) return checkWithoutProcFs(record.pid);
  const stat = readProcStat(record.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return { kind: 'gone' };
  const cmdline = readCmdline(record.pid) ?? [];
  const command = cmdline.join(' ') || stat.comm;
  if (record.startTicks !== undefined && stat.startTicks !== record.startTicks) {
    return { kind: 'reused', command };
  }
  if (!runsEntry(cmdline, record.entry)) return { kind: 'reused', command };
  return { kind: 'running', stat };
}

function runsEntry(cmdline: string[], entry: string): boolean {
  // process.title would replace argv; a title naming spotipi still counts as ours.
  return cmdline.includes(entry) || cmdline.some((arg) => basename(arg) === 'spotipi');
}

function checkWithoutProcFs(pid: number): PidStatus {
  // Without /proc the start time cannot be compared; liveness is the best available signal.
  try {
    process.kill(pid, 0);
    return { kind: 'running', stat: undefined };
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
      ? { kind: 'reused', command: `pid ${pid} (owned by another user)` }
      : { kind: 'gone' };
  }
}
