import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `data` to `path` so that a crash at any moment leaves either the old or the new
 * content: write a temp file in the same directory, fsync it, rename over, fsync the directory.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o600;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    // open()'s mode is filtered by umask; chmod makes 0600 exact.
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
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
