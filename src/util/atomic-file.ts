import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file operations an atomic write needs; tests pass one that records the calls. */
export interface AtomicFs {
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  open(path: string, flags: string, mode?: number): Promise<AtomicFileHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/** The part of a FileHandle an atomic write uses. */
export interface AtomicFileHandle {
  writeFile(data: string | Uint8Array): Promise<void>;
  chmod(mode: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

const nodeFs: AtomicFs = { mkdir, open, rename, rm };

/**
 * Writes `data` to `path` so that a crash at any moment leaves either the old or the new
 * content: write a temp file in the same directory, fsync it, rename over, fsync the directory
 * (without that last fsync, a power cut can forget the rename even though the call returned).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; fs?: AtomicFs } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o600;
  const handle = await fs.open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    // open()'s mode is filtered by umask; chmod makes 0600 exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  try {
    await handle.close();
    await fs.rename(tmp, path);
  } catch (err) {
    // The temp file may hold a secret: never leave it behind.
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(fs, dir);
}

async function fsyncDir(fs: AtomicFs, dir: string): Promise<void> {
  let handle: AtomicFileHandle;
  try {
    handle = await fs.open(dir, 'r');
  } catch {
    return; // cannot open the directory: nothing to sync (the rename is still atomic)
  }
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Reads and parses a JSON file; undefined when it is missing. Throws on unreadable/invalid content. */
export async function readJsonFile(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * Deletes temp files that `writeFileAtomic(path)` left behind when its process was killed
 * mid-write (they may hold secrets). Files of live processes are left alone. Returns how many
 * were removed; never throws.
 */
export async function removeStaleTempFiles(path: string): Promise<number> {
  const prefix = tempPrefix(path);
  let removed = 0;
  try {
    for (const name of await readdir(dirname(path))) {
      const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length)) : null;
      if (!m || isAlive(Number(m[1]))) continue;
      await rm(join(dirname(path), name), { force: true });
      removed++;
    }
  } catch {
    // A missing or unreadable directory has nothing to clean.
  }
  return removed;
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
