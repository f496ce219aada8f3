import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './exit-codes.js';
import { readProcStat } from './proc.js';
import { checkPidRecord } from './process-identity.js';

/** A held lock; `release` is idempotent. */
export interface ManagerLock {
  release(): Promise<void>;
}

/**
 * Takes the state dir's manager lock (an O_EXCL lock file naming its holder) so that two
 * `start`/`stop`/`restart` runs never interleave. A lock left by a dead CLI is taken over.
 */
export async function acquireManagerLock(path: string, entry: string): Promise<ManagerLock> {
  await mkdir(dirname(path), { recursive: true });
  const me = { pid: process.pid, startTicks: readProcStat(process.pid)?.startTicks, entry };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await createWithContent(path, JSON.stringify(me));
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (holder && checkPidRecord(holder).kind === 'running') {
      throw new CliError(`another spotipi start/stop is in progress (pid ${holder.pid}); try again shortly`);
    }
    // The holder died without releasing (or the file is half-written garbage): take it over.
    await rm(path, { force: true });
  }
  throw new CliError(`could not take the manager lock ${path}`);
}

async function readHolder(
  path: string,
): Promise<{ pid: number; startTicks?: number; entry: string } | undefined> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    if (typeof data.pid !== 'number' || typeof data.entry !== 'string') return undefined;
    return {
      pid: data.pid,
      entry: data.entry,
      ...(typeof data.startTicks === 'number' ? { startTicks: data.startTicks } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Creates `path` holding `content`, failing with EEXIST if it exists; readers never see it empty. */
async function createWithContent(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o644 });
  try {
    await link(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
