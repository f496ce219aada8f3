import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/token/stores/redis-store.js';
import { TokenCache } from '../../src/token/token-cache.js';
import type { TokenRecord } from '../../src/token/types.js';
import { type RedisServerHandle, startRedisServer, waitFor } from '../helpers/redis-server.js';
import { RealTimeIssuer } from './real-time-issuer.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.dispose();
});

/** A RedisStore whose first read is answered only after `gate` (a process descheduled at start). */
class SlowFirstRead extends RedisStore {
  private first = true;
  constructor(
    url: string,
    clientId: string,
    private readonly gate: Promise<void>,
  ) {
    super({ url, clientId });
  }
  override async load(): Promise<TokenRecord | undefined> {
    const record = await super.load();
    if (this.first) {
      this.first = false;
      await this.gate;
    }
    return record;
  }
}

it('a server that starts while another already rotated the seed does not put the dead seed back', async () => {
  const clientId = randomUUID();
  const issuer = new RealTimeIssuer('seed-rt', { lifetimeS: 3600, rotate: true });
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const fastStore = new RedisStore({ url: redis.url, clientId });
  const slowStore = new SlowFirstRead(redis.url, clientId, gate);
  const options = { refresh: issuer.refresh, seedRefreshToken: 'seed-rt', lockTtlMs: 3000, lockWaitMs: 500 };
  const fast = new TokenCache({ ...options, store: fastStore, name: 'fast' });
  const slow = new TokenCache({ ...options, store: slowStore, name: 'slow' });
  try {
    // The slow one reads the empty store, then the fast one refreshes and rotates the seed away.
    const slowInit = slow.init();
    await fast.getAccessToken();
    expect(issuer.grants).toHaveLength(1);
    open();
    await slowInit;

    // Redis still holds the live (rotated) refresh token, and both keep refreshing with it.
    const stored = await fastStore.load();
    expect(issuer.validRefreshTokens()).toEqual([stored?.refreshToken]);
    await slow.forceRefresh();
    await fast.forceRefresh();
    expect(issuer.deadGrantUses).toBe(0);
    // The slow one hears of the fast one's refresh through pub/sub, which may land a moment later.
    const latest = await fast.getAccessToken();
    await waitFor(
      async () => (await slow.getAccessToken()) === latest,
      'the slow one to adopt the latest token',
    );
    await waitFor(() => fast.snapshot().state === 'valid' && slow.snapshot().state === 'valid', 'both valid');
  } finally {
    await fast.close();
    await slow.close();
    await fastStore.close();
    await slowStore.close();
  }
});
