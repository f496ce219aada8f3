import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/token/stores/redis-store.js';
import { TokenCache } from '../../src/token/token-cache.js';
import { type RedisServerHandle, startRedisServer, waitFor } from '../helpers/redis-server.js';
import { RealTimeIssuer } from './real-time-issuer.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.dispose();
});

it('a Disconnect on one server logs out the others on the same Redis, and a login on any brings all back', async () => {
  const clientId = randomUUID();
  const issuer = new RealTimeIssuer('seed-rt', { lifetimeS: 3600, rotate: true });
  const stores = [new RedisStore({ url: redis.url, clientId }), new RedisStore({ url: redis.url, clientId })];
  const options = { refresh: issuer.refresh, seedRefreshToken: 'seed-rt', lockTtlMs: 3000, lockWaitMs: 500 };
  const [a, b] = stores.map((store, i) => new TokenCache({ ...options, store, name: `s${i}` })) as [
    TokenCache,
    TokenCache,
  ];
  try {
    await a.getAccessToken();
    await b.getAccessToken();
    const grants = issuer.grants.length;

    await a.forgetRefreshToken();
    // Redis no longer holds the login: a server started now would have none either.
    const stored = await stores[0]!.load();
    expect(stored?.refreshToken).toBeUndefined();
    expect(stored?.accessToken).toBeUndefined();
    // The other server hears of it through Redis pub/sub.
    await waitFor(
      () => b.snapshot().state === 'reauthorization_required',
      'the other server to be logged out',
    );
    await expect(b.getAccessToken()).rejects.toThrow(/disconnected/);
    expect(issuer.grants.length).toBe(grants);

    await b.setRefreshToken(issuer.issueLogin());
    await waitFor(() => a.snapshot().refresh_token.present, 'the login to reach the first server');
    expect(await a.getAccessToken()).toBe(await b.getAccessToken());
  } finally {
    await a.close();
    await b.close();
    await Promise.all(stores.map((s) => s.close()));
  }
});
