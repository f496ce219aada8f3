import { describe, expect, it } from 'vitest';
import {
  PermanentRefreshError,
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  RetryableRefreshError,
  TokenError,
} from './errors.js';
import {
  checkResult,
  decideRetry,
  defaultIsRetryable,
  fullJitterBackoff,
  type RetryPolicy,
  refreshAheadPause,
  worstCaseRefreshMs,
} from './retry-policy.js';
import type { RefreshResult } from './types.js';

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 3,
    backoffBaseMs: 500,
    backoffMaxMs: 10_000,
    maxRetryAfterMs: 30_000,
    permanentErrorGateMs: 60_000,
    random: () => 0.5,
    isRetryable: defaultIsRetryable,
    ...overrides,
  };
}

describe('fullJitterBackoff', () => {
  it('doubles the upper bound per retry and scales it by the random draw', () => {
    const p = policy({ backoffBaseMs: 1_000, random: () => 0.5 });
    expect([1, 2, 3, 4].map((n) => fullJitterBackoff(n, p))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('stays below backoffMaxMs however many retries came before', () => {
    const p = policy({ backoffBaseMs: 1_000, backoffMaxMs: 5_000, random: () => 0.999 });
    expect(fullJitterBackoff(30, p)).toBeCloseTo(4_995);
    expect(fullJitterBackoff(30, p)).toBeLessThan(5_000);
  });

  it('can wait nothing at all when the draw is zero', () => {
    expect(fullJitterBackoff(3, policy({ random: () => 0 }))).toBe(0);
  });
});

describe('worstCaseRefreshMs', () => {
  it('adds every attempt timing out and each retry waiting its longest pause', () => {
    // 4 attempts x 10 s, and 3 retries after a 30 s Retry-After (longer than the 10 s backoff cap).
    expect(worstCaseRefreshMs({ ...policy({ maxAttempts: 4 }), attemptTimeoutMs: 10_000 })).toBe(130_000);
    expect(
      worstCaseRefreshMs({ ...policy({ maxAttempts: 2, maxRetryAfterMs: 0 }), attemptTimeoutMs: 5_000 }),
    ).toBe(20_000);
    expect(worstCaseRefreshMs({ ...policy({ maxAttempts: 1 }), attemptTimeoutMs: 10_000 })).toBe(10_000);
  });
});

describe('refreshAheadPause', () => {
  it('doubles from four times the backoff base, jittering only the upper half of the pause', () => {
    const low = policy({ backoffBaseMs: 500, random: () => 0 });
    expect([1, 2, 3].map((n) => refreshAheadPause(n, low))).toEqual([1_000, 2_000, 4_000]);
    const mid = policy({ backoffBaseMs: 500, random: () => 0.5 });
    expect(refreshAheadPause(1, mid)).toBe(1_500);
  });

  it('is capped at four times backoffMaxMs', () => {
    const p = policy({ backoffMaxMs: 10_000, random: () => 0.5 });
    expect(refreshAheadPause(50, p)).toBe(30_000);
  });
});

describe('decideRetry', () => {
  it('retries a transient failure after a jittered backoff while attempts remain', () => {
    expect(decideRetry(new Error('socket hang up'), 1, policy())).toEqual({ retry: true, delayMs: 250 });
    expect(decideRetry(new RetryableRefreshError('502'), 2, policy())).toEqual({ retry: true, delayMs: 500 });
  });

  it('stops after the last attempt of a transient failure, without a gate', () => {
    expect(decideRetry(new Error('boom'), 3, policy())).toEqual({ retry: false, gateMs: undefined });
  });

  it('stops at once on a permanent failure (invalid_client, a malformed answer) and gates refreshes for permanentErrorGateMs', () => {
    const permanent = new PermanentRefreshError('invalid_client');
    expect(decideRetry(permanent, 1, policy())).toEqual({ retry: false, gateMs: 60_000, permanent: true });
    const p = policy({ isRetryable: (e) => !(e instanceof TypeError) });
    expect(decideRetry(new TypeError('bad shape'), 1, p)).toEqual({
      retry: false,
      gateMs: 60_000,
      permanent: true,
    });
    expect(decideRetry(permanent, 1, policy({ permanentErrorGateMs: 0 }))).toEqual({
      retry: false,
      gateMs: undefined,
    });
  });

  it('stops on an error isRetryable refuses', () => {
    expect(decideRetry(new ReauthorizationRequiredError('invalid_grant'), 1, policy())).toEqual({
      retry: false,
      gateMs: undefined,
    });
  });

  it('waits out a Retry-After within maxRetryAfterMs instead of the backoff', () => {
    const random = () => {
      throw new Error('no jitter expected');
    };
    expect(decideRetry(new RetryableRefreshError('429', 7_000), 1, policy({ random }))).toEqual({
      retry: true,
      delayMs: 7_000,
    });
  });

  it('gates later refreshes for a Retry-After longer than maxRetryAfterMs', () => {
    expect(decideRetry(new RetryableRefreshError('429', 120_000), 1, policy())).toEqual({
      retry: false,
      gateMs: 120_000,
    });
  });

  it('gates later refreshes for a Retry-After on the last attempt', () => {
    expect(decideRetry(new RetryableRefreshError('429', 5_000), 3, policy())).toEqual({
      retry: false,
      gateMs: 5_000,
    });
  });

  it('ignores a Retry-After that is zero, negative or not finite', () => {
    for (const retryAfter of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(decideRetry(new RetryableRefreshError('429', retryAfter), 1, policy())).toEqual({
        retry: true,
        delayMs: 250,
      });
      expect(decideRetry(new RetryableRefreshError('429', retryAfter), 3, policy())).toEqual({
        retry: false,
        gateMs: undefined,
      });
    }
  });
});

describe('defaultIsRetryable', () => {
  it('retries RetryableRefreshError (timeouts included) and errors that are not TokenErrors', () => {
    expect(defaultIsRetryable(new RetryableRefreshError('503'))).toBe(true);
    expect(defaultIsRetryable(new RefreshTimeoutError('timed out'))).toBe(true);
    expect(defaultIsRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(defaultIsRetryable('a thrown string')).toBe(true);
  });

  it('does not retry a dead grant or another TokenError', () => {
    expect(defaultIsRetryable(new ReauthorizationRequiredError('invalid_grant'))).toBe(false);
    expect(defaultIsRetryable(new TokenError('client misconfigured'))).toBe(false);
  });
});

describe('checkResult', () => {
  const valid: RefreshResult = { accessToken: 'access-token-0123456789', expiresIn: 3600 };

  it('returns a usable result unchanged, with or without a rotated refresh token', () => {
    expect(checkResult(valid)).toBe(valid);
    const rotated = { ...valid, refreshToken: 'refresh-token-0123456789', scope: 'a b' };
    expect(checkResult(rotated)).toBe(rotated);
  });

  it('rejects a missing result, a missing or empty access token and a non-positive or non-finite expiresIn, as permanent', () => {
    const bad: unknown[] = [
      null,
      undefined,
      'access-token',
      { expiresIn: 3600 },
      { accessToken: '', expiresIn: 3600 },
      { accessToken: 42, expiresIn: 3600 },
      { accessToken: 'a', expiresIn: 0 },
      { accessToken: 'a', expiresIn: -5 },
      { accessToken: 'a', expiresIn: Number.NaN },
      { accessToken: 'a', expiresIn: Number.POSITIVE_INFINITY },
      { accessToken: 'a', expiresIn: '3600' },
    ];
    for (const result of bad) {
      expect(() => checkResult(result as RefreshResult)).toThrow(PermanentRefreshError);
      expect(() => checkResult(result as RefreshResult)).toThrow(/no access token or no positive expiresIn/);
    }
  });

  it('rejects an empty or non-string refresh token', () => {
    for (const refreshToken of ['', 7, null]) {
      const result = { ...valid, refreshToken } as unknown as RefreshResult;
      expect(() => checkResult(result)).toThrow(/empty refresh token/);
    }
  });
});
