import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up (throw) after waiting this long for another holder. Default 5000 ms. */
  timeoutMs?: number;
  /** A lock file older than this whose holder cannot be checked is taken over. Default 30 s. */
  staleMs?: number;
}

const HOST = hostname();
/** A lock file still without its holder's line after this long was left by a killed process. */
const HALF_WRITTEN_MS = 1_000;

/**
 * Runs `task` while holding the advisory lock file `lockPath`, created with O_EXCL so only one
 * process (or store object) holds it. A lock left by a dead process on this host, or one older
 * than `staleMs` (its holder kept it for a read-compare-write of milliseconds, so it is gone), or
 * one left empty by a process killed between creating and writing it, is taken over: renamed
 * aside first, so two processes that both judged it stale cannot both win.
 */
export async function withFileLock<T>(
  lockPath: string,
  task: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const staleMs = options.staleMs ?? 30_000;
  const nonce = randomBytes(6).toString('hex');
  const deadline = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(100, pause * 2)) {
    if (await tryCreate(lockPath, nonce)) break;
    if (await takeOverIfStale(lockPath, staleMs)) continue;
    if (Date.now() >= deadline)
      throw new Error(`token file is locked by another process (${lockPath}); gave up after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pause));
  }
  try {
    return await task();
  } finally {
    await releaseIfOurs(lockPath, nonce);
  }
}

async function tryCreate(lockPath: string, nonce: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx', 0o600);
    try {
      await handle.writeFile(`${process.pid} ${HOST} ${nonce}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'ENOENT') throw err;
    await mkdir(dirname(lockPath), { recursive: true });
    return tryCreate(lockPath, nonce);
  }
}

/** Moves a stale lock aside (atomically: one rename wins) and reports whether it did. */
async function takeOverIfStale(lockPath: string, staleMs: number): Promise<boolean> {
  let text: string;
  let ageMs: number;
  try {
    [text, ageMs] = await Promise.all([
      readFile(lockPath, 'utf8'),
      stat(lockPath).then((s) => Date.now() - s.mtimeMs),
    ]);
  } catch (err) {
    // Released between our attempt and this look: just try again.
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
  const [pidText, host, nonce] = text.trim().split(' ');
  const pid = Number(pidText);
  const deadHolder = host === HOST && Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  // A holder writes its pid right after creating the file: one still without it after a second
  // was killed in between (kill -9), and will never let go.
  const orphaned = nonce === undefined && ageMs >= HALF_WRITTEN_MS;
  if (!deadHolder && !orphaned && ageMs < staleMs) return false;
  const aside = `${lockPath}.stale.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return true; // someone else moved it first; compete for the fresh one
  }
  // If a live holder created a new lock after our look, we moved theirs: put it back.
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== text) {
    // link() fails rather than overwrite a lock created meanwhile.
    await link(aside, lockPath).catch(() => {});
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}

async function releaseIfOurs(lockPath: string, nonce: string): Promise<void> {
  try {
    const text = await readFile(lockPath, 'utf8');
    if (text.trim().split(' ')[2] === nonce) await rm(lockPath, { force: true });
  } catch {
    // Gone already (taken over as stale): nothing to release.
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
