import { describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { ManualClock } from './manual-clock.js';
import { resolveOptions, type TokenCacheOptions } from './options.js';
import { defaultIsRetryable } from './retry-policy.js';
import { MemoryStore } from './stores/memory-store.js';

const refresh = async () => ({ accessToken: 'a', expiresIn: 1 });

describe('resolveOptions', () => {
  it('fills in the documented defaults', () => {
    const s = resolveOptions({ refresh });
    expect(s).toMatchObject({
      refresh,
      clock: systemClock,
      name: 'token',
      refreshAheadMs: 5 * 60_000,
      safetyMarginMs: 30_000,
      nearExpiryWarningMs: 10 * 60_000,
      attemptTimeoutMs: 10_000,
      maxAttempts: 3,
      backoffBaseMs: 500,
      backoffMaxMs: 10_000,
      maxRetryAfterMs: 30_000,
      random: Math.random,
      isRetryable: defaultIsRetryable,
      lockTtlMs: 60_000,
      lockWaitMs: 5_000,
      seedRefreshToken: undefined,
    });
    expect(s.store).toBeInstanceOf(MemoryStore);
    expect(() => s.logger.error({}, 'goes nowhere')).not.toThrow();
  });

  it('gives each cache its own default store', () => {
    expect(resolveOptions({ refresh }).store).not.toBe(resolveOptions({ refresh }).store);
  });

  it('keeps what the caller passed, zero included where zero is allowed', () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const s = resolveOptions({
      refresh,
      clock,
      store,
      name: 'spotify',
      refreshAheadMs: 0,
      safetyMarginMs: 0,
      backoffBaseMs: 0,
      maxAttempts: 5,
      seedRefreshToken: 'seed-refresh-token-0123456789',
    });
    expect(s).toMatchObject({ clock, store, name: 'spotify', refreshAheadMs: 0, safetyMarginMs: 0 });
    expect(s).toMatchObject({
      backoffBaseMs: 0,
      maxAttempts: 5,
      seedRefreshToken: 'seed-refresh-token-0123456789',
    });
  });

  it('treats an empty seed refresh token as none', () => {
    expect(resolveOptions({ refresh, seedRefreshToken: '' }).seedRefreshToken).toBeUndefined();
  });

  it('requires maxAttempts to be a whole number of at least 1, naming the option', () => {
    for (const value of [0.5, 2.9, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '3' as unknown as number]) {
      expect(() => resolveOptions({ refresh, maxAttempts: value })).toThrow(
        new RangeError('TokenCache: maxAttempts must be a whole number of at least 1'),
      );
    }
    expect(resolveOptions({ refresh, maxAttempts: 1 }).maxAttempts).toBe(1);
  });

  it('rejects a missing refresh function, or no options at all, with a TypeError', () => {
    expect(() => resolveOptions({} as TokenCacheOptions)).toThrow(TypeError);
    expect(() => resolveOptions(undefined as unknown as TokenCacheOptions)).toThrow(
      'TokenCache: options.refresh must be a function',
    );
  });

  it('rejects a negative, non-finite or non-numeric duration and names the option', () => {
    expect(() => resolveOptions({ refresh, safetyMarginMs: -1 })).toThrow(RangeError);
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => resolveOptions({ refresh, refreshAheadMs: value })).toThrow(
        new RangeError('TokenCache: refreshAheadMs must be a non-negative number'),
      );
    }
    expect(() => resolveOptions({ refresh, maxRetryAfterMs: -0.5 })).toThrow(/maxRetryAfterMs/);
  });

  it('rejects a wait longer than a Node timer can wait, instead of letting it fire at once', () => {
    const tooLong = 2 ** 31;
    for (const name of ['attemptTimeoutMs', 'backoffMaxMs', 'maxRetryAfterMs', 'lockWaitMs'] as const) {
      expect(() => resolveOptions({ refresh, [name]: tooLong })).toThrow(
        new RangeError(`TokenCache: ${name} must be at most 2147483647 ms (about 24.8 days)`),
      );
      expect(resolveOptions({ refresh, [name]: tooLong - 1 })[name]).toBe(tooLong - 1);
    }
  });

  it('rejects zero where only a positive number makes sense', () => {
    for (const name of ['attemptTimeoutMs', 'lockTtlMs', 'lockWaitMs'] as const) {
      expect(() => resolveOptions({ refresh, [name]: 0 })).toThrow(
        new RangeError(`TokenCache: ${name} must be a positive number`),
      );
    }
  });
});
