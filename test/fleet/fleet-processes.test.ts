import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { fingerprint } from '../../src/token/fingerprint.js';
import { type RedisServerHandle, startRedisServer, waitFor } from '../helpers/redis-server.js';
import { expiredTokenTolerance } from '../helpers/stall-tolerance.js';
import { type FleetWorker, startFleet, startWorker, workerDefaults } from './fleet-harness.js';
import type { WorkerConfig, WorkerEvent, WorkerStats } from './fleet-worker.js';

// Real processes (node + tsx), each a TokenCache + RedisStore + AccountsClient, against one
// emulator over loopback and one real redis-server.

const FLEET_SIZE = 5;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setUp(emulatorOptions: { tokenLifetimeSec: number; rotateRefreshTokens?: boolean }) {
  const redis = await startRedisServer();
  cleanups.push(() => redis.dispose());
  const emulator = await startEmulator({ ...emulatorOptions });
  cleanups.push(() => emulator.close());
  return { redis, emulator };
}

function baseConfig(
  emulator: RunningEmulator,
  redis: RedisServerHandle,
  overrides: Partial<WorkerConfig> = {},
): Omit<WorkerConfig, 'name'> {
  return {
    ...workerDefaults,
    emulatorUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
    seedRefreshToken: DEMO_REFRESH_TOKEN,
    redisUrl: redis.url,
    ...overrides,
  };
}

async function launch(count: number, config: Omit<WorkerConfig, 'name'>): Promise<FleetWorker[]> {
  const workers = await startFleet(count, config);
  cleanups.push(async () => {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
  });
  return workers;
}

/** Times of successful upstream refreshes across the fleet, in order. */
function grantTimes(workers: FleetWorker[]): number[] {
  return workers
    .flatMap((w) => w.events)
    .filter((e): e is Extract<WorkerEvent, { type: 'refresh_end' }> => e.type === 'refresh_end' && e.ok)
    .map((e) => e.at)
    .sort((a, b) => a - b);
}

function expectNoFailures(all: WorkerStats[]): void {
  expect(all.flatMap((s) => s.errors)).toEqual([]);
  expect(all.map((s) => s.failed)).toEqual(all.map(() => 0));
  expect(all.map((s) => s.apiRejected)).toEqual(all.map(() => 0));
  expect(all.reduce((n, s) => n + s.calls, 0)).toBeGreaterThan(1000);
  expect(all.reduce((n, s) => n + s.apiOk, 0)).toBeGreaterThan(100);
}

describe(`a fleet of ${FLEET_SIZE} processes sharing one Redis`, () => {
  it('makes one refresh grant per token window between them, and rotation never loses the refresh token', async () => {
    const { redis, emulator } = await setUp({ tokenLifetimeSec: 4, rotateRefreshTokens: true });
    // 4 s tokens, refreshed 1 s ahead: a new window every 3 s.
    const windowMs = 3000;
    const encryptionKey = randomBytes(32).toString('base64');
    const config = baseConfig(emulator, redis, { refreshAheadMs: 1000, encryptionKey });
    const workers = await launch(FLEET_SIZE, config);
    const startedAt = Date.now();
    await delay(windowMs * 2);
    // A late joiner configured with the original refresh token, which rotation has revoked by now:
    // it must take the fleet's current one from Redis.
    expect(emulator.validRefreshTokens()).not.toContain(DEMO_REFRESH_TOKEN);
    const late = await startWorker({ ...config, name: 'late-joiner' });
    workers.push(late);
    cleanups.push(async () => {
      await late.stop().catch(() => {});
    });
    await delay(windowMs * 2);
    const all = await Promise.all(workers.map((w) => w.stop()));
    const elapsed = Date.now() - startedAt;
    expect(late.stats()?.calls).toBeGreaterThan(100);

    expectNoFailures(all);
    const stats = emulator.stats();
    expect(stats.tokenErrors).toEqual({});
    expect(stats.expiredTokensRejected).toBeLessThanOrEqual(expiredTokenTolerance(elapsed, windowMs));
    expect(stats.invalidTokensRejected).toBe(0);
    const grants = stats.tokenGrants.refresh_token;
    expect(grants).toBeGreaterThanOrEqual(4);
    expect(grants).toBeLessThanOrEqual(Math.ceil(elapsed / windowMs) + 1);
    const times = grantTimes(workers);
    expect(times).toHaveLength(grants);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThan(windowMs / 2);

    // Every process ended on the one refresh token the provider still accepts.
    const valid = emulator.validRefreshTokens();
    expect(valid).toHaveLength(1);
    expect(all.map((s) => s.refreshTokenFingerprint)).toEqual(all.map(() => fingerprint(valid[0])));
    // ...and Redis holds it only encrypted.
    const raw = new Redis(redis.url);
    try {
      const stored = await raw.hgetall(`spotipi:token:${DEMO_CLIENT_ID}`);
      expect(stored.refreshToken).toMatch(/^gcm1:/);
      expect(JSON.stringify(stored)).not.toContain(valid[0]);
    } finally {
      raw.disconnect();
    }
  }, 90_000);

  it('survives kill -9 of the lock holder in mid-refresh: another process refreshes within the lock TTL', async () => {
    const { redis, emulator } = await setUp({ tokenLifetimeSec: 8 });
    const lockTtlMs = 2000;
    const workers = await launch(
      FLEET_SIZE,
      baseConfig(emulator, redis, { refreshAheadMs: 3500, safetyMarginMs: 500, lockTtlMs, lockWaitMs: 300 }),
    );
    await waitFor(() => grantTimes(workers).length === 1, 'the first grant');

    // The next token request hangs; whoever makes it holds the fleet lock. Kill it in mid-request.
    emulator.injectFault({ target: 'token', kind: 'delay', delayMs: 60_000 });
    // The first refresh_start made the first grant; the second is the hung one.
    const secondStart = await waitFor(
      () => {
        const starts = workers.flatMap((w) =>
          w.events
            .filter((e) => e.type === 'refresh_start')
            .map((e) => ({ w, at: (e as { at: number }).at })),
        );
        starts.sort((a, b) => a.at - b.at);
        return starts[1];
      },
      'the hung refresh to start',
      20_000,
    );
    const holder = secondStart.w;
    await holder.kill9();
    const survivors = workers.filter((w) => w !== holder);

    const takeover = await waitFor(
      () => grantTimes(survivors).find((t) => t > secondStart.at),
      'another process to refresh',
      20_000,
    );
    expect(takeover - secondStart.at).toBeLessThanOrEqual(lockTtlMs + 2000);
    await delay(2000);
    const all = await Promise.all(survivors.map((w) => w.stop()));
    expectNoFailures(all);
    expect(emulator.stats().expiredTokensRejected).toBeLessThanOrEqual(expiredTokenTolerance(20_000, 2_000));
  }, 90_000);

  it('keeps every request working while Redis is down, and shares one token again once it is back', async () => {
    const { redis, emulator } = await setUp({ tokenLifetimeSec: 4 });
    const windowMs = 3000;
    const workers = await launch(FLEET_SIZE, baseConfig(emulator, redis, { refreshAheadMs: 1000 }));
    await delay(windowMs * 1.5);
    expect(grantTimes(workers).length).toBeLessThanOrEqual(2);

    await redis.stop();
    const downAt = Date.now();
    await delay(windowMs * 2);
    const grantsWhileDown = grantTimes(workers).filter((t) => t > downAt).length;
    // Each process kept itself supplied on its own (degraded, not failing).
    expect(grantsWhileDown).toBeGreaterThanOrEqual(FLEET_SIZE);
    expect(workers.map((w) => w.stats()?.storeHealth)).toEqual(workers.map(() => 'degraded'));

    await redis.start();
    await waitFor(
      () => workers.every((w) => w.stats()?.storeHealth === 'ok'),
      'every process to rejoin Redis',
      windowMs * 4,
    );
    await delay(windowMs);
    const settledAt = Date.now();
    await delay(windowMs * 3);
    const all = await Promise.all(workers.map((w) => w.stop()));
    const shared = grantTimes(workers).filter((t) => t > settledAt);
    expect(shared.length).toBeGreaterThanOrEqual(2);
    expect(shared.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < shared.length; i++) expect(shared[i]! - shared[i - 1]!).toBeGreaterThan(windowMs / 2);

    expectNoFailures(all);
    expect(emulator.stats().expiredTokensRejected).toBeLessThanOrEqual(
      expiredTokenTolerance(windowMs * 10, windowMs),
    );
    // Not a log flood: a handful of warnings per process for a whole outage.
    for (const s of all) expect(s.warnings).toBeLessThanOrEqual(4);
  }, 90_000);
});
