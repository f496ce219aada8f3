import type { ActiveTokenWindows } from './active-token.js';
import { systemClock } from './clock.js';
import type { RetryPolicy } from './retry-policy.js';
import { defaultIsRetryable } from './retry-policy.js';
import { MemoryStore } from './stores/memory-store.js';
import type { Clock, Logger, RefreshFn, TokenStore } from './types.js';

/** Options of a {@link TokenCache}. Durations are milliseconds unless the name says otherwise. */
export interface TokenCacheOptions {
  /**
   * Performs one upstream token request (one attempt). It receives the newest refresh token and
   * an AbortSignal that fires on timeout or close. Throw `ReauthorizationRequiredError` for a dead
   * grant (never retried) and `RetryableRefreshError` (with `retryAfterMs` for a 429) for transient
   * failures.
   */
  refresh: RefreshFn;

  /** Where the token lives between calls, restarts and processes. Default: a new MemoryStore. */
  store?: TokenStore;

  /** Time source; tests pass a ManualClock. Default: systemClock (expiry decisions are monotonic). */
  clock?: Clock;

  /** Structured logger (pino works). Tokens are never passed to it. Default: no logging. */
  logger?: Logger;

  /** Identifies this cache in logs, events and snapshots. Default: 'token'. */
  name?: string;

  /**
   * When less than this remains, the first caller starts one background refresh while everyone
   * keeps getting the current token. Capped at half the token's lifetime. Default: 5 minutes.
   */
  refreshAheadMs?: number;

  /**
   * A token with less than this left is never handed out; callers wait for a new one instead.
   * Capped at a tenth of the token's lifetime. Default: 30 seconds.
   */
  safetyMarginMs?: number;

  /**
   * Below this remaining lifetime, a warning is logged (once per token) if a refresh meant to
   * replace the token has failed. A refresh-ahead that is merely running is not warned about.
   * Default: 10 minutes.
   */
  nearExpiryWarningMs?: number;

  /** One upstream attempt is aborted (its signal fires) after this long. Default: 10 seconds. */
  attemptTimeoutMs?: number;

  /** Upstream attempts per refresh, including the first (a whole number, at least 1). Default: 3. */
  maxAttempts?: number;

  /**
   * Retry n waits a random time in [0, min(backoffMaxMs, backoffBaseMs * 2^(n-1))) ("full
   * jitter"). Also the base of the pause between failed background refreshes. Default: 500.
   */
  backoffBaseMs?: number;

  /** Upper bound of one backoff pause. Default: 10 seconds. */
  backoffMaxMs?: number;

  /**
   * A Retry-After up to this long is waited out within the refresh; a longer one ends the
   * refresh, and no new one starts before it has passed (callers with no usable token get the
   * refresh's error meanwhile). Default: 30 seconds.
   */
  maxRetryAfterMs?: number;

  /** Source of jitter in [0, 1); tests inject a fixed one. Default: Math.random. */
  random?: () => number;

  /**
   * Decides whether a failed attempt is retried. Default: ReauthorizationRequiredError and other
   * TokenErrors are not, RetryableRefreshError is, any other error (network, parse) is.
   */
  isRetryable?: (error: unknown) => boolean;

  /**
   * Shared stores only: the TTL of the fleet-wide refresh lock. A holder renews it every third of
   * the TTL while its refresh runs (stores whose locks support `extend`), so this bounds how long a
   * holder that died blocks the others, not how long a refresh may take. Default: 60 seconds.
   */
  lockTtlMs?: number;

  /**
   * Shared stores only: how long to wait for another holder's result before trying the lock
   * again. Default: 5 seconds.
   */
  lockWaitMs?: number;

  /**
   * Every store call (load, save, lock, ...) fails as a store failure after this long, so a store
   * that never answers (a hung NFS mount, a custom store) cannot hang callers. Default: 5 seconds.
   */
  storeTimeoutMs?: number;

  /**
   * After a failure a retry cannot fix (`invalid_client`, a 4xx, a malformed answer), no refresh
   * starts for this long; callers get that failure meanwhile. Default: 60 seconds.
   */
  permanentErrorGateMs?: number;

  /**
   * How long a login (a refresh-token grant) lasts from when the user authorized it; refreshing
   * does not extend it (Spotify: 6 months). Shown as `login.expires_at`. Default: 182 days.
   */
  loginLifetimeMs?: number;

  /** From this long before the login expires, one warning a day is logged. Default: 14 days. */
  loginWarningMs?: number;

  /**
   * A refresh token from configuration (e.g. an environment variable). Used when the store holds
   * none or holds one seeded from a different value; a store record seeded from this same value
   * keeps its (possibly rotated) refresh token.
   */
  seedRefreshToken?: string;
}

/** TokenCacheOptions with every default filled in and every number checked. */
export interface TokenCacheSettings extends ActiveTokenWindows, RetryPolicy {
  refresh: RefreshFn;
  store: TokenStore;
  clock: Clock;
  logger: Logger;
  name: string;
  attemptTimeoutMs: number;
  lockTtlMs: number;
  lockWaitMs: number;
  storeTimeoutMs: number;
  permanentErrorGateMs: number;
  loginLifetimeMs: number;
  loginWarningMs: number;
  /** An empty string counts as unset, as an empty environment variable would. */
  seedRefreshToken: string | undefined;
}

const DAY_MS = 86_400_000;
const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Fills in defaults and rejects a missing refresh function or an out-of-range number. */
export function resolveOptions(options: TokenCacheOptions): TokenCacheSettings {
  if (typeof options?.refresh !== 'function')
    throw new TypeError('TokenCache: options.refresh must be a function');
  return {
    refresh: options.refresh,
    store: options.store ?? new MemoryStore(),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? noopLogger,
    name: options.name ?? 'token',
    refreshAheadMs: nonNegative('refreshAheadMs', options.refreshAheadMs, 5 * 60_000),
    safetyMarginMs: nonNegative('safetyMarginMs', options.safetyMarginMs, 30_000),
    nearExpiryWarningMs: nonNegative('nearExpiryWarningMs', options.nearExpiryWarningMs, 10 * 60_000),
    attemptTimeoutMs: waitable(
      positive('attemptTimeoutMs', options.attemptTimeoutMs, 10_000),
      'attemptTimeoutMs',
    ),
    maxAttempts: positiveInteger('maxAttempts', options.maxAttempts, 3),
    backoffBaseMs: nonNegative('backoffBaseMs', options.backoffBaseMs, 500),
    backoffMaxMs: waitable(nonNegative('backoffMaxMs', options.backoffMaxMs, 10_000), 'backoffMaxMs'),
    maxRetryAfterMs: waitable(
      nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 30_000),
      'maxRetryAfterMs',
    ),
    random: options.random ?? Math.random,
    isRetryable: options.isRetryable ?? defaultIsRetryable,
    lockTtlMs: positive('lockTtlMs', options.lockTtlMs, 60_000),
    lockWaitMs: waitable(positive('lockWaitMs', options.lockWaitMs, 5_000), 'lockWaitMs'),
    storeTimeoutMs: waitable(positive('storeTimeoutMs', options.storeTimeoutMs, 5_000), 'storeTimeoutMs'),
    permanentErrorGateMs: waitable(
      nonNegative('permanentErrorGateMs', options.permanentErrorGateMs, 60_000),
      'permanentErrorGateMs',
    ),
    loginLifetimeMs: positive('loginLifetimeMs', options.loginLifetimeMs, 182 * DAY_MS),
    loginWarningMs: nonNegative('loginWarningMs', options.loginWarningMs, 14 * DAY_MS),
    seedRefreshToken: options.seedRefreshToken || undefined,
  };
}

/** Node timers fire at once (with a warning) beyond this, so longer waits would not wait at all. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function waitable(value: number, name: string): number {
  if (value > MAX_TIMER_MS)
    throw new RangeError(`TokenCache: ${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days)`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new RangeError(`TokenCache: ${name} must be a non-negative number`);
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new RangeError(`TokenCache: ${name} must be a whole number of at least 1`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(`TokenCache: ${name} must be a positive number`);
  return value;
}
