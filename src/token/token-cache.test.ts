import { describe, expect, it } from 'vitest';
import {
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  RetryableRefreshError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
import { fingerprint } from './fingerprint.js';
import { ManualClock } from './manual-clock.js';
import { MemoryStore } from './stores/memory-store.js';
import { FakeIssuer, settle, track } from './test-helpers/fake-issuer.js';
import { RecordingLogger } from './test-helpers/recording-logger.js';
import { TokenCache, type TokenCacheOptions } from './token-cache.js';
import type { TokenRecord } from './types.js';

const MIN = 60_000;

function setup(opts: Partial<TokenCacheOptions> = {}) {
  const clock = new ManualClock();
  const issuer = new FakeIssuer(clock);
  const logger = new RecordingLogger();
  const cache = new TokenCache({ refresh: issuer.refresh, clock, logger, random: () => 0.5, ...opts });
  return { clock, issuer, logger, cache };
}

describe('TokenCache single flight', () => {
  it('makes exactly one refresh for 10,000 concurrent callers on an empty cache and gives all its token', async () => {
    const { cache, issuer, clock } = setup();
    issuer.latencyMs = 250;
    const calls = Array.from({ length: 10_000 }, () => cache.getAccessToken());
    await clock.advance(250);
    const tokens = await Promise.all(calls);
    expect(issuer.calls).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(issuer.issued()));
    const m = cache.snapshot().cache_metrics;
    expect(m).toMatchObject({
      total_requests: 10_000,
      cache_misses: 10_000,
      cache_hits: 0,
      coalesced_callers: 9_999,
      refresh_attempts: 1,
      refresh_successes: 1,
      refresh_failures: 0,
      refreshes_in_flight: 0,
    });
  });

  it('serves later calls from the cache as hits without asking the issuer again', async () => {
    const { cache, issuer, clock } = setup();
    const first = await cache.getAccessToken();
    await clock.advance(30 * MIN);
    expect(await cache.getAccessToken()).toBe(first);
    expect(await cache.getAccessToken()).toBe(first);
    expect(issuer.calls).toBe(1);
    const s = cache.snapshot();
    expect(s.cache_metrics).toMatchObject({ cache_hits: 2, cache_misses: 1, total_requests: 3 });
    expect(s.performance.cache_hit_rate_percent).toBe(66.7);
    expect(s.performance.refresh_success_rate_percent).toBe(100);
  });

  it('lets forceRefresh join a refresh already in flight instead of starting a second', async () => {
    const { cache, issuer, clock } = setup();
    issuer.latencyMs = 1_000;
    const a = cache.getAccessToken();
    const b = cache.forceRefresh();
    await clock.advance(1_000);
    expect(await a).toBe(await b);
    expect(issuer.calls).toBe(1);
    expect(cache.snapshot().cache_metrics.coalesced_callers).toBe(1);
  });

  it('forceRefresh replaces a valid token with a new one', async () => {
    const { cache, issuer } = setup();
    const first = await cache.getAccessToken();
    const second = await cache.forceRefresh();
    expect(second).not.toBe(first);
    expect(await cache.getAccessToken()).toBe(second);
    expect(issuer.calls).toBe(2);
  });
});

describe('TokenCache refresh ahead', () => {
  it('keeps serving the current token instantly while a slow background refresh runs', async () => {
    const { cache, issuer, clock } = setup({ attemptTimeoutMs: 120_000 });
    const first = await cache.getAccessToken();
    issuer.latencyMs = 90_000;
    await clock.advance(56 * MIN);
    for (let i = 0; i < 20; i++) {
      const call = track(cache.getAccessToken());
      await settle(1);
      expect(call.done()).toBe(true);
      expect(call.value()).toBe(first);
      if (i === 0) expect(cache.snapshot().state).toBe('refreshing_ahead');
      await clock.advance(3_000);
    }
    expect(issuer.calls).toBe(2);
    await clock.advance(90_000);
    const second = await cache.getAccessToken();
    expect(second).not.toBe(first);
    expect(issuer.calls).toBe(2);
    expect(cache.snapshot().cache_metrics.refresh_ahead_count).toBe(1);
    expect(cache.snapshot().state).toBe('valid');
  });

  it('does not refresh before the refresh-ahead window', async () => {
    const { cache, issuer, clock } = setup();
    await cache.getAccessToken();
    await clock.advance(54 * MIN);
    await cache.getAccessToken();
    await settle();
    expect(issuer.calls).toBe(1);
  });

  it('caps refresh-ahead at half and the safety margin at a tenth of a short lifetime', async () => {
    const { cache, issuer, clock } = setup();
    issuer.lifetimeS = 60;
    const first = await cache.getAccessToken();
    await clock.advance(29_000);
    expect(await cache.getAccessToken()).toBe(first);
    await settle();
    expect(issuer.calls).toBe(1);
    issuer.latencyMs = 5_000;
    await clock.advance(1_000); // 30 s in: half the lifetime left, refresh ahead starts
    expect(await cache.getAccessToken()).toBe(first);
    expect(issuer.calls).toBe(2);
    await clock.advance(5_000);
    const second = await cache.getAccessToken();
    expect(second).not.toBe(first);
    // 60 s lifetime: margin 6 s, so a token with 5 s left is not handed out.
    issuer.alwaysFail = new RetryableRefreshError('down');
    issuer.latencyMs = 0;
    await clock.advance(55_000);
    const late = cache.getAccessToken().catch((e: unknown) => e);
    await clock.advance(5_000);
    expect(await late).toBeInstanceOf(TokenUnavailableError);
  });

  it('fails no caller while the token is valid, and backs off between failing background refreshes', async () => {
    const { cache, issuer, clock, logger } = setup();
    const first = await cache.getAccessToken();
    issuer.alwaysFail = new RetryableRefreshError('503 from accounts');
    await clock.advance(55 * MIN);
    let served = 0;
    // A call every second for four minutes and a bit (still before the 30 s margin).
    for (let i = 0; i < 260; i++) {
      expect(await cache.getAccessToken()).toBe(first);
      served++;
      await clock.advance(1_000);
    }
    expect(served).toBe(260);
    const s = cache.snapshot();
    expect(s.cache_metrics.refresh_failures).toBe(issuer.calls - 1);
    expect(s.cache_metrics.refresh_failures).toBeGreaterThanOrEqual(3);
    // Without backoff a call per second would have made ~780 attempts.
    expect(issuer.calls).toBeLessThan(60);
    expect(s.last_error).toContain('503 from accounts');
    expect(s.state).toBe('valid');
    // Logged at warn on failed refreshes 1, 2, 4, 8, ... only (each refresh made 3 attempts).
    const failedRefreshes = (issuer.calls - 1) / 3;
    const warned = logger.find('warn', 'refresh-ahead failed').length;
    expect(warned).toBeGreaterThanOrEqual(1);
    expect(warned).toBe(Math.floor(Math.log2(failedRefreshes)) + 1);
  });

  it('makes a caller wait for a refresh once the safety margin is reached', async () => {
    const { cache, issuer, clock } = setup({ refreshAheadMs: 0 });
    const first = await cache.getAccessToken();
    await clock.advance(59 * MIN + 29_000);
    expect(await cache.getAccessToken()).toBe(first);
    expect(issuer.calls).toBe(1);
    await clock.advance(2_000);
    const second = await cache.getAccessToken();
    expect(second).not.toBe(first);
    expect(cache.snapshot().cache_metrics.cache_misses).toBe(2);
  });
});

describe('TokenCache failures', () => {
  it('rejects every waiter with the same typed error when no token is usable, and the next call recovers', async () => {
    const { cache, issuer, clock } = setup({ maxAttempts: 3 });
    issuer.alwaysFail = new RetryableRefreshError('connect ECONNREFUSED');
    const waiters = Array.from({ length: 100 }, () => cache.getAccessToken().catch((e: unknown) => e));
    await clock.advance(10_000);
    const errors = await Promise.all(waiters);
    expect(errors[0]).toBeInstanceOf(TokenUnavailableError);
    expect(new Set(errors).size).toBe(1);
    expect((errors[0] as Error).message).toContain('3 attempt(s)');
    expect(issuer.calls).toBe(3);
    expect(cache.snapshot().state).toBe('error');
    issuer.alwaysFail = undefined;
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(cache.snapshot().state).toBe('valid');
    expect(cache.snapshot().cache_metrics).toMatchObject({ refresh_failures: 3, refresh_successes: 1 });
    expect(cache.snapshot().performance.refresh_success_rate_percent).toBe(25);
  });

  it('retries with exponential backoff and full jitter', async () => {
    const { cache, issuer, clock } = setup({ backoffBaseMs: 1_000, maxAttempts: 4, random: () => 0.5 });
    issuer.faults = [
      new RetryableRefreshError('502'),
      new Error('socket hang up'),
      new RetryableRefreshError('500'),
    ];
    const call = track(cache.getAccessToken());
    await settle();
    expect(issuer.calls).toBe(1);
    await clock.advance(499);
    expect(issuer.calls).toBe(1);
    await clock.advance(1); // 0.5 * 1000
    expect(issuer.calls).toBe(2);
    await clock.advance(999);
    expect(issuer.calls).toBe(2);
    await clock.advance(1); // 0.5 * 2000
    expect(issuer.calls).toBe(3);
    await clock.advance(2_000); // 0.5 * 4000
    expect(issuer.calls).toBe(4);
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
  });

  it('honours Retry-After on a 429 before the next attempt', async () => {
    const { cache, issuer, clock } = setup();
    issuer.faults = [new RetryableRefreshError('429 Too Many Requests', 7_000)];
    const call = track(cache.getAccessToken());
    await clock.advance(6_999);
    expect(issuer.calls).toBe(1);
    expect(call.done()).toBe(false);
    await clock.advance(1);
    expect(issuer.calls).toBe(2);
    await settle();
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
  });

  it('fails fast without asking the issuer while a Retry-After longer than maxRetryAfterMs runs', async () => {
    const { cache, issuer, clock } = setup({ maxRetryAfterMs: 30_000 });
    issuer.faults = [new RetryableRefreshError('429', 120_000)];
    const first = (await cache.getAccessToken().catch((e: unknown) => e)) as TokenUnavailableError;
    expect(first).toBeInstanceOf(TokenUnavailableError);
    expect(first.retryAfterMs).toBe(120_000);
    expect(first.cause).toBeInstanceOf(RetryableRefreshError);
    expect(issuer.calls).toBe(1);
    await clock.advance(60_000);
    const second = (await cache.getAccessToken().catch((e: unknown) => e)) as TokenUnavailableError;
    expect(second).toBeInstanceOf(TokenUnavailableError);
    expect(second.message).toBe(first.message);
    expect(second.retryAfterMs).toBe(60_000);
    await expect(cache.forceRefresh()).rejects.toMatchObject({ retryAfterMs: 60_000 });
    expect(issuer.calls).toBe(1);
    await clock.advance(60_000);
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(issuer.calls).toBe(2);
  });

  it('aborts a timed-out attempt through its signal and retries', async () => {
    const { cache, issuer, clock } = setup({ attemptTimeoutMs: 10_000 });
    issuer.faults = ['hang'];
    const call = track(cache.getAccessToken());
    await clock.advance(9_999);
    expect(issuer.contexts[0]?.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(issuer.contexts[0]?.signal.aborted).toBe(true);
    expect(issuer.contexts[0]?.signal.reason).toBeInstanceOf(RefreshTimeoutError);
    await clock.advance(1_000);
    expect(issuer.calls).toBe(2);
    expect(issuer.contexts[1]?.attempt).toBe(2);
    expect(call.done()).toBe(true);
    expect(issuer.accepts(call.value() ?? '')).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('does not retry a non-retryable TokenError', async () => {
    const { cache, issuer } = setup();
    issuer.faults = [new TokenError('client misconfigured')];
    await expect(cache.getAccessToken()).rejects.toBeInstanceOf(TokenUnavailableError);
    expect(issuer.calls).toBe(1);
  });

  it('does not retry a malformed refresh result, and lets no caller start another refresh for permanentErrorGateMs', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const cache = new TokenCache({
      clock,
      maxAttempts: 3,
      random: () => 0,
      permanentErrorGateMs: 60_000,
      refresh: async () => {
        calls++;
        return { accessToken: '', expiresIn: Number.NaN };
      },
    });
    await expect(cache.getAccessToken()).rejects.toThrow(/no access token/);
    expect(calls).toBe(1);
    const gated = await Promise.all(
      Array.from({ length: 20 }, () => cache.getAccessToken().catch((e: unknown) => e)),
    );
    expect(calls).toBe(1);
    // The same failure, as it was: a permanent answer is no rate limit, so no Retry-After.
    expect(gated[0]).toBeInstanceOf(TokenUnavailableError);
    expect(gated[0]).toBe(gated[19]);
    expect((gated[0] as TokenUnavailableError).retryAfterMs).toBeUndefined();
    await clock.advance(60_000);
    await expect(cache.getAccessToken()).rejects.toThrow(/no access token/);
    expect(calls).toBe(2);
  });

  it('does not retry an error the isRetryable option calls permanent (e.g. invalid_client)', async () => {
    const clock = new ManualClock();
    class ConfigError extends Error {}
    let calls = 0;
    const cache = new TokenCache({
      clock,
      isRetryable: (e) => !(e instanceof ConfigError),
      refresh: async () => {
        calls++;
        throw new ConfigError('invalid_client');
      },
    });
    await expect(cache.getAccessToken()).rejects.toThrow(/invalid_client/);
    await expect(cache.getAccessToken()).rejects.toThrow(/invalid_client/);
    expect(calls).toBe(1);
  });
});

describe('TokenCache re-authorization', () => {
  it('enters reauthorization_required on invalid_grant without retrying, fails fast, and recovers after setRefreshToken', async () => {
    const store = new MemoryStore({ refreshToken: 'refresh-token-revoked-aaaaaaaa' });
    const { cache, issuer } = setup({ store });
    const events: unknown[] = [];
    cache.on('reauthorization_required', (e) => events.push(e));
    issuer.faults = [new ReauthorizationRequiredError('invalid_grant: Refresh token revoked')];
    const err = await cache.getAccessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect(issuer.calls).toBe(1);
    expect(cache.snapshot().state).toBe('reauthorization_required');
    expect(events).toHaveLength(1);
    for (let i = 0; i < 5; i++) expect(await cache.getAccessToken().catch((e: unknown) => e)).toBe(err);
    await expect(cache.forceRefresh()).rejects.toBe(err);
    expect(issuer.calls).toBe(1);

    await cache.setRefreshToken('refresh-token-new-login-bbbbbbbb');
    expect(cache.snapshot().state).toBe('empty');
    expect((await store.load())?.refreshToken).toBe('refresh-token-new-login-bbbbbbbb');
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(issuer.receivedRefreshTokens.at(-1)).toBe('refresh-token-new-login-bbbbbbbb');
  });

  it('keeps serving a still-valid access token after invalid_grant until it is no longer usable', async () => {
    const { cache, issuer, clock } = setup();
    const first = await cache.getAccessToken();
    issuer.alwaysFail = new ReauthorizationRequiredError('invalid_grant');
    await clock.advance(56 * MIN);
    expect(await cache.getAccessToken()).toBe(first);
    await settle();
    expect(cache.snapshot().state).toBe('reauthorization_required');
    await clock.advance(3 * MIN);
    expect(await cache.getAccessToken()).toBe(first);
    expect(issuer.calls).toBe(2);
    await clock.advance(MIN);
    await expect(cache.getAccessToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(issuer.calls).toBe(2);
  });

  it('setRefreshToken drops the old access token so the next call refreshes with the new grant', async () => {
    const { cache, issuer } = setup();
    const first = await cache.getAccessToken();
    await cache.setRefreshToken('refresh-token-other-account-cccc', { seedFingerprint: 'abcd1234' });
    const second = await cache.getAccessToken();
    expect(second).not.toBe(first);
    expect(issuer.receivedRefreshTokens.at(-1)).toBe('refresh-token-other-account-cccc');
  });

  it('discards a result obtained with the old grant when setRefreshToken happens mid-refresh', async () => {
    const { cache, issuer, clock } = setup({
      store: new MemoryStore({ refreshToken: 'refresh-token-old-grant-dddd' }),
    });
    issuer.latencyMs = 1_000;
    const call = track(cache.getAccessToken());
    await clock.advance(500);
    await cache.setRefreshToken('refresh-token-new-grant-eeee');
    await clock.advance(500);
    expect(call.done()).toBe(false);
    await clock.advance(1_000);
    expect(call.done()).toBe(true);
    expect(issuer.receivedRefreshTokens).toEqual([
      'refresh-token-old-grant-dddd',
      'refresh-token-new-grant-eeee',
    ]);
    expect(call.value()).toBe(issuer.issued()[1]);
  });
});

describe('TokenCache invalidate (401 path)', () => {
  it('makes one refresh for 50 concurrent 401 handlers on the same token', async () => {
    const { cache, issuer, clock } = setup();
    issuer.latencyMs = 200;
    const p = cache.getAccessToken();
    await clock.advance(200);
    const rejected = await p;
    const handlers = Array.from({ length: 50 }, async () => {
      cache.invalidate(rejected);
      return cache.getAccessToken();
    });
    await clock.advance(200);
    const tokens = await Promise.all(handlers);
    expect(issuer.calls).toBe(2);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(rejected);
  });

  it('never drops a newer token when an old one is invalidated', async () => {
    const { cache, issuer } = setup();
    const old = await cache.getAccessToken();
    cache.invalidate(old);
    const fresh = await cache.getAccessToken();
    cache.invalidate(old);
    cache.invalidate('some-token-nobody-has-seen');
    expect(await cache.getAccessToken()).toBe(fresh);
    expect(issuer.calls).toBe(2);
  });

  it('tells the store to drop the rejected token, compare-and-drop, and logs a store failure', async () => {
    const store = new MemoryStore();
    const { cache, logger } = setup({ store });
    const token = await cache.getAccessToken();
    cache.invalidate(token);
    await settle();
    expect((await store.load())?.accessToken).toBeUndefined();

    const broken = new MemoryStore();
    broken.invalidate = async () => {
      throw new Error('store offline');
    };
    const c2 = setup({ store: broken, logger });
    const t2 = await c2.cache.getAccessToken();
    c2.cache.invalidate(t2);
    await settle();
    expect(logger.find('warn', 'token store unavailable')).toHaveLength(1);
    expect(c2.cache.snapshot().store.health.state).toBe('degraded');
  });

  it('invalidate() without an argument drops whatever token is cached', async () => {
    const { cache, issuer } = setup();
    const first = await cache.getAccessToken();
    cache.invalidate();
    expect(await cache.getAccessToken()).not.toBe(first);
    expect(issuer.calls).toBe(2);
  });
});

describe('TokenCache refresh-token rotation', () => {
  it('persists a rotated refresh token before any caller gets the new access token, and uses it next time', async () => {
    const clock = new ManualClock();
    const order: string[] = [];
    const inner = new MemoryStore({ refreshToken: 'refresh-token-initial-ffffffff' });
    const slowStore = new MemoryStore();
    slowStore.load = () => inner.load();
    slowStore.save = async (record: TokenRecord, expected?: number) => {
      order.push('save-start');
      await clock.sleep(5_000);
      const version = await inner.save(record, expected);
      order.push('save-done');
      return version;
    };
    const issuer = new FakeIssuer(clock);
    issuer.rotate = true;
    const cache = new TokenCache({
      refresh: issuer.refresh,
      store: slowStore,
      clock,
      storeTimeoutMs: 10_000,
    });
    const callers = Array.from({ length: 3 }, () =>
      cache.getAccessToken().then((t) => {
        order.push('caller-got-token');
        return t;
      }),
    );
    await clock.advance(4_999);
    expect(order).toEqual(['save-start']);
    await clock.advance(1);
    await Promise.all(callers);
    expect(order).toEqual([
      'save-start',
      'save-done',
      'caller-got-token',
      'caller-got-token',
      'caller-got-token',
    ]);
    const stored = await inner.load();
    expect(stored?.refreshToken).toBe('refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy');
    expect(stored?.accessToken).toBe(await callers[0]);

    const refreshing = cache.forceRefresh();
    await clock.advance(5_000);
    await refreshing;
    expect(issuer.receivedRefreshTokens).toEqual([
      'refresh-token-initial-ffffffff',
      'refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy',
    ]);
    expect((await inner.load())?.refreshToken).toBe('refresh-token-2-yyyyyyyyyyyyyyyyyyyyyyyy');
  });

  it('keeps a rotated refresh token in memory when the store cannot save it, and keeps serving', async () => {
    const store = new MemoryStore({ refreshToken: 'refresh-token-initial-gggggggg' });
    const { cache, issuer, logger } = setup({ store });
    issuer.rotate = true;
    store.save = async () => {
      throw new Error('disk full');
    };
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(logger.find('error', 'could not persist the refresh token')).toHaveLength(1);
    await cache.forceRefresh();
    expect(issuer.receivedRefreshTokens[1]).toBe('refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy');
  });
});

describe('TokenCache time', () => {
  it('neither refreshes nor stops serving when the wall clock jumps forward', async () => {
    const { cache, issuer, clock } = setup();
    const first = await cache.getAccessToken();
    clock.jumpWall(6 * 60 * MIN); // NTP fixes a Pi that booted with a stale clock
    for (let i = 0; i < 50; i++) expect(await cache.getAccessToken()).toBe(first);
    await settle();
    expect(issuer.calls).toBe(1);
    await clock.advance(56 * MIN);
    await cache.getAccessToken();
    await settle();
    expect(issuer.calls).toBe(2);
  });

  it('counts the time the system was suspended: no token that expired while it slept is handed out', async () => {
    const { cache, issuer, clock, logger } = setup();
    const first = await cache.getAccessToken();
    await clock.advance(30 * MIN);
    clock.suspend(2 * 60 * MIN); // monotonic time stands still, the token expires meanwhile
    expect(issuer.accepts(first)).toBe(false);
    const next = await cache.getAccessToken();
    expect(next).not.toBe(first);
    expect(issuer.accepts(next)).toBe(true);
    expect(issuer.calls).toBe(2);
    expect(logger.find('info', 'the system was suspended')).toHaveLength(1);
    expect(cache.snapshot().token_info.time_until_expiry_minutes).toBe(60);
  });

  it('refreshes ahead, still serving the current token, when a suspend ended inside the refresh-ahead window', async () => {
    const { cache, issuer, clock } = setup();
    const first = await cache.getAccessToken();
    await clock.advance(40 * MIN);
    clock.suspend(17 * MIN); // 3 minutes of the token really remain
    expect(cache.snapshot().token_info.time_until_expiry_minutes).toBe(3);
    expect(await cache.getAccessToken()).toBe(first);
    await settle();
    expect(issuer.calls).toBe(2);
    const second = await cache.getAccessToken();
    expect(second).not.toBe(first);
    expect(issuer.accepts(second)).toBe(true);
  });

  it('does not mistake a wall-clock step for a suspend, whenever it happens', async () => {
    const { cache, issuer, clock } = setup();
    const first = await cache.getAccessToken();
    await clock.advance(52 * MIN); // inside the warning window, before refresh-ahead
    clock.jumpWall(3 * 60 * MIN);
    for (let i = 0; i < 10; i++) expect(await cache.getAccessToken()).toBe(first);
    await settle();
    expect(issuer.calls).toBe(1);
    expect(cache.snapshot().token_info.time_until_expiry_minutes).toBe(8);
  });

  it('never hands out an expired token when the wall clock jumps backward', async () => {
    const { cache, issuer, clock } = setup({ refreshAheadMs: 0 });
    const first = await cache.getAccessToken();
    clock.jumpWall(-3 * 60 * MIN);
    await clock.advance(60 * MIN);
    const next = await cache.getAccessToken();
    expect(next).not.toBe(first);
    expect(issuer.accepts(next)).toBe(true);
    expect(issuer.accepts(first)).toBe(false);
  });

  it('re-bases a stored expiry on load and reuses a still-valid stored token', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({
      accessToken: 'stored-access-token-hhhhhhhhhhhh',
      expiresAt: clock.now() + 40 * MIN,
      obtainedAt: clock.now() - 20 * MIN,
      expiresIn: 3600,
      refreshToken: 'stored-refresh-token-iiiiiiii',
    });
    const issuer = new FakeIssuer(clock);
    const cache = new TokenCache({ refresh: issuer.refresh, store, clock });
    await cache.load();
    clock.jumpWall(2 * 60 * MIN);
    expect(await cache.getAccessToken()).toBe('stored-access-token-hhhhhhhhhhhh');
    expect(issuer.calls).toBe(0);
    const info = cache.snapshot().token_info;
    expect(info.age_minutes).toBe(20);
    expect(info.time_until_expiry_minutes).toBe(40);
    await clock.advance(36 * MIN);
    await cache.getAccessToken();
    expect(issuer.calls).toBe(1);
    expect(issuer.receivedRefreshTokens[0]).toBe('stored-refresh-token-iiiiiiii');
  });

  it('refreshes instead of serving a stored token obtained "in the future" (this wall clock is behind)', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({
      accessToken: 'stored-access-token-jjjjjjjjjjjj',
      // Stored by a process whose clock was right; this one booted 1 day behind.
      expiresAt: clock.now() + 24 * 60 * MIN,
      obtainedAt: clock.now() + 23 * 60 * MIN,
      expiresIn: 3600,
    });
    const issuer = new FakeIssuer(clock);
    const cache = new TokenCache({ refresh: issuer.refresh, store, clock });
    await cache.load();
    expect(cache.snapshot().token_info.present).toBe(false);
    const token = await cache.getAccessToken();
    expect(token).not.toBe('stored-access-token-jjjjjjjjjjjj');
    expect(issuer.calls).toBe(1);
  });

  it('refreshes instead of using an expired stored token', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({
      accessToken: 'stored-expired-token-kkkkkkkkkk',
      expiresAt: clock.now() - MIN,
      obtainedAt: clock.now() - 61 * MIN,
      expiresIn: 3600,
    });
    const issuer = new FakeIssuer(clock);
    const cache = new TokenCache({ refresh: issuer.refresh, store, clock });
    const token = await cache.getAccessToken();
    expect(token).not.toBe('stored-expired-token-kkkkkkkkkk');
    expect(issuer.accepts(token)).toBe(true);
  });
});

describe('TokenCache near-expiry warning', () => {
  it('warns once per token when refresh-ahead keeps failing, and again for the next token', async () => {
    const { cache, issuer, clock, logger } = setup();
    const events: unknown[] = [];
    cache.on('near_expiry', (e) => events.push(e));
    await cache.getAccessToken();
    await clock.advance(50 * MIN);
    await cache.getAccessToken();
    expect(logger.find('warn', 'near expiry')).toHaveLength(0);
    issuer.alwaysFail = new RetryableRefreshError('503');
    await clock.advance(5 * MIN);
    for (let i = 0; i < 200; i++) {
      await cache.getAccessToken();
      await clock.advance(1_000);
    }
    expect(logger.find('warn', 'near expiry')).toHaveLength(1);
    expect(events).toHaveLength(1);
    issuer.alwaysFail = undefined;
    await clock.advance(2 * MIN);
    await cache.getAccessToken();
    issuer.alwaysFail = new RetryableRefreshError('503');
    await clock.advance(56 * MIN);
    for (let i = 0; i < 100; i++) {
      await cache.getAccessToken();
      await clock.advance(1_000);
    }
    expect(logger.find('warn', 'near expiry')).toHaveLength(2);
  });

  it('does not warn when refresh-ahead succeeds', async () => {
    const { cache, clock, logger } = setup();
    for (let i = 0; i < 180; i++) {
      await cache.getAccessToken();
      await clock.advance(MIN);
    }
    expect(logger.find('warn', '')).toHaveLength(0);
  });
});

describe('TokenCache snapshot, events and secrecy', () => {
  it('returns the seed shape with rates rounded to one decimal and zero without data', async () => {
    const { cache } = setup();
    const empty = cache.snapshot();
    expect(empty.state).toBe('empty');
    expect(empty.performance).toEqual({
      cache_hit_rate_percent: 0,
      refresh_success_rate_percent: 0,
      last_refresh_duration_ms: null,
    });
    expect(empty.token_info).toMatchObject({ present: false, expires_at: null, fingerprint: null });
    const token = await cache.getAccessToken();
    await cache.getAccessToken();
    await cache.getAccessToken();
    const s = cache.snapshot();
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['state', 'store', 'cache_metrics', 'performance', 'token_info', 'last_error']),
    );
    expect(s.store).toEqual({ kind: 'memory', health: { state: 'ok' } });
    expect(s.performance.cache_hit_rate_percent).toBe(66.7);
    expect(s.token_info).toMatchObject({
      present: true,
      usable: true,
      fingerprint: fingerprint(token),
      age_minutes: 0,
      time_until_expiry_minutes: 60,
      expires_at: '2026-01-05T07:00:00.000Z',
      refresh_ahead_at: '2026-01-05T06:55:00.000Z',
      scope: 'user-read-playback-state',
    });
  });

  it('never puts an access or refresh token into snapshots, logs or errors', async () => {
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const issuer = new FakeIssuer(clock);
    issuer.rotate = true;
    const secretRt = 'refresh-token-top-secret-llllllll';
    const cache = new TokenCache({
      clock,
      logger,
      store: new MemoryStore({ refreshToken: secretRt }),
      refresh: async (ctx) => {
        if (issuer.calls === 2) {
          issuer.calls++;
          // A careless refresh function that puts the refresh token into its error message.
          throw new RetryableRefreshError(`bad request for refresh_token=${ctx.refreshToken}`);
        }
        return issuer.refresh(ctx);
      },
    });
    const events: unknown[] = [];
    for (const e of ['refreshed', 'refresh_failed', 'near_expiry', 'reauthorization_required'] as const)
      cache.on(e, (p: unknown) => events.push(p));
    const token = await cache.getAccessToken();
    await cache.forceRefresh();
    const errors: unknown[] = [];
    issuer.alwaysFail = new RetryableRefreshError('down');
    await clock.advance(61 * MIN);
    const failing = cache.getAccessToken().catch((e: unknown) => errors.push(e));
    await clock.advance(MIN);
    await failing;
    expect(errors).toHaveLength(1);
    const text = JSON.stringify({
      snapshot: cache.snapshot(),
      logs: logger.lines,
      events,
      errors: errors.map((e) => `${String(e)} ${String((e as Error).cause)}`),
    });
    const secrets = [token, secretRt, ...issuer.issued(), 'refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy'];
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain(fingerprint(token));
  });

  it('passes no token to callers in an error or its cause, even when the refresh function put one there', async () => {
    const secretRt = 'refresh-token-careless-ssssssss';
    const failing = (make: (rt: string | undefined) => Error) =>
      new TokenCache({
        maxAttempts: 1,
        store: new MemoryStore({ refreshToken: secretRt }),
        refresh: async (ctx) => {
          throw make(ctx.refreshToken);
        },
      });
    const unavailable = (await failing(
      (rt) => new RetryableRefreshError(`400 for refresh_token=${rt}`, 1_000),
    )
      .getAccessToken()
      .catch((e: unknown) => e)) as TokenUnavailableError;
    expect(unavailable).toBeInstanceOf(TokenUnavailableError);
    expect(unavailable.cause).toBeInstanceOf(RetryableRefreshError);
    expect((unavailable.cause as RetryableRefreshError).retryAfterMs).toBe(1_000);
    expect((unavailable.cause as Error).message).toBe(`400 for refresh_token=[${fingerprint(secretRt)}]`);

    const reauth = failing((rt) => new ReauthorizationRequiredError(`invalid_grant: ${rt} revoked`));
    const first = (await reauth.getAccessToken().catch((e: unknown) => e)) as Error;
    expect(first).toBeInstanceOf(ReauthorizationRequiredError);
    expect(await reauth.getAccessToken().catch((e: unknown) => e)).toBe(first); // still one instance for all
    for (const err of [unavailable, first]) {
      const text = [String(err), err.stack, String(err.cause), (err.cause as Error | undefined)?.stack].join(
        ' ',
      );
      expect(text).not.toContain(secretRt);
    }
  });

  it('emits refreshed and refresh_failed with fingerprints and counts', async () => {
    const { cache, issuer } = setup({ maxAttempts: 2 });
    const refreshed: unknown[] = [];
    const failed: unknown[] = [];
    cache.on('refreshed', (e) => refreshed.push(e));
    cache.on('refresh_failed', (e) => failed.push(e));
    const token = await cache.getAccessToken();
    expect(refreshed).toEqual([
      expect.objectContaining({ fingerprint: fingerprint(token), source: 'upstream', rotated: false }),
    ]);
    issuer.alwaysFail = new Error('ETIMEDOUT');
    issuer.latencyMs = 0;
    const s = setup({ maxAttempts: 2, random: () => 0 });
    s.issuer.alwaysFail = new Error('ETIMEDOUT');
    s.cache.on('refresh_failed', (e) => failed.push(e));
    await s.cache.getAccessToken().catch(() => {});
    expect(failed).toEqual([expect.objectContaining({ attempts: 2, background: false })]);
  });

  it('keeps working when an event listener throws', async () => {
    const { cache, logger } = setup();
    cache.on('refreshed', () => {
      throw new Error('listener bug');
    });
    await expect(cache.getAccessToken()).resolves.toBeTypeOf('string');
    expect(logger.find('error', 'listener threw')).toHaveLength(1);
  });
});

describe('TokenCache lifecycle', () => {
  it('uses the configured seed refresh token unless the store holds one rotated from the same seed', async () => {
    const clock = new ManualClock();
    const seed = 'refresh-token-from-env-mmmmmmmm';
    const store = new MemoryStore();
    const i1 = new FakeIssuer(clock);
    i1.rotate = true;
    const c1 = new TokenCache({ refresh: i1.refresh, store, clock, seedRefreshToken: seed });
    await c1.getAccessToken();
    expect(i1.receivedRefreshTokens).toEqual([seed]);
    expect((await store.load())?.seedFingerprint).toBe(fingerprint(seed));

    // Restart with the same seed: the rotated refresh token from the store wins.
    const i2 = new FakeIssuer(clock);
    const c2 = new TokenCache({ refresh: i2.refresh, store, clock, seedRefreshToken: seed });
    await c2.forceRefresh();
    expect(i2.receivedRefreshTokens).toEqual(['refresh-token-1-yyyyyyyyyyyyyyyyyyyyyyyy']);

    // Restart with a new seed: it replaces the stored grant and its access token.
    const i3 = new FakeIssuer(clock);
    const c3 = new TokenCache({
      refresh: i3.refresh,
      store,
      clock,
      seedRefreshToken: 'refresh-token-new-env-nnnnnnnn',
    });
    await c3.getAccessToken();
    expect(i3.receivedRefreshTokens).toEqual(['refresh-token-new-env-nnnnnnnn']);
  });

  it('treats a store that fails to load as empty, marks it degraded, and notices its recovery', async () => {
    const store = new MemoryStore();
    store.load = async () => {
      throw new Error('ECONNREFUSED');
    };
    const saveOk = store.save.bind(store);
    store.save = async () => {
      throw new Error('ECONNREFUSED');
    };
    const { cache, issuer, logger } = setup({ store });
    const token = await cache.getAccessToken();
    expect(issuer.accepts(token)).toBe(true);
    expect(cache.snapshot().store.health.state).toBe('degraded');
    expect(cache.snapshot().store.health.reason).toContain('save failed');
    expect(logger.find('warn', 'token store unavailable')).toHaveLength(1);
    store.save = saveOk;
    await cache.forceRefresh();
    expect(cache.snapshot().store.health).toEqual({ state: 'ok' });
    expect(logger.find('info', 'token store recovered')).toHaveLength(1);
  });

  it('close() aborts a running refresh, fails its waiters and later calls', async () => {
    const { cache, issuer, clock } = setup();
    issuer.faults = ['hang'];
    const waiter = cache.getAccessToken().catch((e: unknown) => e);
    await settle();
    await cache.close();
    expect(issuer.contexts[0]?.signal.aborted).toBe(true);
    expect(await waiter).toBeInstanceOf(TokenError);
    await expect(cache.getAccessToken()).rejects.toThrow(/closed/);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('rejects invalid options', () => {
    const refresh = async () => ({ accessToken: 'a', expiresIn: 1 });
    expect(() => new TokenCache({ refresh, refreshAheadMs: -1 })).toThrow(RangeError);
    expect(() => new TokenCache({ refresh, maxAttempts: 0 })).toThrow(RangeError);
    expect(() => new TokenCache({} as TokenCacheOptions)).toThrow(TypeError);
  });
});
