import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasProcFs, readProcStat } from '../cli/proc.js';

/** The lock file's name inside the state dir. */
export const SERVER_LOCK_FILE = 'server.lock';

/** Another live server holds the state dir; starting a second one would overwrite its alarms. */
export class StateDirLockedError extends Error {
  override name = 'StateDirLockedError';
  constructor(
    readonly stateDir: string,
    readonly holderPid: number,
    readonly holderSince: string | undefined,
  ) {
    super(
      `another SpotiPi server (pid ${holderPid}${holderSince ? `, running since ${holderSince}` : ''}) ` +
        `already uses the state dir ${stateDir}; stop it first, or give this one another SPOTIPI_STATE_DIR`,
    );
  }
}

/** A held lock; `release` is idempotent and removes the file only while it is still ours. */
export interface StateDirLock {
  readonly path: string;
  /** What the lock did on the way in (took over a dead server's lock). */
  readonly tookOverFrom: number | undefined;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  startTicks?: number;
  since?: string;
  token: string;
}

/**
 * Takes the exclusive server lock on `stateDir` (an O_EXCL-created file naming this process).
 * A lock whose process is gone (or whose pid now belongs to another process start) is stale and
 * taken over; a live holder — another process, or another server in this one — throws
 * StateDirLockedError naming its pid.
 */
export async function acquireStateDirLock(
  stateDir: string,
  now: () => Date = () => new Date(),
): Promise<StateDirLock> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, SERVER_LOCK_FILE);
  const startTicks = readProcStat(process.pid)?.startTicks;
  const me: Holder = {
    pid: process.pid,
    ...(startTicks !== undefined ? { startTicks } : {}),
    since: now().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(path, `${JSON.stringify(me)}\n`)) {
      let released = false;
      return {
        path,
        tookOverFrom,
        async release() {
          if (released) return;
          released = true;
          const holder = await readHolder(path);
          if (holder?.token === me.token) await rm(path, { force: true });
        },
      };
    }
    const holder = await readHolder(path);
    if (holder && isAlive(holder)) throw new StateDirLockedError(stateDir, holder.pid, holder.since);
    // The holder died without releasing (or the file is unreadable garbage): take it over.
    tookOverFrom = holder?.pid;
    await rm(path, { force: true });
  }
  throw new Error(`could not take the server lock ${path}`);
}

/** True when the holder's process still runs (same pid and, where /proc tells, same start). */
function isAlive(holder: Holder): boolean {
  if (hasProcFs()) {
    const stat = readProcStat(holder.pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
    return holder.startTicks === undefined || stat.startTicks === holder.startTicks;
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    if (typeof data.pid !== 'number' || typeof data.token !== 'string') return undefined;
    return {
      pid: data.pid,
      token: data.token,
      ...(typeof data.startTicks === 'number' ? { startTicks: data.startTicks } : {}),
      ...(typeof data.since === 'string' ? { since: data.since } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Creates `path` holding `content` unless it exists (false then); readers never see it half-written. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}
