import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cutOffStore,
  type RedisServerHandle,
  startRedisServer,
  waitFor,
} from '../../../test/helpers/redis-server.js';
import { StaleWriteError, StoreReadError } from '../errors.js';
import { fingerprint } from '../fingerprint.js';
import { RecordingLogger } from '../test-helpers/recording-logger.js';
import { TokenCache } from '../token-cache.js';
import type { TokenRecord } from '../types.js';
import { parseEncryptionKey } from './redis-crypto.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

const record: TokenRecord = {
  accessToken: 'access-token-AAA',
  expiresAt: 1_800_000_000_000,
  obtainedAt: 1_799_996_400_000,
  expiresIn: 3600,
  refreshToken: 'refresh-token-RRR',
  scope: 'user-read-playback-state streaming',
  seedFingerprint: 'abcd1234',
};

let redis: RedisServerHandle;
let raw: Redis;
const stores: RedisStore[] = [];

/** Waits until `count` connections subscribe to `channel`. */
async function subscribers(channel: string, count: number): Promise<void> {
  await waitFor(async () => {
    const reply = (await raw.pubsub('NUMSUB', channel)) as [string, number];
    return Number(reply[1]) >= count;
  }, `${count} subscriber(s) on the change channel`);
}

/** Saves on top of whatever the store holds (these tests are about Redis, not about versions). */
async function saveOnTop(s: RedisStore, rec: TokenRecord): Promise<number> {
  const version = (await s.load())?.version ?? 0;
  return s.save(rec, version);
}

function store(overrides: Partial<RedisStoreOptions> & { clientId: string }): RedisStore {
  const s = new RedisStore({ url: redis.url, retryMaxDelayMs: 100, ...overrides });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  raw.disconnect();
  await redis.dispose();
});

describe('RedisStore', () => {
  it('round-trips a full record and reports none for an unknown client', async () => {
    const clientId = randomUUID();
    const a = store({ clientId });
    expect(await a.load()).toBeUndefined();
    await saveOnTop(a, record);
    expect(await a.load()).toEqual({ ...record, version: expect.any(Number) });
    // A second process (another store on the same key) sees the same record.
    expect(await store({ clientId }).load()).toEqual({ ...record, version: expect.any(Number) });
    expect(a.key).toBe(`spotipi:token:${clientId}`);
  });

  it('keeps one record per client id and user', async () => {
    const clientId = randomUUID();
    const alice = store({ clientId, user: 'alice' });
    const bob = store({ clientId, user: 'bob' });
    await saveOnTop(alice, record);
    expect(await bob.load()).toBeUndefined();
    expect(alice.key).toBe(`spotipi:token:${clientId}:alice`);
  });

  it('drops absent fields on save but never the stored refresh token', async () => {
    const clientId = randomUUID();
    const a = store({ clientId });
    await saveOnTop(a, record);
    await saveOnTop(a, { accessToken: 'access-token-BBB', expiresAt: 5, expiresIn: 60 });
    expect(await a.load()).toEqual({
      accessToken: 'access-token-BBB',
      expiresAt: 5,
      expiresIn: 60,
      refreshToken: record.refreshToken,
      version: 2,
    });
  });

  it('invalidates only while the stored access token is the rejected one, keeping the refresh token', async () => {
    const clientId = randomUUID();
    const a = store({ clientId });
    await saveOnTop(a, record);
    expect(await a.invalidate('some-older-token')).toBe(false);
    expect(await a.load()).toEqual({ ...record, version: expect.any(Number) });

    expect(await a.invalidate(record.accessToken!)).toBe(true);
    const after = await a.load();
    expect(after?.accessToken).toBeUndefined();
    expect(after?.expiresAt).toBeUndefined();
    expect(after?.refreshToken).toBe(record.refreshToken);
    expect(after?.seedFingerprint).toBe(record.seedFingerprint);
    expect(await a.invalidate(record.accessToken!)).toBe(false);
  });

  it('lets exactly one of many concurrent invalidations of the same token win', async () => {
    const clientId = randomUUID();
    const instances = Array.from({ length: 8 }, () => store({ clientId }));
    await saveOnTop(instances[0]!, record);
    const results = await Promise.all(instances.map((s) => s.invalidate(record.accessToken!)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('gives the refresh lock to one holder at a time', async () => {
    const clientId = randomUUID();
    const [a, b] = [store({ clientId }), store({ clientId })];
    const attempts = await Promise.all([a, b, a, b].map((s) => s.acquireLock(30_000)));
    const held = attempts.filter((l) => l !== undefined);
    expect(held).toHaveLength(1);
    expect(await b.acquireLock(30_000)).toBeUndefined();
    await held[0]!.release();
    const next = await b.acquireLock(30_000);
    expect(next).toBeDefined();
    await next!.release();
  });

  it('lets a lock whose holder vanished expire after its TTL', async () => {
    const clientId = randomUUID();
    const a = store({ clientId });
    expect(await a.acquireLock(150)).toBeDefined();
    const ttl = await raw.pttl(a.lockKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(150);
    const b = store({ clientId });
    expect(await b.acquireLock(10_000)).toBeUndefined();
    await waitFor(() => b.acquireLock(10_000), 'the expired lock to be free again');
  });

  it('renews the lock for its holder only, and never revives a lock that expired or was released', async () => {
    const clientId = randomUUID();
    const [a, b] = [store({ clientId }), store({ clientId })];
    const lock = await a.acquireLock(1_000);
    expect(await lock!.extend!(60_000)).toBe(true);
    expect(await raw.pttl(a.lockKey)).toBeGreaterThan(30_000);
    await lock!.release();
    expect(await lock!.extend!(60_000)).toBe(false);
    expect(await raw.exists(a.lockKey)).toBe(0);

    const lapsed = await a.acquireLock(100);
    const successor = await waitFor(() => b.acquireLock(30_000), 'the short lock to expire');
    expect(await lapsed!.extend!(60_000)).toBe(false);
    expect(await raw.pttl(a.lockKey)).toBeLessThanOrEqual(30_000);
    await successor.release();
  });

  it("does not delete another holder's lock when a late holder releases", async () => {
    const clientId = randomUUID();
    const [a, b, c] = [store({ clientId }), store({ clientId }), store({ clientId })];
    const late = await a.acquireLock(100);
    expect(late).toBeDefined();
    const current = await waitFor(() => b.acquireLock(30_000), 'the first lock to expire');
    await late!.release();
    expect(await c.acquireLock(30_000)).toBeUndefined();
    expect(await raw.exists(a.lockKey)).toBe(1);
    await current.release();
    expect(await raw.exists(a.lockKey)).toBe(0);
  });

  it('wakes a waiter through pub/sub when another instance saves a new token', async () => {
    const clientId = randomUUID();
    // A poll interval longer than the test timeout: only the notification can wake the waiter.
    const waiter = store({ clientId, pollIntervalMs: 120_000 });
    const writer = store({ clientId });
    await saveOnTop(writer, record);
    const waiting = waiter.waitForChange(record.accessToken, 60_000);
    await subscribers(waiter.channel, 1);
    await saveOnTop(writer, { ...record, accessToken: 'access-token-NEW' });
    const seen = await waiting;
    expect(seen?.accessToken).toBe('access-token-NEW');
    expect(seen?.refreshToken).toBe(record.refreshToken);
  });

  it('returns at once when the record already differs, and undefined when nothing changes in time', async () => {
    const clientId = randomUUID();
    const a = store({ clientId, pollIntervalMs: 20 });
    await saveOnTop(a, record);
    expect((await a.waitForChange('an-older-token', 10_000))?.accessToken).toBe(record.accessToken);
    expect(await a.waitForChange(record.accessToken, 100)).toBeUndefined();
    // An invalidation (no token yet) is not the awaited change either.
    await a.invalidate(record.accessToken!);
    expect(await a.waitForChange(record.accessToken, 100)).toBeUndefined();
  });

  it("tells listeners about other instances' saves and invalidations, not their own", async () => {
    const clientId = randomUUID();
    const a = store({ clientId });
    const b = store({ clientId });
    const seenByA: (TokenRecord | undefined)[] = [];
    const seenByB: (TokenRecord | undefined)[] = [];
    const infoSeenByA: unknown[] = [];
    await saveOnTop(a, { ...record, accessToken: 'before-subscribing' });
    a.onChange((r, info) => {
      seenByA.push(r);
      infoSeenByA.push(info);
    });
    const unsubscribe = b.onChange((r) => seenByB.push(r));
    await subscribers(a.channel, 2);
    // Each is told the current record once subscribed; then only other instances' changes.
    await waitFor(() => seenByA.length === 1 && seenByB.length === 1, 'the replays after subscribing');
    for (const list of [seenByA, seenByB, infoSeenByA]) list.length = 0;
    await saveOnTop(a, record);
    await waitFor(() => seenByB.length === 1, 'b to hear about the save');
    expect(seenByB[0]).toEqual({ ...record, version: expect.any(Number) });
    await b.invalidate(record.accessToken!);
    await waitFor(() => seenByA.length === 1, 'a to hear about the invalidation');
    expect(seenByA[0]?.accessToken).toBeUndefined();
    expect(seenByA[0]?.refreshToken).toBe(record.refreshToken);
    expect(infoSeenByA[0]).toEqual({ invalidatedFingerprint: fingerprint(record.accessToken) });
    unsubscribe();
    await saveOnTop(a, record);
    await new Promise((r) => setTimeout(r, 150));
    expect(seenByB).toHaveLength(1);
    expect(seenByA).toHaveLength(1);
  });

  it('reports a key holding something else as unreadable and leaves it alone, without calling it an outage', async () => {
    const clientId = randomUUID();
    const logger = new RecordingLogger();
    const a = store({ clientId, logger });
    await raw.set(a.key, 'not a hash');
    await expect(a.load()).rejects.toBeInstanceOf(StoreReadError);
    await expect(a.save(record)).rejects.toThrow(/WRONGTYPE/);
    expect(await raw.get(a.key)).toBe('not a hash');
    expect(a.health()).toEqual({ state: 'ok' });
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('encrypts the tokens at rest so the raw Redis value is not the token', async () => {
    const clientId = randomUUID();
    const key = randomBytes(32).toString('base64');
    const a = store({ clientId, encryptionKey: key });
    await saveOnTop(a, record);
    const stored = await raw.hgetall(a.key);
    const dump = JSON.stringify(stored);
    expect(dump).not.toContain(record.refreshToken);
    expect(dump).not.toContain(record.accessToken);
    expect(stored.refreshToken).toMatch(/^gcm1:/);
    expect(await store({ clientId, encryptionKey: key }).load()).toEqual({
      ...record,
      version: expect.any(Number),
    });
    // Invalidation still compares correctly although the stored value is ciphertext.
    expect(await a.invalidate(record.accessToken!)).toBe(true);
  });

  it('reports a record sealed with another key, or read without a key, as unreadable (not empty) and refuses to write over it', async () => {
    const clientId = randomUUID();
    await store({ clientId, encryptionKey: randomBytes(32).toString('hex') }).save(record, 0);
    const before = await raw.hgetall(`spotipi:token:${clientId}`);
    const logger = new RecordingLogger();
    const otherKey = store({ clientId, encryptionKey: randomBytes(32), logger });
    await expect(otherKey.load()).rejects.toThrow(/cannot be decrypted.*SPOTIPI_REDIS_KEY/);
    await expect(store({ clientId, logger }).load()).rejects.toBeInstanceOf(StoreReadError);
    // A seed written "over the empty store" is refused: the record is not empty.
    await expect(otherKey.save({ refreshToken: 'seed-refresh-token-zzzzzzzz' }, 0)).rejects.toBeInstanceOf(
      StaleWriteError,
    );
    expect(await raw.hgetall(`spotipi:token:${clientId}`)).toEqual(before);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(JSON.stringify(logger.lines)).not.toContain(record.refreshToken);
  });

  it('3: a server started with another key and a seed leaves the fleet’s record alone, serves from memory, and its status says why', async () => {
    const clientId = randomUUID();
    const fleetKey = randomBytes(32).toString('base64');
    await store({ clientId, encryptionKey: fleetKey }).save(record, 0);
    const before = await raw.hgetall(`spotipi:token:${clientId}`);
    let issued = 0;
    const cache = new TokenCache({
      refresh: async () => ({ accessToken: `local-access-token-${++issued}-aaaaaaaa`, expiresIn: 3600 }),
      store: store({ clientId, encryptionKey: randomBytes(32) }),
      seedRefreshToken: 'seed-refresh-token-from-env-zzzz',
      lockWaitMs: 200,
    });
    try {
      await expect(cache.getAccessToken()).resolves.toMatch(/^local-access-token-/);
      await new Promise((r) => setTimeout(r, 1_500)); // a retried save meanwhile must not land either
      expect(await raw.hgetall(`spotipi:token:${clientId}`)).toEqual(before);
      expect(cache.snapshot().store.health).toEqual({
        state: 'degraded',
        reason: expect.stringMatching(/cannot be decrypted.*SPOTIPI_REDIS_KEY/),
      });
      // The fleet's own instances still read their token.
      expect((await store({ clientId, encryptionKey: fleetKey }).load())?.refreshToken).toBe(
        record.refreshToken,
      );
    } finally {
      await cache.close();
    }
  });

  it('rotates keys with a list: the first key writes, every key reads, "plaintext" reads a record from before the key', async () => {
    const clientId = randomUUID();
    const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')];
    await store({ clientId }).save(record, 0);
    // Rolling a first key out: read plain text too, still write it, then write sealed.
    expect(await store({ clientId, encryptionKey: `${oldKey},plaintext` }).load()).toMatchObject(record);
    await expect(store({ clientId, encryptionKey: oldKey }).load()).rejects.toBeInstanceOf(StoreReadError);
    await store({ clientId, encryptionKey: `${oldKey},plaintext` }).save(record, 1);
    expect((await raw.hget(`spotipi:token:${clientId}`, 'refreshToken')) ?? '').toMatch(/^gcm1:/);
    // Rotating: instances on "old,new" and on "new,old" read each other's writes.
    const early = store({ clientId, encryptionKey: `${oldKey},${newKey}` });
    const late = store({ clientId, encryptionKey: `${newKey},${oldKey}` });
    expect(await late.load()).toMatchObject(record);
    await late.save({ ...record, accessToken: 'sealed-with-the-new-key' }, 2);
    expect((await early.load())?.accessToken).toBe('sealed-with-the-new-key');
    expect((await store({ clientId, encryptionKey: newKey }).load())?.accessToken).toBe(
      'sealed-with-the-new-key',
    );
  });

  it('refuses a save based on a stale version (compare-and-set in one script) and lets exactly one of concurrent ones win', async () => {
    const clientId = randomUUID();
    const instances = Array.from({ length: 6 }, () => store({ clientId }));
    expect(await instances[0]!.save(record, 0)).toBe(1);
    const results = await Promise.allSettled(
      instances.map((s, i) => s.save({ ...record, accessToken: `token-${i}` }, 1)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(StaleWriteError);
    expect(refused.reason.storedVersion).toBe(2);
    expect((await instances[0]!.load())?.version).toBe(2);
  });

  it('rejects malformed encryption keys without echoing them', () => {
    const secret = 'not-a-real-key-but-secret-looking';
    expect(() => parseEncryptionKey(secret)).toThrow(/32 bytes/);
    try {
      parseEncryptionKey(secret);
    } catch (err) {
      expect(String(err)).not.toContain(secret);
    }
    expect(() => parseEncryptionKey('ab'.repeat(31))).toThrow();
    expect(parseEncryptionKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseEncryptionKey(randomBytes(32).toString('base64url'))).toHaveLength(32);
  });
});

describe('RedisStore while Redis comes and goes', () => {
  it('reports degraded and rejects calls while Redis is unreachable at start, then joins when it appears', async () => {
    const own = await startRedisServer();
    await own.stop();
    const logger = new RecordingLogger();
    const s = new RedisStore({ url: own.url, clientId: 'c', logger, retryMaxDelayMs: 100 });
    stores.push(s);
    try {
      await expect(s.load()).rejects.toThrow(/redis token store/);
      await expect(s.save(record)).rejects.toThrow(/redis token store/);
      await expect(s.acquireLock(1000)).rejects.toThrow(/redis token store/);
      expect(s.health().state).toBe('degraded');
      expect(s.health().reason).toMatch(/redis/);
      await new Promise((r) => setTimeout(r, 500)); // several reconnect attempts
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);

      await own.start();
      await waitFor(() => s.health().state === 'ok', 'the store to reconnect');
      await saveOnTop(s, record);
      expect(await s.load()).toEqual({ ...record, version: expect.any(Number) });
    } finally {
      await own.dispose();
    }
  });

  it('fails fast mid-run with one warning, then heals and resynchronises listeners when Redis returns', async () => {
    const own = await startRedisServer();
    const logger = new RecordingLogger();
    const a = new RedisStore({ url: own.url, clientId: 'c', logger, retryMaxDelayMs: 100 });
    const b = new RedisStore({ url: own.url, clientId: 'c', retryMaxDelayMs: 100 });
    stores.push(a, b);
    try {
      const seen: (TokenRecord | undefined)[] = [];
      await saveOnTop(a, record);
      a.onChange((r) => seen.push(r));
      await waitFor(() => seen.length > 0, 'the replay after subscribing');
      seen.length = 0;
      expect(a.health()).toEqual({ state: 'ok' });

      await own.kill();
      await waitFor(() => a.health().state === 'degraded', 'the store to notice the outage');
      for (let i = 0; i < 20; i++) {
        await expect(a.load()).rejects.toThrow(/unavailable|failed/);
        await expect(a.invalidate('x')).rejects.toThrow();
      }
      await expect(a.waitForChange(record.accessToken, 60_000)).rejects.toThrow();
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(JSON.stringify(warnings)).not.toContain(record.refreshToken);

      await own.start(); // empty: no persistence
      await waitFor(() => a.health().state === 'ok' && b.health().state === 'ok', 'both stores to reconnect');
      expect(logger.lines.filter((l) => l.level === 'info')).toHaveLength(1);
      // An empty Redis after the restart is not news (it must not read as "drop your token").
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toEqual([]);
      await saveOnTop(b, { ...record, accessToken: 'after-restart' });
      await waitFor(() => seen.at(-1)?.accessToken === 'after-restart', 'notifications to flow again');
      expect(seen).toHaveLength(1);
    } finally {
      await own.dispose();
    }
  });

  it('tells a new listener the current record once subscribed, so a save between its first read and its subscription is not missed', async () => {
    const own = await startRedisServer();
    const a = new RedisStore({ url: own.url, clientId: 'c' });
    const b = new RedisStore({ url: own.url, clientId: 'c' });
    stores.push(a, b);
    try {
      expect(await a.load()).toBeUndefined(); // a's first read: nothing yet
      await saveOnTop(b, { ...record, accessToken: 'saved-before-a-subscribed' });
      const seen: (TokenRecord | undefined)[] = [];
      a.onChange((r) => seen.push(r));
      await waitFor(() => seen.length > 0, 'a to hear the current record');
      expect(seen.map((r) => r?.accessToken)).toEqual(['saved-before-a-subscribed']);
    } finally {
      await own.dispose();
    }
  });

  it('replays the current token to listeners that were cut off while another instance saved it', async () => {
    const own = await startRedisServer();
    const a = new RedisStore({
      url: own.url,
      clientId: 'c',
      retryMaxDelayMs: 2000,
      redisOptions: { connectionName: 'a' },
    });
    const b = new RedisStore({ url: own.url, clientId: 'c', retryMaxDelayMs: 100 });
    stores.push(a, b);
    const control = new Redis(own.url);
    try {
      const seen: (TokenRecord | undefined)[] = [];
      await saveOnTop(a, record);
      a.onChange((r) => seen.push(r));
      await waitFor(() => seen.length > 0, 'the replay after subscribing');
      seen.length = 0;
      await waitFor(
        async () => String(await control.client('LIST')).includes('name=a-sub'),
        'a to subscribe',
      );
      // Cut only a's connections, then let b save a new token a cannot hear about.
      const list = String(await control.client('LIST'));
      const ids = list
        .split('\n')
        .filter((line) => / name=a-(main|sub) /.test(line))
        .map((line) => /id=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(2);
      await Promise.all(ids.map((id) => control.client('KILL', 'ID', id!)));
      await saveOnTop(b, { ...record, accessToken: 'saved-while-a-was-away' });
      expect(seen).toEqual([]);
      await waitFor(() => seen.some((r) => r?.accessToken === 'saved-while-a-was-away'), 'a to resync');
    } finally {
      control.disconnect();
      await own.dispose();
    }
  });

  it('tells listeners that were cut off during an invalidation which token it dropped, once they are back', async () => {
    const { own, b, control, seen } = await listenerAboutToBeCutOff();
    try {
      expect(await b.invalidate(record.accessToken!)).toBe(true);
      expect(seen).toEqual([]);
      await waitFor(() => seen.length > 0, 'a to resync');
      const [replayed, info] = seen[0]!;
      expect(replayed?.accessToken).toBeUndefined();
      expect(replayed?.refreshToken).toBe(record.refreshToken);
      expect(info).toEqual({ invalidatedFingerprint: fingerprint(record.accessToken) });

      // A later save supersedes the invalidation: nothing stale is replayed after the next cut.
      await saveOnTop(b, {
        ...record,
        accessToken: undefined,
        expiresAt: undefined,
        refreshToken: 'refresh-after-login',
      });
      await waitFor(() => seen.length > 1, 'the live save notice');
      seen.length = 0;
      await cutOffStore(control, 'a');
      await waitFor(() => seen.length > 0, 'a to resync again');
      expect(seen[0]![0]?.refreshToken).toBe('refresh-after-login');
      expect(seen[0]![1]).toBeUndefined();
    } finally {
      control.disconnect();
      await own.dispose();
    }
  });

  it('replays a refresh token saved without an access token (a login) to listeners that were cut off', async () => {
    const { own, b, control, seen } = await listenerAboutToBeCutOff();
    try {
      await saveOnTop(b, { refreshToken: 'refresh-token-new-login', seedFingerprint: 'ffff0000' });
      await waitFor(() => seen.length > 0, 'a to resync');
      expect(seen[0]).toEqual([
        { refreshToken: 'refresh-token-new-login', seedFingerprint: 'ffff0000', version: expect.any(Number) },
        undefined,
      ]);
    } finally {
      control.disconnect();
      await own.dispose();
    }
  });

  it('reports degraded while Redis hangs (commands time out) and ok with the first answer after', async () => {
    const clientId = randomUUID();
    const logger = new RecordingLogger();
    const a = store({ clientId, logger, commandTimeoutMs: 150 });
    await saveOnTop(a, record);
    const control = new Redis(redis.url);
    try {
      await control.client('PAUSE', 1000, 'ALL');
      await expect(a.load()).rejects.toThrow(/timed out/i);
      expect(a.health().state).toBe('degraded');
      await waitFor(
        async () => (await a.load().catch(() => undefined))?.accessToken,
        'Redis to answer again',
      );
      expect(a.health()).toEqual({ state: 'ok' });
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      expect(logger.lines.filter((l) => l.level === 'info')).toHaveLength(1);
    } finally {
      control.disconnect();
    }
  });

  it('releases waiters and connections on close', async () => {
    const clientId = randomUUID();
    const a = store({ clientId, pollIntervalMs: 120_000 });
    await saveOnTop(a, record);
    const waiting = a.waitForChange(record.accessToken, 120_000);
    await subscribers(a.channel, 1);
    await a.close();
    expect(await waiting).toBeUndefined();
    await expect(a.load()).rejects.toThrow(/closed/);
  });
});

/**
 * Two stores on a fresh Redis: `a` (connection name 'a') has saved `record` and records what its
 * listeners are told in `seen`, and has just been cut off; `b` stays connected.
 */
async function listenerAboutToBeCutOff() {
  const own = await startRedisServer();
  const a = new RedisStore({
    url: own.url,
    clientId: 'c',
    retryMaxDelayMs: 300,
    redisOptions: { connectionName: 'a' },
  });
  const b = new RedisStore({ url: own.url, clientId: 'c', retryMaxDelayMs: 100 });
  stores.push(a, b);
  const control = new Redis(own.url);
  const seen: Array<[TokenRecord | undefined, unknown]> = [];
  await saveOnTop(a, record);
  a.onChange((r, info) => seen.push([r, info]));
  // Once subscribed, a listener is told the current record (a change may have come before).
  await waitFor(() => seen.length > 0, 'the replay after subscribing');
  seen.length = 0;
  await cutOffStore(control, 'a');
  return { own, a, b, control, seen };
}
