import { describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError } from './errors.js';
import { fingerprint } from './fingerprint.js';
import { ManualClock } from './manual-clock.js';
import { SharedMemoryBackend } from './stores/shared-memory-store.js';
import { FakeIssuer, settle, track } from './test-helpers/fake-issuer.js';
import { RecordingLogger } from './test-helpers/recording-logger.js';
import { TokenCache, type TokenCacheOptions } from './token-cache.js';

const MIN = 60_000;

/** A fleet of caches ("processes") sharing one backend and one upstream issuer. */
function fleet(size: number, opts: Partial<TokenCacheOptions> = {}) {
  const clock = new ManualClock();
  const backend = new SharedMemoryBackend(clock);
  const issuer = new FakeIssuer(clock);
  const logger = new RecordingLogger();
  const caches = Array.from(
    { length: size },
    (_, i) =>
      new TokenCache({
        refresh: issuer.refresh,
        store: backend.connect(),
        clock,
        logger,
        name: `p${i}`,
        random: () => 0.5,
        lockTtlMs: 20_000,
        lockWaitMs: 2_000,
        ...opts,
      }),
  );
  return { clock, backend, issuer, logger, caches };
}

describe('TokenCache with a shared store', () => {
  it('makes one refresh for two processes asking at once, and both get the same token', async () => {
    const { clock, issuer, caches } = fleet(2);
    issuer.latencyMs = 500;
    const calls = caches.flatMap((c) => Array.from({ length: 100 }, () => c.getAccessToken()));
    await clock.advance(500);
    await settle();
    const tokens = await Promise.all(calls);
    expect(issuer.calls).toBe(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('makes one refresh per token lifetime across three processes over six hours', async () => {
    const { clock, issuer, caches } = fleet(3);
    issuer.latencyMs = 300;
    let expired = 0;
    for (let minute = 0; minute < 6 * 60; minute++) {
      const calls = caches.map((c) =>
        c.getAccessToken().then((t) => {
          if (!issuer.accepts(t)) expired++;
        }),
      );
      await clock.advance(MIN);
      await Promise.all(calls);
    }
    expect(expired).toBe(0);
    // One per 55 minutes plus the first: 7 in six hours.
    expect(issuer.calls).toBeLessThanOrEqual(7);
    expect(issuer.calls).toBeGreaterThanOrEqual(6);
    for (const c of caches) expect(c.snapshot().store.health.state).toBe('ok');
  });

  it('adopts a token another process refreshed, without refreshing itself', async () => {
    const { issuer, caches } = fleet(2);
    const [a, b] = caches as [TokenCache, TokenCache];
    await b.load();
    const token = await a.getAccessToken();
    await settle();
    expect(await b.getAccessToken()).toBe(token);
    expect(issuer.calls).toBe(1);
    expect(b.snapshot().cache_metrics.cache_hits).toBe(1);
  });

  it('drops the token everywhere when one process invalidates it, then refreshes once for all', async () => {
    const { issuer, caches } = fleet(3);
    const token = await caches[0]!.getAccessToken();
    for (const c of caches) expect(await c.getAccessToken()).toBe(token);
    caches[1]!.invalidate(token);
    await settle();
    const next = await Promise.all(caches.map((c) => c.getAccessToken()));
    expect(issuer.calls).toBe(2);
    expect(new Set(next).size).toBe(1);
    expect(next[0]).not.toBe(token);
  });

  it('ignores an invalidation of a token it has already replaced', async () => {
    const { issuer, caches, backend } = fleet(2);
    const [a, b] = caches as [TokenCache, TokenCache];
    const old = await a.getAccessToken();
    await b.load();
    const fresh = await a.forceRefresh();
    expect(await b.getAccessToken()).toBe(fresh);
    // The store no longer holds the old token, so invalidating it there changes nothing...
    expect(await backend.connect().invalidate(old)).toBe(false);
    // ...and a late notification naming the old token does not drop the new one.
    backend.write(backend.connect(), backend.peek() ?? {}, backend.peek()?.version, {
      invalidatedFingerprint: fingerprint(old),
    });
    backend.write(backend.connect(), { refreshToken: 'r' }, backend.peek()?.version, {
      invalidatedFingerprint: fingerprint(old),
    });
    await settle();
    expect(await b.getAccessToken()).toBe(fresh);
    expect(issuer.calls).toBe(2);
    // A notification naming the token it holds does drop it.
    backend.write(backend.connect(), { refreshToken: 'r' }, backend.peek()?.version, {
      invalidatedFingerprint: fingerprint(fresh),
    });
    expect(b.snapshot().token_info.present).toBe(false);
  });

  it('never adopts an older token than the one it holds', async () => {
    const { caches, backend, clock } = fleet(1);
    const a = caches[0]!;
    const token = await a.getAccessToken();
    await backend.connect().save(
      {
        accessToken: 'older-token-from-a-slow-peer-zz',
        expiresAt: clock.now() + 30 * MIN,
        obtainedAt: clock.now() - 30 * MIN,
        expiresIn: 3600,
      },
      backend.peek()?.version,
    );
    expect(await a.getAccessToken()).toBe(token);
  });

  it('uses the refresh token another process rotated, re-read under the lock, not its own stale copy', async () => {
    const { issuer, caches, backend, clock } = fleet(1);
    issuer.rotate = true;
    await backend.connect().save({ refreshToken: 'refresh-token-original-oooooooo' });
    const a = caches[0]!;
    // B hears no notifications, so only the re-read under the lock can tell it about the rotation.
    const deaf = backend.connect();
    Object.defineProperty(deaf, 'onChange', { value: undefined });
    const b = new TokenCache({ refresh: issuer.refresh, store: deaf, clock, name: 'deaf' });
    await b.load();
    await a.getAccessToken();
    await clock.advance(70 * MIN);
    await b.getAccessToken();
    expect(issuer.receivedRefreshTokens).toEqual([
      'refresh-token-original-oooooooo',
      'refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy',
    ]);
    expect(backend.peek()?.refreshToken).toBe('refresh-token-2-yyyyyyyyyyyyyyyyyyyyyyyy');
  });

  it('waits for the lock holder and takes over after the lock TTL when the holder died', async () => {
    const { issuer, caches, backend, clock } = fleet(1, { lockTtlMs: 20_000, lockWaitMs: 2_000 });
    const dead = await backend.connect().acquireLock(20_000); // taken, never released
    expect(dead).toBeDefined();
    const call = track(caches[0]!.getAccessToken());
    await clock.advance(19_000);
    expect(call.done()).toBe(false);
    expect(issuer.calls).toBe(0);
    await clock.advance(3_000);
    await settle();
    expect(issuer.calls).toBe(1);
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
  });

  it('keeps the lock while a refresh slower than its TTL runs, so no other process refreshes meanwhile', async () => {
    const { issuer, caches, clock } = fleet(2, {
      lockTtlMs: 20_000,
      lockWaitMs: 2_000,
      attemptTimeoutMs: 120_000,
    });
    const [a, b] = caches as [TokenCache, TokenCache];
    issuer.latencyMs = 70_000; // more than three TTLs
    const first = track(a.getAccessToken());
    await settle();
    const second = track(b.getAccessToken());
    for (let t = 0; t < 70; t++) await clock.advance(1_000);
    await settle();
    expect(issuer.calls).toBe(1);
    expect(first.done() && second.done()).toBe(true);
    expect(second.value()).toBe(first.value());
    expect(clock.pendingTimers()).toBe(0);
  });

  it('warns once and still finishes its refresh when its lock lapsed meanwhile', async () => {
    const { issuer, clock, backend, logger } = fleet(0);
    const store = backend.connect();
    const acquire = store.acquireLock.bind(store);
    store.acquireLock = async (ttl: number) => {
      const lock = await acquire(ttl);
      return lock && { release: () => lock.release(), extend: async () => false };
    };
    const cache = new TokenCache({
      refresh: issuer.refresh,
      store,
      clock,
      logger,
      lockTtlMs: 3_000,
      attemptTimeoutMs: 60_000,
    });
    issuer.latencyMs = 10_000;
    const call = track(cache.getAccessToken());
    await clock.advance(10_000);
    await settle();
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
    expect(logger.find('warn', 'refresh lock expired before this refresh finished')).toHaveLength(1);
  });

  it('takes the result of a live lock holder instead of refreshing', async () => {
    const { issuer, caches, clock } = fleet(2);
    const [a, b] = caches as [TokenCache, TokenCache];
    issuer.latencyMs = 5_000;
    const first = track(a.getAccessToken());
    await settle();
    const second = track(b.getAccessToken());
    await clock.advance(5_000);
    await settle();
    expect(first.done() && second.done()).toBe(true);
    expect(second.value()).toBe(first.value());
    expect(issuer.calls).toBe(1);
  });

  it('keeps serving from its own cache when the store goes down, marks itself degraded and warns once', async () => {
    const { issuer, caches, backend, clock, logger } = fleet(2);
    const [a, b] = caches as [TokenCache, TokenCache];
    const token = await a.getAccessToken();
    expect(await b.getAccessToken()).toBe(token);
    backend.down = true;
    let failed = 0;
    let expired = 0;
    for (let minute = 0; minute < 3 * 60; minute++) {
      const calls = caches.map((c) =>
        c.getAccessToken().then(
          (t) => {
            if (!issuer.accepts(t)) expired++;
          },
          () => failed++,
        ),
      );
      await clock.advance(MIN);
      await Promise.all(calls);
    }
    expect(failed).toBe(0);
    expect(expired).toBe(0);
    // Each process now refreshes on its own: about one per lifetime each.
    expect(issuer.calls).toBeGreaterThanOrEqual(5);
    expect(issuer.calls).toBeLessThanOrEqual(1 + 2 * 4);
    for (const c of caches) expect(c.snapshot().store.health.state).toBe('degraded');
    expect(
      logger.find('warn', 'token store unavailable').map((l) => (l.obj as { cache: string }).cache),
    ).toEqual(expect.arrayContaining(['p0', 'p1']));
    expect(logger.find('warn', 'token store unavailable')).toHaveLength(2);

    backend.down = false;
    await clock.advance(60 * MIN);
    await a.getAccessToken();
    await settle();
    expect(a.snapshot().store.health.state).toBe('ok');
  });

  it('reports the store healthy again when its first read at start fails and the re-read under the seed lock works', async () => {
    const seed = 'refresh-token-from-env-qqqqqqqq';
    const rotated = 'refresh-token-rotated-rrrrrrrr';
    const { clock, backend, issuer, logger } = fleet(0);
    await backend.connect().save({ refreshToken: rotated, seedFingerprint: fingerprint(seed) });
    const store = backend.connect();
    const load = store.load.bind(store);
    let loads = 0;
    store.load = async () => {
      if (++loads === 1) throw new Error('ECONNRESET');
      return load();
    };
    const cache = new TokenCache({ refresh: issuer.refresh, store, clock, logger, seedRefreshToken: seed });
    await cache.load();
    expect(loads).toBe(2);
    expect(cache.snapshot().refresh_token.fingerprint).toBe(fingerprint(rotated));
    expect(cache.snapshot().store.health).toEqual({ state: 'ok' });
    expect(logger.find('info', 'token store recovered')).toHaveLength(1);
  });

  it('starts serving even when the store is down from the start, once its lock calls have failed for lockWaitMs', async () => {
    const { issuer, caches, backend, clock } = fleet(1);
    backend.down = true;
    const call = track(caches[0]!.getAccessToken());
    await clock.advance(1_900);
    expect(call.done()).toBe(false);
    expect(issuer.calls).toBe(0);
    await clock.advance(200);
    await settle();
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
    expect(caches[0]!.snapshot().store.health.state).toBe('degraded');
  });

  it('does not refresh without the lock on a one-second blip of the store: it waits and takes the lock', async () => {
    const { issuer, caches, backend, clock } = fleet(2);
    issuer.rotate = true;
    await backend.connect().save({ refreshToken: 'refresh-token-original-oooooooo' });
    const [a, b] = caches as [TokenCache, TokenCache];
    await Promise.all([a.load(), b.load()]);
    issuer.latencyMs = 300;
    backend.down = true;
    const calls = [track(a.getAccessToken()), track(b.getAccessToken())];
    await clock.advance(1_000);
    backend.down = false;
    await clock.advance(2_000);
    await settle();
    expect(calls.every((c) => c.done() && issuer.accepts(c.value() ?? ''))).toBe(true);
    // One refresh: the original refresh token was spent once, not by both processes.
    expect(issuer.receivedRefreshTokens).toEqual(['refresh-token-original-oooooooo']);
  });

  it('leaves reauthorization_required when another process stores a new refresh token', async () => {
    const { issuer, caches } = fleet(2);
    const [a, b] = caches as [TokenCache, TokenCache];
    await b.load();
    issuer.faults = [new ReauthorizationRequiredError('invalid_grant')];
    await expect(a.getAccessToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(a.snapshot().state).toBe('reauthorization_required');
    await b.setRefreshToken('refresh-token-after-login-pppppp');
    await settle();
    expect(a.snapshot().state).not.toBe('reauthorization_required');
    const token = await a.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(issuer.receivedRefreshTokens.at(-1)).toBe('refresh-token-after-login-pppppp');
  });
});
