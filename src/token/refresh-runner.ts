import { type ActiveToken, toActiveToken } from './active-token.js';
import {
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
import type { TokenCacheEvents } from './events.js';
import { fingerprint } from './fingerprint.js';
import type { FleetRefresh } from './fleet-refresh.js';
import type { LoginWatch } from './login-watch.js';
import type { CacheMetrics } from './metrics.js';
import type { TokenCacheSettings } from './options.js';
import type { RefreshGate } from './refresh-gate.js';
import { checkResult, decideRetry, refreshAheadPause } from './retry-policy.js';
import { scrubError } from './scrub-error.js';
import type { Redactor } from './secret-text.js';
import type { StoreSync, WriteOnTop, WriteOutcome } from './store-sync.js';
import type { Clock, Logger, RefreshResult, TokenRecord } from './types.js';

/** Why a refresh runs: a caller waits, the token is due for refresh-ahead, or it was asked for. */
export type RefreshMode = 'foreground' | 'background' | 'forced';

/** Emits a cache event (a throwing listener is logged, never breaks the refresh). */
export type Emit = <K extends keyof TokenCacheEvents>(event: K, ...args: TokenCacheEvents[K]) => void;

/** The parts of a TokenCache a refresh works with. */
export interface RefreshParts {
  readonly name: string;
  readonly settings: TokenCacheSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: CacheMetrics;
  readonly gate: RefreshGate;
  readonly sync: StoreSync;
  readonly fleet: FleetRefresh;
  readonly loginWatch: LoginWatch;
  readonly redactor: Redactor;
  readonly closeSignal: AbortSignal;
  readonly emit: Emit;
  isClosed(): boolean;
  /** A refresh is in flight (a retried save waits for it to finish). */
  isBusy(): boolean;
}

/** Pauses between attempts to save a write that failed: 1 s doubling up to this. */
const MAX_RESAVE_PAUSE_MS = 30_000;

/**
 * One refresh from start to end: upstream attempts with retries, the versioned save of the
 * result (a result of a grant replaced meanwhile is discarded), the failure bookkeeping every
 * waiter's error comes from, and saving again what the store missed.
 */
export class RefreshRunner {
  /** The loop saving a write the store missed, while it runs. */
  resaving: Promise<void> | undefined;

  constructor(private readonly p: RefreshParts) {}

  /** One refresh: through the fleet lock when there is one; failures recorded and turned into the callers' error. */
  async run(mode: RefreshMode): Promise<ActiveToken> {
    const started = this.p.clock.monotonic();
    const replacing = this.p.sync.current;
    this.p.metrics.refreshStarted(mode === 'background');
    try {
      const token = await this.p.fleet.obtain(() => this.refreshUpstream());
      this.p.gate.reset();
      this.p.loginWatch.check(this.p.sync.grant, this.p.clock.now(), this.p.logger);
      return token;
    } catch (err) {
      throw this.refreshFailed(err, mode, replacing);
    } finally {
      this.p.metrics.refreshFinished(this.p.clock.monotonic() - started);
    }
  }

  /** Records a failed refresh and returns the error every waiter gets. */
  private refreshFailed(err: unknown, mode: RefreshMode, replacing: ActiveToken | undefined): Error {
    if (this.p.isClosed()) return closedError();
    const now = this.p.clock.monotonic();
    const cur = this.p.sync.current;
    const stillUsable = cur !== undefined && now < cur.usableUntilMono;
    if (replacing !== undefined) replacing.replacementFailed = true;
    const attempts = err instanceof RefreshFailure ? err.attempts : 0;
    // Callers get this error (or wrap it): nothing a refresh function put into it may leak a token.
    const cause = scrubError(err instanceof RefreshFailure ? err.cause : err, (text) =>
      this.p.redactor.redact(text),
    );
    const message = this.p.redactor.describe(cause);
    const event = { cache: this.p.name, error: message, background: stillUsable, attempts };
    if (cause instanceof ReauthorizationRequiredError) {
      this.p.gate.reauthError = cause;
      this.p.metrics.error(message, this.p.clock.now());
      this.p.logger.error(
        { cache: this.p.name, err: message },
        'refresh token rejected: re-authorization required',
      );
      this.p.emit('reauthorization_required', { cache: this.p.name, error: message });
      this.p.emit('refresh_failed', event);
      return cause;
    }
    const gated = this.p.gate.isShut(now) && !this.p.gate.permanent;
    const error =
      cause instanceof TokenUnavailableError
        ? cause
        : new TokenUnavailableError(
            `could not refresh the access token after ${attempts} attempt(s): ${message}`,
            {
              cause,
              ...(gated ? { retryAfterMs: this.p.gate.notBeforeMono - now } : {}),
            },
          );
    if (this.p.gate.isShut(now)) this.p.gate.gateError = error;
    const streak = this.p.gate.recordFailure(mode === 'background', stillUsable, now, (n) =>
      refreshAheadPause(n, this.p.settings),
    );
    const fields = {
      cache: this.p.name,
      err: message,
      attempts,
      background: stillUsable,
      consecutive_failures: streak,
    };
    // An outage should not flood the log: full level on failures 1, 2, 4, 8, ... of a streak.
    if ((streak & (streak - 1)) !== 0) this.p.logger.debug(fields, 'token refresh failed again');
    else if (stillUsable) this.p.logger.warn(fields, 'refresh-ahead failed; still serving the current token');
    else this.p.logger.error(fields, 'token refresh failed; no usable token');
    this.p.emit('refresh_failed', event);
    return error;
  }

  /** Calls the refresh function with retries, then persists and installs the result. */
  private async refreshUpstream(): Promise<ActiveToken> {
    let attempt = 0;
    for (;;) {
      attempt++;
      const generation = this.p.sync.generation;
      const spent = this.p.sync.grant.refreshToken;
      const base = this.p.sync.version;
      const startMono = this.p.clock.monotonic();
      const startWall = this.p.clock.now();
      this.p.metrics.attempt();
      let result: RefreshResult;
      try {
        result = checkResult(await this.attemptOnce(attempt, spent));
      } catch (err) {
        if (this.p.isClosed()) throw closedError();
        if (generation !== this.p.sync.generation) {
          attempt = 0; // a login replaced the grant mid-attempt: start over with it
          continue;
        }
        this.p.metrics.failure(this.p.redactor.describe(err), this.p.clock.now());
        const decision = decideRetry(err, attempt, this.p.settings);
        if (!decision.retry) {
          if (decision.gateMs !== undefined)
            this.p.gate.shut(this.p.clock.monotonic() + decision.gateMs, decision.permanent === true);
          throw new RefreshFailure(err, attempt);
        }
        const delay = decision.delayMs;
        this.p.logger.debug(
          { cache: this.p.name, attempt, err: this.p.redactor.describe(err), retry_in_ms: Math.round(delay) },
          'token refresh attempt failed; retrying',
        );
        if (delay > 0) await this.p.clock.sleep(delay, this.p.closeSignal);
        continue;
      }
      if (generation === this.p.sync.generation) {
        this.p.metrics.success();
        const active = await this.commit(result, { spent, generation, base, startMono, startWall });
        if (active !== undefined) return active;
      }
      if (this.p.isClosed()) throw closedError();
      attempt = 0; // the grant changed (a login here or elsewhere): this result is void
    }
  }

  /** One upstream request with `refreshToken`, aborted after attemptTimeoutMs or on close. */
  private async attemptOnce(attempt: number, refreshToken: string | undefined): Promise<RefreshResult> {
    const controller = new AbortController();
    const onClose = () => controller.abort(closedError());
    this.p.closeSignal.addEventListener('abort', onClose, { once: true });
    const timer = new AbortController();
    const timeoutMs = this.p.settings.attemptTimeoutMs;
    const timeout = this.p.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        const err = new RefreshTimeoutError(`refresh attempt timed out after ${timeoutMs} ms`);
        controller.abort(err);
        throw err;
      },
      () => new Promise<never>(() => {}),
    );
    try {
      const request = Promise.resolve().then(() =>
        this.p.settings.refresh({ refreshToken, signal: controller.signal, attempt }),
      );
      return await Promise.race([request, timeout]);
    } finally {
      timer.abort();
      this.p.closeSignal.removeEventListener('abort', onClose);
    }
  }

  /**
   * Saves the result as the next version (the rotated refresh token above all), then hands the
   * token out. Undefined when the grant changed meanwhile (a login during the save): the result
   * belongs to the old grant and is discarded.
   */
  private async commit(
    result: RefreshResult,
    from: {
      spent: string | undefined;
      generation: number;
      base: number;
      startMono: number;
      startWall: number;
    },
  ): Promise<ActiveToken | undefined> {
    const { spent, generation, startMono, startWall } = from;
    const rotated = result.refreshToken !== undefined && result.refreshToken !== spent;
    if (rotated) this.p.sync.grant.refreshToken = result.refreshToken;
    const times = {
      expiresAt: startWall + result.expiresIn * 1000,
      obtainedAt: startWall,
      expiresIn: result.expiresIn,
      scope: result.scope,
    };
    const record: TokenRecord = { accessToken: result.accessToken, ...times, ...this.p.sync.record() };
    // Deadlines count from the request's start: the provider's clock started no earlier.
    const active = toActiveToken(record, startMono, startWall, this.p.settings);
    if (active === undefined) throw new TokenUnavailableError('refresh returned an unusable token');
    // On top of the store's record only while it is this grant, still holds the refresh token
    // spent, and holds no token obtained later (a holder whose lock lapsed is fenced off).
    const onTop: WriteOnTop = (stored) =>
      this.p.sync.sameGrant(stored) &&
      (stored.refreshToken === spent || stored.refreshToken === record.refreshToken) &&
      !(stored.accessToken !== undefined && (stored.obtainedAt ?? 0) > startWall);
    const outcome = await this.save(record, onTop, rotated, from.base);
    if (generation !== this.p.sync.generation) return undefined;
    if (outcome === 'superseded') {
      // Another holder saved this grant meanwhile (our lock had lapsed): its record won. Serve its
      // token when usable; ours is valid for the same grant, so serve it unsaved otherwise.
      const theirs = this.p.sync.current;
      if (theirs !== undefined && this.p.clock.monotonic() < theirs.usableUntilMono) return theirs;
    }
    this.p.sync.install(active);
    const durationMs = Math.round(this.p.clock.monotonic() - startMono);
    this.p.logger.info(
      {
        cache: this.p.name,
        fingerprint: active.fingerprint,
        expires_in_s: this.remainingS(active),
        rotated,
        duration_ms: durationMs,
      },
      'access token refreshed',
    );
    this.p.emit('refreshed', {
      cache: this.p.name,
      fingerprint: active.fingerprint,
      expiresAt: new Date(times.expiresAt).toISOString(),
      source: 'upstream',
      rotated,
      durationMs,
    });
    return active;
  }

  /**
   * A versioned write; when it fails, the cache keeps serving from memory and saves again as
   * soon as the store takes writes (`onTop` decides then whether it still belongs on top).
   */
  async save(
    record: TokenRecord,
    onTop: WriteOnTop,
    refreshTokenChanged = true,
    base?: number,
  ): Promise<WriteOutcome> {
    // A write still owed to the store (a login not saved yet) is part of this one: it goes on top
    // wherever that one would have.
    const owed = this.p.sync.unsaved;
    const rule: WriteOnTop = owed === undefined ? onTop : (stored) => onTop(stored) || owed.onTop(stored);
    const outcome = await this.p.sync.write(record, rule, base);
    if (outcome === 'failed' && (refreshTokenChanged || owed !== undefined)) {
      this.p.sync.unsaved = { record, onTop: rule };
      this.p.logger.error(
        { cache: this.p.name, refresh_token: fingerprint(this.p.sync.grant.refreshToken) },
        'could not persist the refresh token; it is kept in memory and saved again once the store recovers',
      );
      this.resaveSoon();
    }
    return outcome;
  }

  /** Retries an unsaved write with backoff until it lands, is superseded, or the cache closes. */
  resaveSoon(): void {
    if (this.resaving !== undefined || this.p.isClosed()) return;
    this.resaving = (async () => {
      try {
        for (
          let pause = 1000;
          this.p.sync.unsaved !== undefined;
          pause = Math.min(pause * 2, MAX_RESAVE_PAUSE_MS)
        ) {
          await this.p.clock.sleep(pause, this.p.closeSignal);
          const unsaved = this.p.sync.unsaved;
          if (unsaved === undefined || this.p.isBusy()) continue;
          if ((await this.p.sync.write(unsaved.record, unsaved.onTop)) === 'failed') continue;
          if (this.p.sync.unsaved === unsaved) this.p.sync.unsaved = undefined;
          this.p.logger.info({ cache: this.p.name }, 'saved the refresh token that the store had missed');
        }
      } catch {
        // closed while pausing
      } finally {
        this.resaving = undefined;
      }
    })();
  }

  private remainingS(active: ActiveToken): number {
    return Math.round((active.deadlineMono - this.p.clock.monotonic()) / 1000);
  }
}

/** A refresh that gave up, with the number of attempts made. */
class RefreshFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly attempts: number,
  ) {
    super('refresh failed');
  }
}

/** The error every call gets after close(). */
export function closedError(): TokenError {
  return new TokenError('token cache closed');
}
