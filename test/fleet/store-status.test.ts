import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { RedisStore } from '../../src/token/stores/redis-store.js';
import { TokenCache } from '../../src/token/token-cache.js';
import { startRedisServer, waitFor } from '../helpers/redis-server.js';
import { RealTimeIssuer } from './real-time-issuer.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('shows the shared store healthy again as soon as Redis is back, not only at the next refresh', async () => {
  const redis = await startRedisServer();
  cleanups.push(() => redis.dispose());
  const issuer = new RealTimeIssuer('seed-rt-status', { lifetimeS: 3600 });
  const clientId = randomUUID();
  const members = [0, 1].map(() => {
    const store = new RedisStore({ url: redis.url, clientId, retryMaxDelayMs: 100 });
    const cache = new TokenCache({ refresh: issuer.refresh, store, seedRefreshToken: 'seed-rt-status' });
    cleanups.push(async () => {
      await cache.close();
      await store.close();
    });
    return { store, cache };
  });
  const token = (await Promise.all(members.map((m) => m.cache.getAccessToken())))[0]!;
  await redis.stop();
  // A 401 during the outage: the store call fails, the cache serves on by itself.
  members[0]!.cache.invalidate(token);
  await members[0]!.cache.getAccessToken();
  await waitFor(() => members[0]!.cache.snapshot().store.health.state === 'degraded', 'degraded status');
  await redis.start();
  await waitFor(() => members.every((m) => m.store.health().state === 'ok'), 'the stores to reconnect');
  // No store call has been made since (the token is valid for an hour): the status follows the store.
  await waitFor(
    () => members.every((m) => m.cache.snapshot().store.health.state === 'ok'),
    'the cache status to follow the store',
    5000,
  );
  expect(members.map((m) => m.cache.snapshot().store.health)).toEqual([{ state: 'ok' }, { state: 'ok' }]);
  expect(issuer.grants).toHaveLength(2);
});
