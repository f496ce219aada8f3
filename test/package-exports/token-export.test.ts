import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../helpers/redis-server.js';
import { buildConsumerPackage, run, tsc } from './consumer-package.js';

let work: string;
let consumer: string;

beforeAll(async () => {
  ({ work, consumer } = await buildConsumerPackage());
}, 120_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the 'spotipi/token' package entry", () => {
  it('imports TokenCache and its stores from another package and serves a token', async () => {
    const script = `
      import('spotipi/token').then(async (m) => {
        let calls = 0;
        const cache = new m.TokenCache({
          refresh: async () => { calls++; return { accessToken: 'consumer-token-0123456789', expiresIn: 3600 }; },
          store: new m.MemoryStore(),
        });
        const tokens = await Promise.all([cache.getAccessToken(), cache.getAccessToken(), cache.getAccessToken()]);
        const snap = cache.snapshot();
        await cache.close();
        console.log(JSON.stringify({
          exports: Object.keys(m).sort(),
          tokens, calls, state: snap.state, hits: snap.cache_metrics.total_requests,
          leaked: JSON.stringify(snap).includes('consumer-token-0123456789'),
        }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer });
    const out = JSON.parse(stdout.trim());
    expect(out.exports).toEqual(
      expect.arrayContaining([
        'TokenCache',
        'MemoryStore',
        'FileStore',
        'SharedMemoryBackend',
        'ManualClock',
        'systemClock',
        'fingerprint',
        'ReauthorizationRequiredError',
        'RetryableRefreshError',
        'TokenUnavailableError',
        'StaleWriteError',
        'StoreReadError',
        'StoreTimeoutError',
        'PermanentRefreshError',
      ]),
    );
    expect(out.tokens).toEqual(Array(3).fill('consumer-token-0123456789'));
    expect(out.calls).toBe(1);
    expect(out.state).toBe('valid');
    expect(out.hits).toBe(3);
    expect(out.leaked).toBe(false);
  }, 60_000);

  it("imports the Redis store from 'spotipi/token/redis' and shares a token through a real Redis", async () => {
    const redis = await startRedisServer();
    try {
      const script = `
        Promise.all([import('spotipi/token'), import('spotipi/token/redis')]).then(async ([t, r]) => {
          let calls = 0;
          const refresh = async () => { calls++; return { accessToken: 'fleet-token-0123456789', expiresIn: 3600 }; };
          const stores = [1, 2].map(() => new r.RedisStore({ url: process.env.REDIS_URL, clientId: 'consumer' }));
          const caches = stores.map((store) => new t.TokenCache({ refresh, store }));
          const first = await caches[0].getAccessToken();
          const second = await caches[1].getAccessToken();
          const kind = caches[1].snapshot().store.kind;
          for (const c of caches) await c.close();
          for (const s of stores) await s.close();
          console.log(JSON.stringify({ first, second, calls, kind }));
        });`;
      const { stdout } = await run(process.execPath, ['-e', script], {
        cwd: consumer,
        env: { ...process.env, REDIS_URL: redis.url },
      });
      expect(JSON.parse(stdout.trim())).toEqual({
        first: 'fleet-token-0123456789',
        second: 'fleet-token-0123456789',
        calls: 1,
        kind: 'redis',
      });
    } finally {
      await redis.dispose();
    }
  }, 60_000);

  it('keeps a custom store written to the contract before versions working on its own, and refuses one that would share a token without them, naming it', async () => {
    const script = `
      import('spotipi/token').then(async (m) => {
        // Written before versions: save(record) ignores the expected version, load has no version.
        let saved;
        const legacy = {
          kind: 'legacy-kv',
          load: async () => saved,
          save: async (record) => { saved = { ...record }; },
          invalidate: async () => false,
        };
        let n = 0;
        const refresh = async () => ({ accessToken: 'legacy-token-' + ++n + '-0123456789', expiresIn: 3600, refreshToken: 'rt-' + n + '-abcdefgh' });
        const cache = new m.TokenCache({ refresh, store: legacy, seedRefreshToken: 'seed-rt-0123456789' });
        const token = await cache.getAccessToken();
        await cache.close();
        const restarted = new m.TokenCache({ refresh, store: legacy });
        const again = await restarted.getAccessToken();
        await restarted.close();
        let refused = '';
        try {
          new m.TokenCache({ refresh, store: { ...legacy, kind: 'legacy-shared', acquireLock: async () => undefined, waitForChange: async () => undefined } });
        } catch (e) { refused = e.constructor.name + ': ' + e.message; }
        console.log(JSON.stringify({ token, again, savedRefreshToken: saved.refreshToken, refused }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer });
    const out = JSON.parse(stdout.trim());
    expect(out.token).toBe('legacy-token-1-0123456789');
    expect(out.again).toBe(out.token); // reused after a restart, as before
    expect(out.savedRefreshToken).toBe('rt-1-abcdefgh'); // the rotated refresh token was saved
    expect(out.refused).toMatch(/^TypeError: .*'legacy-shared'.*versioned/);
  }, 60_000);

  it('does not expose internal modules outside the exports map', async () => {
    const script = `import('spotipi/dist/token/token-cache.js').then(() => console.log('reachable'), (e) => console.log(e.code))`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: consumer });
    expect(stdout.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  }, 60_000);

  it('gives TypeScript consumers types for the entry', async () => {
    await writeFile(
      join(consumer, 'use.ts'),
      [
        "import { TokenCache, type TokenCacheSnapshot, type TokenStore, createFileStore } from 'spotipi/token';",
        "const store: TokenStore = createFileStore('/tmp/x.json');",
        "const cache = new TokenCache({ refresh: async () => ({ accessToken: 'a', expiresIn: 60 }), store });",
        'const token: Promise<string> = cache.getAccessToken();',
        'const snap: TokenCacheSnapshot = cache.snapshot();',
        'export { token, snap };',
      ].join('\n'),
    );
    await writeFile(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['use.ts'],
      }),
    );
    await expect(
      run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }),
    ).resolves.toBeDefined();
  }, 60_000);
});
