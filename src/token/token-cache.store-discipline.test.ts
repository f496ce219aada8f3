import { describe, expect, it } from 'vitest';
import { TokenError } from './errors.js';
import { fingerprint } from './fingerprint.js';
import { ManualClock } from './manual-clock.js';
import { MemoryStore } from './stores/memory-store.js';
import { SharedMemoryBackend } from './stores/shared-memory-store.js';
import { FakeIssuer, settle, track } from './test-helpers/fake-issuer.js';
import { GrantIssuer } from './test-helpers/grant-issuer.js';
import { TokenCache, type TokenCacheOptions } from './token-cache.js';
import type { TokenRecord, TokenStore } from './types.js';

const MIN = 60_000;

/** Two or more caches ("servers") on one shared store, against a strict rotating issuer. */
function fleet(size: number, opts: Partial<TokenCacheOptions> = {}) {
  const clock = new ManualClock();
  const backend = new SharedMemoryBackend(clock);
  const issuer = new GrantIssuer(clock);
  const caches = Array.from(
    { length: size },
    (_, i) =>
      new TokenCache({
        refresh: issuer.refresh,
        store: backend.connect(),
        clock,
        name: `s${i}`,
        random: () => 0.5,
        lockTtlMs: 20_000,
        lockWaitMs: 2_000,
        ...opts,
      }),
  );
  return { clock, backend, issuer, caches };
}

/** A MemoryStore whose saves can be made to fail, like a full disk or an unreachable server. */
class FlakyStore extends MemoryStore {
  failSaves = false;
  override async save(record: TokenRecord, expected?: number): Promise<number> {
    if (this.failSaves) throw new Error('ENOSPC: no space left on device');
    return super.save(record, expected);
  }
}

describe('TokenCache store discipline (issue 13)', () => {
  for (const heard of [true, false]) {
    it(`1: keeps a login made on one server while another server refreshes the old grant under the lock (${heard ? 'notified' : 'the notice lost'})`, async () => {
      const { clock, backend, issuer, caches } = fleet(2);
      const [a, b] = caches as [TokenCache, TokenCache];
      if (!heard) {
        // A misses B's change notice (a dropped pub/sub message): only the versioned save protects the login.
        const deaf = backend.connect();
        Object.defineProperty(deaf, 'onChange', { value: undefined });
        caches[0] = new TokenCache({
          refresh: issuer.refresh,
          store: deaf,
          clock,
          name: 'deaf',
          lockWaitMs: 2_000,
        });
      }
      const server = caches[0] as TokenCache;
      await server.setRefreshToken(issuer.login());
      await b.load();
      issuer.latencyMs = 1_000;
      const call = track(server.getAccessToken()); // holds the lock, refreshing with grant 1
      await clock.advance(500);
      await b.setRefreshToken(issuer.login()); // grant 2, saved while that refresh runs
      await clock.advance(3_000);
      await settle();
      expect(call.done()).toBe(true);
      // The store still carries grant 2 (its refresh token, or its rotation), never grant 1's.
      expect(issuer.grantOfRefreshToken(backend.peek()?.refreshToken)).toBe(2);
      expect(issuer.usable(backend.peek()?.refreshToken)).toBe(true);
      // And nobody is served a token of the earlier grant after the login.
      expect(issuer.grantOf(call.value() ?? '')).toBe(2);
      const fromB = track(b.getAccessToken());
      const again = track(server.getAccessToken());
      await clock.advance(3_000);
      expect(issuer.grantOf(fromB.value() ?? '')).toBe(2);
      expect(issuer.grantOf(again.value() ?? '')).toBe(2);
      void a;
    });
  }

  it('2: fences a holder whose lock expired: its late save does not overwrite the next holder’s newer record', async () => {
    const { clock, backend, issuer, caches } = fleet(2);
    issuer.rotate = false;
    const [a, b] = caches as [TokenCache, TokenCache];
    await a.setRefreshToken(issuer.login());
    await b.load();
    issuer.latencies = [8_000, 1_000]; // A stalls; B, after A's lock lapsed, is quick
    const slow = track(a.forceRefresh());
    await clock.advance(100);
    backend.expireLock(); // A's renewals failed
    const versions: number[] = [];
    const fast = track(b.forceRefresh());
    for (let i = 0; i < 20; i++) {
      await clock.advance(1_000);
      versions.push(backend.peek()?.version ?? 0);
    }
    expect(slow.done() && fast.done()).toBe(true);
    // B's record stands: A's save found a newer version and adopted it instead of writing.
    expect(backend.peek()?.accessToken).toBe(fast.value());
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    expect(issuer.accepts(slow.value() ?? '')).toBe(true);
  });

  it('5: saves a rotated refresh token that failed to save as soon as the store takes writes again, not an hour later', async () => {
    const clock = new ManualClock();
    const issuer = new GrantIssuer(clock);
    const store = new FlakyStore({ refreshToken: issuer.login() });
    const cache = new TokenCache({ refresh: issuer.refresh, store, clock });
    store.failSaves = true;
    const token = await cache.getAccessToken();
    const rotated = (await store.load())?.refreshToken;
    expect(issuer.usable(rotated)).toBe(false); // spent: only the cache's memory holds the new one
    await clock.advance(10_000);
    store.failSaves = false;
    await clock.advance(35_000);
    const saved = await store.load();
    expect(issuer.usable(saved?.refreshToken)).toBe(true);
    expect(saved?.accessToken).toBe(token);
    expect(cache.snapshot().store.health.state).toBe('ok');
    // A restart now finds a working refresh token.
    const restarted = new TokenCache({ refresh: issuer.refresh, store, clock });
    await clock.advance(60 * MIN);
    await expect(restarted.forceRefresh()).resolves.toMatch(/^access-g1-/);
  });

  it('6: discards a refresh result whose save was still running when a login arrived', async () => {
    const clock = new ManualClock();
    const issuer = new GrantIssuer(clock);
    const inner = new MemoryStore({ refreshToken: issuer.login() });
    const slow = new MemoryStore();
    slow.load = () => inner.load();
    slow.invalidate = (t) => inner.invalidate(t);
    slow.save = async (record: TokenRecord, expected?: number) => {
      await clock.sleep(2_000);
      return inner.save(record, expected);
    };
    const cache = new TokenCache({ refresh: issuer.refresh, store: slow, clock });
    const first = track(cache.getAccessToken()); // refreshes grant 1, then saves for 2 s
    await clock.advance(1_000);
    const login = track(cache.setRefreshToken(issuer.login()));
    await clock.advance(10_000);
    await settle();
    expect(login.done()).toBe(true);
    expect(issuer.grantOf(first.value() ?? '')).toBe(2);
    const next = track(cache.getAccessToken());
    await clock.advance(10_000);
    expect(issuer.grantOf(next.value() ?? '')).toBe(2);
    expect(issuer.grantOfRefreshToken((await inner.load())?.refreshToken)).toBe(2);
  });

  it('8: bounds a store call that never settles: callers get a token after storeTimeoutMs and the store shows degraded', async () => {
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    const hung: TokenStore = {
      kind: 'nfs',
      load: () => new Promise(() => {}),
      save: () => new Promise(() => {}),
      invalidate: () => new Promise(() => {}),
    };
    const cache = new TokenCache({ refresh: issuer.refresh, store: hung, clock, storeTimeoutMs: 3_000 });
    const call = track(cache.getAccessToken());
    await clock.advance(2_999);
    expect(call.done()).toBe(false);
    await clock.advance(3_100);
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
    expect(cache.snapshot().store.health).toEqual({
      state: 'degraded',
      reason: expect.stringContaining('did not answer within 3000 ms'),
    });
    await cache.close();
  });

  it('10: redacts a secret before cutting error text, so no prefix of it reaches last_error or the log', async () => {
    const clock = new ManualClock();
    const refreshToken = 'refresh-token-SECRET-0123456789abcdef';
    const lines: string[] = [];
    const log = (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? ''));
    const cache = new TokenCache({
      clock,
      maxAttempts: 1,
      logger: { debug: log, info: log, warn: log, error: log },
      seedRefreshToken: refreshToken,
      refresh: async (ctx) => {
        // A careless refresh function: 250 characters of detail, then the token, across the cut at 300.
        throw new Error(`${'d'.repeat(250)} refresh_token=${ctx.refreshToken}`);
      },
    });
    await expect(cache.getAccessToken()).rejects.toThrow();
    const snap = cache.snapshot();
    const prefix = refreshToken.slice(0, 12);
    expect(snap.last_error).not.toContain(prefix);
    expect(lines.join('\n')).not.toContain(prefix);
    expect(snap.last_error).toContain(`[${fingerprint(refreshToken)}`);
  });

  it('11: rejects every call after close() with a clear error, neither subscribing to nor writing the store', async () => {
    const clock = new ManualClock();
    const backend = new SharedMemoryBackend(clock);
    const store = backend.connect();
    let subscriptions = 0;
    const onChange = store.onChange.bind(store);
    store.onChange = (listener) => {
      subscriptions++;
      return onChange(listener);
    };
    const cache = new TokenCache({ refresh: new FakeIssuer(clock).refresh, store, clock });
    await cache.close();
    await expect(cache.getAccessToken()).rejects.toThrow(/token cache closed/);
    await expect(cache.forceRefresh()).rejects.toThrow(/token cache closed/);
    await expect(cache.setRefreshToken('refresh-token-after-close-aaaaaa')).rejects.toBeInstanceOf(
      TokenError,
    );
    await expect(cache.load()).rejects.toThrow(/token cache closed/);
    expect(() => cache.invalidate('x')).toThrow(/token cache closed/);
    expect(subscriptions).toBe(0);
    expect(backend.peek()).toBeUndefined();
  });
});
