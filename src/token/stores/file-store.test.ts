import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleWriteError, StoreReadError } from '../errors.js';
import { ManualClock } from '../manual-clock.js';
import { FakeIssuer } from '../test-helpers/fake-issuer.js';
import { RecordingLogger } from '../test-helpers/recording-logger.js';
import { TokenCache } from '../token-cache.js';
import type { TokenRecord } from '../types.js';
import { FileStore, parseTokenFile } from './file-store.js';

const record: TokenRecord = {
  accessToken: 'file-access-token-aaaaaaaaaaaa',
  expiresAt: Date.UTC(2026, 0, 5, 7, 0, 0),
  obtainedAt: Date.UTC(2026, 0, 5, 6, 0, 0),
  expiresIn: 3600,
  refreshToken: 'file-refresh-token-bbbbbbbbbbb',
  scope: 'user-read-playback-state',
  seedFingerprint: '0123abcd',
};

let dir: string;
let path: string;
let logger: RecordingLogger;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spotipi-file-store-'));
  path = join(dir, 'state', 'token.json');
  logger = new RecordingLogger();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('round-trips a record through a versioned JSON file with mode 0600', async () => {
    const store = new FileStore(path, { logger });
    expect(await store.save(record)).toBe(1);
    expect(await store.load()).toEqual({ ...record, version: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk).toEqual({ version: 1, record: { ...record, version: 1 } });
    expect(await readdir(join(dir, 'state'))).toEqual(['token.json']);
    expect(logger.lines).toHaveLength(0);
  });

  it('deletes temp files a killed writer left behind, and keeps those of live processes', async () => {
    const store = new FileStore(path, { logger });
    await store.save(record);
    // pid 2^22+1 is above Linux's pid_max, so no live process owns it.
    const dead = join(dir, 'state', '.token.json.4194305.deadbeef.tmp');
    const live = join(dir, 'state', `.token.json.${process.pid}.cafebabe.tmp`);
    await writeFile(dead, 'half a token');
    await writeFile(live, 'being written');
    const other = join(dir, 'state', 'unrelated.tmp');
    await writeFile(other, 'not ours');
    expect(await new FileStore(path, { logger }).load()).toEqual({ ...record, version: 1 });
    expect((await readdir(join(dir, 'state'))).sort()).toEqual(
      [`.token.json.${process.pid}.cafebabe.tmp`, 'token.json', 'unrelated.tmp'].sort(),
    );
    expect(logger.find('info', 'removed temp files')).toHaveLength(1);
    await rm(live);
  });

  it('returns undefined without a warning when the file does not exist', async () => {
    expect(await new FileStore(path, { logger }).load()).toBeUndefined();
    expect(logger.lines).toHaveLength(0);
  });

  const broken: Array<[string, string]> = [
    ['garbage bytes', '\u0000\u0001not json at all {{{'],
    ['a truncated file', JSON.stringify({ version: 1, record }).slice(0, 60)],
    ['an empty file', ''],
    ['JSON null', 'null'],
    ['a JSON array', '[1,2,3]'],
    ['a JSON string', '"file-access-token-aaaaaaaaaaaa"'],
    ['a missing version', JSON.stringify({ record })],
    ['a record that is not an object', JSON.stringify({ version: 1, record: 'x' })],
    [
      'wrongly typed fields',
      JSON.stringify({ version: 1, record: { accessToken: 42, refreshToken: ['x'] } }),
    ],
  ];
  for (const [name, content] of broken) {
    it(`treats ${name} as empty with one warning and no secret in the log`, async () => {
      await mkdir(join(dir, 'state'), { recursive: true });
      await writeFile(path, content, { mode: 0o600 });
      const store = new FileStore(path, { logger });
      await expect(store.load()).resolves.toBeUndefined();
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      expect(logger.dump()).not.toContain('file-access-token');
      // The next save replaces the broken file: it held nothing to keep.
      await store.save(record);
      expect(await store.load()).toEqual({ ...record, version: 1 });
    });
  }

  it('keeps a valid refresh token when the access-token fields are malformed', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ version: 1, record: { ...record, expiresAt: 'tomorrow', expiresIn: null } }),
    );
    const store = new FileStore(path, { logger });
    expect(await store.load()).toEqual({
      refreshToken: record.refreshToken,
      seedFingerprint: record.seedFingerprint,
    });
    expect(logger.find('warn', 'kept its refresh token')).toHaveLength(1);
  });

  it('reports a path it cannot read (a directory) as a store error, not as empty, and says why', async () => {
    await mkdir(path, { recursive: true });
    const store = new FileStore(path, { logger });
    await expect(store.load()).rejects.toBeInstanceOf(StoreReadError);
    expect(logger.find('error', 'cannot be read')).toHaveLength(1);
    await expect(store.save(record)).rejects.toBeInstanceOf(StoreReadError);
    expect(store.health()).toEqual({ state: 'degraded', reason: expect.stringContaining('EISDIR') });
  });

  it('leaves a token file written by a newer SpotiPi alone instead of reading it as empty', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    const newer = JSON.stringify({ version: 99, record });
    await writeFile(path, newer, { mode: 0o600 });
    const store = new FileStore(path, { logger });
    await expect(store.load()).rejects.toThrow(/newer/);
    await expect(store.save({ refreshToken: 'seed-token-cccccccccccc' })).rejects.toBeInstanceOf(
      StoreReadError,
    );
    expect(await readFile(path, 'utf8')).toBe(newer);
  });

  it('never writes over a token file it may not read (EACCES after a sudo run), and a cache keeps serving from memory', async () => {
    await new FileStore(path).save(record);
    const before = await readFile(path, 'utf8');
    // Tests may run as root, who reads anything: the refusal comes from an injected read.
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const store = new FileStore(path, { logger, readFile: () => Promise.reject(denied) });
    await expect(store.load()).rejects.toBeInstanceOf(StoreReadError);
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    const cache = new TokenCache({
      refresh: issuer.refresh,
      clock,
      store,
      seedRefreshToken: 'seed-refresh-token-dddddddddddd',
    });
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    await clock.advance(60_000); // the cache tries to save again meanwhile
    const snap = cache.snapshot();
    expect(snap.store.health.state).toBe('degraded');
    expect(snap.store.health.reason).toContain('EACCES');
    await cache.close();
    // Virtual minutes passed in real milliseconds: a save the cache stopped waiting for may still
    // take or hold the lock file; it lets go without writing. Wait until the folder stays quiet.
    for (let i = 0, quiet = 0; i < 500 && quiet < 10; i++) {
      quiet = (await readdir(join(dir, 'state'))).length === 1 ? quiet + 1 : 0;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await readdir(join(dir, 'state'))).toEqual(['token.json']);
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('makes a token file that others can read private again', async () => {
    const store = new FileStore(path, { logger });
    await store.save(record);
    await chmod(path, 0o644);
    expect(await store.load()).toEqual({ ...record, version: 1 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(logger.find('warn', 'readable by others')).toHaveLength(1);
  });

  it('invalidates only the token it still holds, keeping the refresh token', async () => {
    const store = new FileStore(path, { logger });
    await store.save(record);
    expect(await store.invalidate('some-other-token')).toBe(false);
    expect((await store.load())?.accessToken).toBe(record.accessToken);
    expect(await store.invalidate(record.accessToken ?? '')).toBe(true);
    expect(await store.load()).toEqual({
      refreshToken: record.refreshToken,
      seedFingerprint: record.seedFingerprint,
      version: 2,
    });
  });

  it('applies concurrent saves in call order, each on top of the one before', async () => {
    const store = new FileStore(path, { logger });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.save({ ...record, accessToken: `token-${i}` }, i)),
    );
    expect(await store.load()).toMatchObject({ accessToken: 'token-19', version: 20 });
  });

  it('lets one of two stores on one file (two processes) win a save based on the same version, and refuses the other', async () => {
    const a = new FileStore(path, { logger });
    const b = new FileStore(path, { logger });
    await a.save(record);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).save({ ...record, accessToken: `token-${i}` }, 1)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleWriteError);
    expect((await a.load())?.version).toBe(2);
    expect(await readdir(join(dir, 'state'))).toEqual(['token.json']);
  });

  it('takes over a lock file left by a dead process', async () => {
    const a = new FileStore(path, { logger });
    await mkdir(join(dir, 'state'), { recursive: true });
    // pid 2^22+1 is above Linux's pid_max, so no live process owns it.
    await writeFile(a.lockPath, `4194305 ${hostname()} deadbeef\n`);
    expect(await a.save(record)).toBe(1);
    expect(await readdir(join(dir, 'state'))).toEqual(['token.json']);
  });

  it('takes over a lock file left empty by a process killed between creating and writing it', async () => {
    const a = new FileStore(path, { logger, lockTimeoutMs: 3_000 });
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(a.lockPath, '');
    expect(await a.save(record)).toBe(1);
    expect(await readdir(join(dir, 'state'))).toEqual(['token.json']);
  });

  it('waits for a live holder of the lock file and fails the save when it does not let go', async () => {
    const a = new FileStore(path, { logger, lockTimeoutMs: 200 });
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(a.lockPath, `${process.pid} ${hostname()} cafebabe\n`);
    await expect(a.save(record)).rejects.toThrow(/locked by another process/);
    expect(await a.load()).toBeUndefined();
    await rm(a.lockPath);
    expect(await a.save(record)).toBe(1);
  });

  it('lets a restarted process reuse a still-valid token instead of refreshing', async () => {
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    issuer.rotate = true;
    const first = new TokenCache({ refresh: issuer.refresh, clock, store: new FileStore(path) });
    const token = await first.getAccessToken();
    await first.close();
    await clock.advance(20 * 60_000);

    const restarted = new TokenCache({ refresh: issuer.refresh, clock, store: new FileStore(path) });
    expect(await restarted.getAccessToken()).toBe(token);
    expect(issuer.calls).toBe(1);
    expect(restarted.snapshot().token_info.time_until_expiry_minutes).toBe(40);
    // And the rotated refresh token survived the restart.
    await restarted.forceRefresh();
    expect(issuer.receivedRefreshTokens.at(-1)).toBe('refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy');
  });

  it('lets a cache start with an empty state from a corrupt file and then persist a good one', async () => {
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(path, '{"version":1,"record":{"accessToken":"abc","expiresAt":17');
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    const cache = new TokenCache({ refresh: issuer.refresh, clock, store: new FileStore(path, { logger }) });
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect((await new FileStore(path).load())?.accessToken).toBe(token);
  });
});

describe('parseTokenFile', () => {
  it('requires an expiry with an access token', () => {
    const parsed = parseTokenFile({ version: 1, record: { accessToken: 'x', refreshToken: 'r' } });
    expect(parsed.record).toEqual({ refreshToken: 'r' });
    expect(parsed.problem).toContain('expiresAt');
  });
});
