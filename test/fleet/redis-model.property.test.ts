import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { systemClock } from '../../src/token/clock.js';
import { RedisStore } from '../../src/token/stores/redis-store.js';
import {
  type FleetWorld,
  finishFleet,
  fleetCommands,
  startFleet,
} from '../../src/token/test-helpers/fleet-model.js';
import { GrantIssuer } from '../../src/token/test-helpers/grant-issuer.js';
import type { TokenStore } from '../../src/token/types.js';
import { type RedisServerHandle, startRedisServer } from '../helpers/redis-server.js';

// The same model as src/token/token-cache.fleet-model.property.test.ts, on a real redis-server and
// real time (so fewer, shorter runs): 4-second tokens, steps of up to a second.
const LIFETIME_S = 4;

let redis: RedisServerHandle;
let control: Redis;

beforeAll(async () => {
  redis = await startRedisServer();
  control = new Redis(redis.url);
});

afterAll(async () => {
  control.disconnect();
  await redis.dispose();
});

function redisWorld(clientId: string, opened: RedisStore[]): FleetWorld {
  const key = `spotipi:token:${clientId}`;
  return {
    clock: systemClock,
    connect: (name) => {
      const store = new RedisStore({
        url: redis.url,
        clientId,
        retryMaxDelayMs: 100,
        pollIntervalMs: 50,
        redisOptions: { connectionName: name },
      });
      opened.push(store);
      return store;
    },
    // A crashed process: its connections close without releasing its lock (the TTL frees it).
    kill: async (store: TokenStore) => {
      await (store as RedisStore).close();
    },
    expireLock: async () => {
      await control.del(`${key}:lock`);
    },
    peek: async () => {
      const fields = await control.hmget(key, 'version', 'refreshToken');
      if (fields[0] === null) return undefined;
      return { version: Number(fields[0]), refreshToken: fields[1] ?? undefined };
    },
    advance: (ms) => delay(ms),
  };
}

describe('A fleet of token caches on one real Redis, model-based (issue 13)', () => {
  it('keeps the version monotonic, every login, no earlier grant after a login, no refresh token spent twice, and settles every caller', {
    timeout: 240_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 0, max: 150 }),
        fc.commands(fleetCommands(3, 1_000, false, 300), { maxCommands: 14 }),
        async (size, latencyMs, commands) => {
          const issuer = new GrantIssuer(systemClock);
          issuer.latencyMs = latencyMs;
          issuer.lifetimeS = LIFETIME_S;
          const opened: RedisStore[] = [];
          const world = redisWorld(randomUUID(), opened);
          const real = await startFleet(
            world,
            size,
            {
              lockTtlMs: 1_500,
              lockWaitMs: 500,
              attemptTimeoutMs: 1_000,
              backoffBaseMs: 50,
              storeTimeoutMs: 1_000,
            },
            issuer,
          );
          try {
            await fc.asyncModelRun(() => ({ model: {}, real }), commands);
            await finishFleet(real, 4_000, LIFETIME_S * 1000);
          } finally {
            await Promise.all(real.caches.map((c) => c.close()));
            await Promise.all(opened.map((s) => s.close()));
          }
        },
      ),
      { numRuns: 8 },
    );
  });
});
