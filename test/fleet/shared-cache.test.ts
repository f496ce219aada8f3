import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/token/fingerprint.js';
import { RedisStore } from '../../src/token/stores/redis-store.js';
import { TokenCache, type TokenCacheOptions } from '../../src/token/token-cache.js';
import type { Logger } from '../../src/token/types.js';
import { cutOffStore, type RedisServerHandle, startRedisServer, waitFor } from '../helpers/redis-server.js';
import { RealTimeIssuer } from './real-time-issuer.js';

// Several TokenCache instances in one process, each with its own RedisStore (its own
// connections, as separate processes would have) on one real redis-server.

const LIFETIME_S = 4; // refresh-ahead at 2 s left (half the lifetime), safety margin 0.4 s
const WINDOW_MS = (LIFETIME_S * 1000) / 2;

interface Member {
  cache: TokenCache;
  store: RedisStore;
  warnings: string[];
}

function collectingLogger(into: string[]): Logger {
  const noop = () => {};
  return {
    debug: noop,
    info: noop,
    error: (_o, msg) => into.push(msg ?? ''),
    warn: (_o, msg) => into.push(msg ?? ''),
  };
}

let shared: RedisServerHandle;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  shared = await startRedisServer();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await shared.dispose();
});

function fleet(
  size: number,
  url: string,
  issuer: RealTimeIssuer,
  clientId = randomUUID(),
  options: Partial<TokenCacheOptions> = {},
): Member[] {
  const members = Array.from({ length: size }, (_, i) => {
    const warnings: string[] = [];
    const logger = collectingLogger(warnings);
    const store = new RedisStore({
      url,
      clientId,
      logger,
      retryMaxDelayMs: 200,
      redisOptions: { connectionName: `instance-${i}` },
    });
    const cache = new TokenCache({
      name: `instance-${i}`,
      refresh: issuer.refresh,
      store,
      logger,
      seedRefreshToken: issuer.initialRefreshToken,
      lockTtlMs: 3000,
      lockWaitMs: 1000,
      attemptTimeoutMs: 2000,
      backoffBaseMs: 50,
      ...options,
    });
    return { cache, store, warnings };
  });
  cleanups.push(async () => {
    for (const m of members) {
      await m.cache.close();
      await m.store.close();
    }
  });
  return members;
}

interface HammerStats {
  ok: number;
  failed: number;
  expiredHandedOut: number;
  errors: string[];
}

/** `perCache` loops per cache calling getAccessToken back to back until stopped. */
function hammer(members: Member[], issuer: RealTimeIssuer, perCache = 3) {
  let running = true;
  const stats: HammerStats = { ok: 0, failed: 0, expiredHandedOut: 0, errors: [] };
  const loops = members.flatMap((m) =>
    Array.from({ length: perCache }, async () => {
      while (running) {
        try {
          const token = await m.cache.getAccessToken();
          if (!issuer.accepts(token)) stats.expiredHandedOut++;
          stats.ok++;
        } catch (err) {
          stats.failed++;
          if (stats.errors.length < 5) stats.errors.push(String(err));
        }
        await delay(5);
      }
    }),
  );
  return {
    stats,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}

/**
 * Once Redis is (back) up: every store reconnects, the first refresh after is shared, and from then
 * on the fleet makes at most one grant per window with no failed call. Returns the grants after settling.
 */
async function expectSharedAgain(
  members: Member[],
  issuer: RealTimeIssuer,
  run: ReturnType<typeof hammer>,
): Promise<number[]> {
  await waitFor(() => members.every((m) => m.store.health().state === 'ok'), 'every store to connect');
  await delay(WINDOW_MS * 1.5);
  const settledAt = Date.now();
  await delay(WINDOW_MS * 3);
  const stats = await run.stop();
  expect(stats.errors).toEqual([]);
  expect(stats.failed).toBe(0);
  expect(stats.expiredHandedOut).toBe(0);
  const joined = issuer.grants.filter((t) => t >= settledAt);
  expect(joined.length).toBeLessThanOrEqual(3);
  for (let i = 1; i < joined.length; i++) expect(joined[i]! - joined[i - 1]!).toBeGreaterThan(WINDOW_MS / 2);
  return joined;
}

describe('TokenCache instances sharing one Redis', () => {
  it('make one refresh for a herd spread over every instance, and all get its token', async () => {
    const issuer = new RealTimeIssuer('seed-rt-herd', { lifetimeS: 3600, latencyMs: 50 });
    const members = fleet(6, shared.url, issuer);
    const tokens = await Promise.all(
      members.flatMap((m) => Array.from({ length: 200 }, () => m.cache.getAccessToken())),
    );
    expect(issuer.grants).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('make one refresh for a burst of 401s on the same token across the fleet', async () => {
    const issuer = new RealTimeIssuer('seed-rt-401', { lifetimeS: 3600, latencyMs: 50 });
    const members = fleet(6, shared.url, issuer);
    const first = await Promise.all(members.map((m) => m.cache.getAccessToken()));
    expect(new Set(first).size).toBe(1);
    expect(issuer.grants).toHaveLength(1);
    const rejected = first[0]!;

    const after = await Promise.all(
      members.flatMap((m) =>
        Array.from({ length: 10 }, async () => {
          m.cache.invalidate(rejected);
          return m.cache.getAccessToken();
        }),
      ),
    );
    expect(issuer.grants).toHaveLength(2);
    expect(new Set(after).size).toBe(1);
    expect(after[0]).not.toBe(rejected);
    // A late 401 for the old token drops nothing anywhere.
    for (const m of members) m.cache.invalidate(rejected);
    expect(await Promise.all(members.map((m) => m.cache.getAccessToken()))).toEqual(
      members.map(() => after[0]),
    );
    expect(issuer.grants).toHaveLength(2);
  });

  it('make one refresh between them when it takes longer than the lock TTL: the holder renews its lock', async () => {
    const issuer = new RealTimeIssuer('seed-rt-slow', { lifetimeS: 3600, latencyMs: 2500 });
    const members = fleet(3, shared.url, issuer, randomUUID(), {
      lockTtlMs: 900,
      attemptTimeoutMs: 5000,
    }).map((m) => m.cache);
    // The refresh takes almost three lock TTLs; waiters see the lock held and keep waiting.
    const first = members[0]!.getAccessToken();
    await delay(200);
    const tokens = await Promise.all([first, ...members.slice(1).map((c) => c.getAccessToken())]);
    expect(issuer.grants).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('refresh once per token window between them while hammered, and rotation never loses the refresh token', async () => {
    const issuer = new RealTimeIssuer('seed-rt-rotate', {
      lifetimeS: LIFETIME_S,
      latencyMs: 30,
      rotate: true,
    });
    const members = fleet(5, shared.url, issuer);
    const run = hammer(members, issuer);
    await delay(WINDOW_MS * 4.5);
    const stats = await run.stop();

    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.expiredHandedOut).toBe(0);
    expect(issuer.deadGrantUses).toBe(0);
    // One grant per window (plus the first), never two refreshes in the same window.
    expect(issuer.grants.length).toBeGreaterThanOrEqual(4);
    expect(issuer.grants.length).toBeLessThanOrEqual(6);
    expect(issuer.minGrantGapMs()).toBeGreaterThan(WINDOW_MS / 2);

    const [valid] = issuer.validRefreshTokens();
    expect((await members[0]!.store.load())?.refreshToken).toBe(valid);
    await waitFor(
      () => members.every((m) => m.cache.snapshot().refresh_token.fingerprint === fingerprint(valid)),
      'every instance to hold the newest refresh token',
    );
  }, 60_000);

  it('tell an instance that was cut off what it missed: a login elsewhere, then a token dropped by a 401', async () => {
    const issuer = new RealTimeIssuer('seed-rt-login', { lifetimeS: 3600, latencyMs: 10 });
    const clientId = randomUUID();
    // Configured with a refresh token the provider does not know: every instance needs a login.
    const members = fleet(2, shared.url, issuer, clientId, { seedRefreshToken: 'refresh-token-dead-seed' });
    const [a, b] = members.map((m) => m.cache) as [TokenCache, TokenCache];
    await expect(a.getAccessToken()).rejects.toThrow(/invalid_grant/);
    await b.load();
    const control = new Redis(shared.url);
    cleanups.push(async () => control.disconnect());

    await cutOffStore(control, 'instance-0');
    await b.setRefreshToken(issuer.initialRefreshToken); // the login happens on b
    await waitFor(() => a.snapshot().state !== 'reauthorization_required', 'a to learn of the login');
    const token = await a.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(await b.getAccessToken()).toBe(token);

    await cutOffStore(control, 'instance-0');
    b.invalidate(token); // a 401 on b while a is away
    await waitFor(() => !a.snapshot().token_info.present, 'a to drop the rejected token');
    const next = await a.getAccessToken();
    expect(next).not.toBe(token);
    expect(await b.getAccessToken()).toBe(next);
    expect(issuer.grants).toHaveLength(2);
  });

  it('start and serve with Redis absent, then join it when it appears', async () => {
    const own = await startRedisServer();
    cleanups.push(() => own.dispose());
    await own.stop();
    const issuer = new RealTimeIssuer('seed-rt-late', { lifetimeS: LIFETIME_S, latencyMs: 30 });
    const members = fleet(4, own.url, issuer);
    const run = hammer(members, issuer);
    await delay(WINDOW_MS);
    expect(members.every((m) => m.cache.snapshot().store.health.state === 'degraded')).toBe(true);
    expect(issuer.grants.length).toBeGreaterThanOrEqual(members.length);

    await own.start();
    await expectSharedAgain(members, issuer, run);
    expect(new Set(await Promise.all(members.map((m) => m.cache.getAccessToken()))).size).toBe(1);
  }, 60_000);

  it('keep serving every call on their own while Redis is down, and share again once it is back', async () => {
    const own = await startRedisServer();
    cleanups.push(() => own.dispose());
    const issuer = new RealTimeIssuer('seed-rt-outage', { lifetimeS: LIFETIME_S, latencyMs: 30 });
    const members = fleet(5, own.url, issuer);
    const run = hammer(members, issuer);

    await delay(WINDOW_MS * 1.5);
    const sharedGrants = issuer.grants.length;
    expect(sharedGrants).toBeLessThanOrEqual(2);

    await own.kill();
    const downAt = Date.now();
    await waitFor(
      () => members.every((m) => m.cache.snapshot().store.health.state === 'degraded'),
      'every instance to report the store degraded',
    );
    await delay(LIFETIME_S * 1000 * 1.5); // every instance's token expires meanwhile
    const duringOutage = issuer.grants.filter((t) => t >= downAt).length;
    // Each instance refreshed on its own: that is the degraded mode working, not a failure.
    expect(duringOutage).toBeGreaterThanOrEqual(members.length);

    await own.start();
    const rejoined = await expectSharedAgain(members, issuer, run);
    expect(rejoined.length).toBeGreaterThanOrEqual(1);
    const tokens = await Promise.all(members.map((m) => m.cache.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(members.every((m) => m.cache.snapshot().store.health.state === 'ok')).toBe(true);
    // One "unreachable" warning per store for the whole outage, not a flood.
    for (const m of members) {
      expect(m.warnings.filter((w) => w.includes('redis token store unreachable'))).toHaveLength(1);
    }
    const raw = new Redis(own.url);
    try {
      expect(await raw.hget(members[0]!.store.key, 'accessToken')).toBe(tokens[0]);
    } finally {
      raw.disconnect();
    }
  }, 60_000);
});
