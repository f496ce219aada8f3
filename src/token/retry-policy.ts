import {
  PermanentRefreshError,
  ReauthorizationRequiredError,
  RetryableRefreshError,
  TokenError,
} from './errors.js';
import type { RefreshResult } from './types.js';

/** The settings that decide whether, and after what pause, a failed refresh is tried again. */
export interface RetryPolicy {
  /** Upstream attempts per refresh, including the first. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A longer Retry-After ends the refresh instead of being waited out. */
  maxRetryAfterMs: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
  isRetryable: (error: unknown) => boolean;
  /** After a failure that is not retryable (other than a dead grant), no refresh starts for this long. */
  permanentErrorGateMs: number;
}

/** What follows a failed attempt: another one after `delayMs`, or the end of the refresh. */
export type RetryDecision =
  | { retry: true; delayMs: number }
  | {
      retry: false;
      /** A Retry-After that was not waited out: no refresh may start before it has passed. */
      gateMs: number | undefined;
      /** The gate follows a permanent failure (not a Retry-After): callers get that failure as it was. */
      permanent?: true;
    };

/**
 * Decides what follows the failure of attempt number `attempt` (counting from 1). A Retry-After
 * from the provider replaces the backoff; one longer than `maxRetryAfterMs`, or on an attempt that
 * is not retried, gates later refreshes instead.
 */
export function decideRetry(error: unknown, attempt: number, policy: RetryPolicy): RetryDecision {
  const retryable = policy.isRetryable(error);
  if (!retryable && !(error instanceof ReauthorizationRequiredError)) {
    // A retry would get the same answer; so would the next caller for a while.
    const gate = policy.permanentErrorGateMs;
    return gate > 0 ? { retry: false, gateMs: gate, permanent: true } : { retry: false, gateMs: undefined };
  }
  const retry = attempt < policy.maxAttempts && retryable;
  const retryAfter = error instanceof RetryableRefreshError ? error.retryAfterMs : undefined;
  if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter > 0) {
    if (!retry || retryAfter > policy.maxRetryAfterMs) return { retry: false, gateMs: retryAfter };
    return { retry: true, delayMs: retryAfter };
  }
  if (!retry) return { retry: false, gateMs: undefined };
  return { retry: true, delayMs: fullJitterBackoff(attempt, policy) };
}

/** "Full jitter": retry n waits a random time in [0, min(backoffMaxMs, backoffBaseMs * 2^(n-1))). */
export function fullJitterBackoff(
  attempt: number,
  policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs' | 'random'>,
): number {
  return policy.random() * Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (attempt - 1));
}

/**
 * The longest one refresh can take: every attempt running into its timeout, each retry after the
 * longest pause it may wait (a full backoff or a Retry-After that is waited out).
 */
export function worstCaseRefreshMs(
  policy: Pick<RetryPolicy, 'maxAttempts' | 'backoffMaxMs' | 'maxRetryAfterMs'> & {
    attemptTimeoutMs: number;
  },
): number {
  const longestPause = Math.max(policy.backoffMaxMs, policy.maxRetryAfterMs);
  return policy.maxAttempts * policy.attemptTimeoutMs + (policy.maxAttempts - 1) * longestPause;
}

/**
 * The pause before the next refresh-ahead after `failures` failed ones in a row: doubling from
 * 4 × backoffBaseMs up to 4 × backoffMaxMs, with half of it jittered, so a fleet does not retry
 * in step while its tokens are still valid.
 */
export function refreshAheadPause(
  failures: number,
  policy: Pick<RetryPolicy, 'backoffBaseMs' | 'backoffMaxMs' | 'random'>,
): number {
  const pause = Math.min(policy.backoffMaxMs * 4, policy.backoffBaseMs * 2 ** (failures + 1));
  return pause * (0.5 + policy.random() / 2);
}

/**
 * The default `isRetryable`: ReauthorizationRequiredError and other TokenErrors (such as
 * PermanentRefreshError) are final, RetryableRefreshError and any other error (network, parse)
 * are retried. Refresh functions that know an answer is permanent (an OAuth `invalid_client`)
 * throw a TokenError, or the cache gets an `isRetryable` that knows their error classes.
 */
export function defaultIsRetryable(error: unknown): boolean {
  if (error instanceof RetryableRefreshError) return true;
  if (error instanceof TokenError) return false;
  return true;
}

/** Returns a refresh function's result if it is usable, else throws a RetryableRefreshError. */
export function checkResult(result: RefreshResult): RefreshResult {
  if (
    result === null ||
    typeof result !== 'object' ||
    typeof result.accessToken !== 'string' ||
    result.accessToken.length === 0 ||
    typeof result.expiresIn !== 'number' ||
    !Number.isFinite(result.expiresIn) ||
    result.expiresIn <= 0
  ) {
    throw new PermanentRefreshError('refresh function returned no access token or no positive expiresIn');
  }
  if (
    result.refreshToken !== undefined &&
    (typeof result.refreshToken !== 'string' || !result.refreshToken)
  ) {
    throw new PermanentRefreshError('refresh function returned an empty refresh token');
  }
  return result;
}
