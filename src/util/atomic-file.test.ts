import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AtomicFileHandle, type AtomicFs, writeFileAtomic } from './atomic-file.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spotipi-atomic-'));
  path = join(dir, 'token.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real file system, recording each call as "op name" (temp files shown as "tmp"); `failAt` makes that call throw. */
function recordingFs(failAt?: string): { fs: AtomicFs; calls: string[] } {
  const calls: string[] = [];
  const name = (p: string) => (p === dir ? 'dir' : basename(p).endsWith('.tmp') ? 'tmp' : basename(p));
  const step = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    calls.push(label);
    if (label === failAt) throw Object.assign(new Error(`injected failure at ${label}`), { code: 'EIO' });
    return run();
  };
  const fs: AtomicFs = {
    mkdir: (d, o) => step(`mkdir ${name(d)}`, () => mkdir(d, o)),
    rename: (from, to) => step(`rename ${name(from)} ${name(to)}`, () => rename(from, to)),
    rm: (p, o) => step(`rm ${name(p)}`, () => rm(p, o)),
    open: (p, flags, mode) =>
      step(`open ${name(p)} ${flags}`, async () => {
        const handle = await open(p, flags, mode);
        const n = name(p);
        const wrapped: AtomicFileHandle = {
          writeFile: (data) => step(`write ${n}`, () => handle.writeFile(data)),
          chmod: (m) => step(`chmod ${n}`, () => handle.chmod(m)),
          sync: () => step(`fsync ${n}`, () => handle.sync()),
          close: () => step(`close ${n}`, () => handle.close()),
        };
        return wrapped;
      }),
  };
  return { fs, calls };
}

const SEQUENCE = [
  'mkdir dir',
  'open tmp w',
  'write tmp',
  'chmod tmp',
  'fsync tmp',
  'close tmp',
  'rename tmp token.json',
  'open dir r',
  'fsync dir',
  'close dir',
];

describe('writeFileAtomic', () => {
  it('writes a temp file, fsyncs it, renames it over the target and then fsyncs the directory, in that order', async () => {
    const { fs, calls } = recordingFs();
    await writeFileAtomic(path, 'new content', { fs, mode: 0o600 });
    expect(calls).toEqual(SEQUENCE);
    expect(await readFile(path, 'utf8')).toBe('new content');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['token.json']);
  });

  // Every step up to the rename can fail: the old content stays whole and no temp file is left.
  for (const failing of SEQUENCE.slice(1, 7)) {
    it(`keeps the old file whole and leaves no temp file when "${failing}" fails`, async () => {
      await writeFile(path, 'old content');
      const { fs } = recordingFs(failing);
      await expect(writeFileAtomic(path, 'new content', { fs })).rejects.toThrow(/injected failure/);
      expect(await readFile(path, 'utf8')).toBe('old content');
      expect(await readdir(dir)).toEqual(['token.json']);
    });
  }

  it('still succeeds when the file system refuses to fsync a directory (the rename is atomic already)', async () => {
    const { fs, calls } = recordingFs('fsync dir');
    await writeFileAtomic(path, 'new content', { fs });
    expect(calls).toEqual(SEQUENCE);
    expect(await readFile(path, 'utf8')).toBe('new content');
  });
});
