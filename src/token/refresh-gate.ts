import { type ReauthorizationRequiredError, TokenUnavailableError } from './errors.js';

/**
 * Whether a refresh may start now, and what the failures since the last success were. One place
 * for every failure and gate field, so a success, a login or a new grant resets all of them at once.
 */
export class RefreshGate {
  /** The grant is dead: no refresh until a new refresh token arrives. */
  reauthError: ReauthorizationRequiredError | undefined;
  /** The last foreground refresh failed with no usable token left (state `error`). */
  lastRefreshFailed = false;
  /** No refresh starts before this monotonic time (a long Retry-After, a permanent error). */
  notBeforeMono = 0;
  /** What callers get while the gate is shut. */
  gateError: Error | undefined;
  /** The gate follows a permanent failure: callers get it unchanged (no Retry-After: it is no rate limit). */
  permanent = false;
  /** Next background refresh not before this (pause after failed refresh-aheads). */
  nextAheadMono = 0;
  aheadFailures = 0;
  /** Failed refreshes since the last success (thins out repeated log lines). */
  failureStreak = 0;

  /** Forgets every failure and gate: a new grant, or a successful refresh. */
  reset(): void {
    this.reauthError = undefined;
    this.lastRefreshFailed = false;
    this.notBeforeMono = 0;
    this.gateError = undefined;
    this.permanent = false;
    this.nextAheadMono = 0;
    this.aheadFailures = 0;
    this.failureStreak = 0;
  }

  /** Shuts the gate until `untilMono` (after a Retry-After, or a `permanent` failure). */
  shut(untilMono: number, permanent: boolean): void {
    this.notBeforeMono = Math.max(this.notBeforeMono, untilMono);
    this.permanent = permanent;
  }

  /** Counts a failed refresh; returns the streak length. */
  recordFailure(
    background: boolean,
    stillUsable: boolean,
    nowMono: number,
    aheadPauseMs: (n: number) => number,
  ): number {
    if (background) {
      this.aheadFailures++;
      this.nextAheadMono = nowMono + aheadPauseMs(this.aheadFailures);
    } else if (!stillUsable) {
      this.lastRefreshFailed = true;
    }
    return ++this.failureStreak;
  }

  /** True while a shut gate stops refreshes. */
  isShut(nowMono: number): boolean {
    return nowMono < this.notBeforeMono;
  }

  /** The error that stops a refresh from starting now, if any. */
  blockedError(nowMono: number): Error | undefined {
    if (this.reauthError !== undefined) return this.reauthError;
    if (nowMono < this.notBeforeMono && this.gateError !== undefined) {
      if (this.permanent) return this.gateError;
      // Same message and cause, with the time still to wait.
      return new TokenUnavailableError(this.gateError.message, {
        cause: this.gateError.cause,
        retryAfterMs: this.notBeforeMono - nowMono,
      });
    }
    return undefined;
  }

  /** Whether a refresh-ahead may start now. */
  aheadAllowed(nowMono: number): boolean {
    return this.reauthError === undefined && nowMono >= this.nextAheadMono && nowMono >= this.notBeforeMono;
  }
}
