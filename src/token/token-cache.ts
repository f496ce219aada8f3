import { EventEmitter } from 'node:events';
import { systemClock } from './clock.js';
import {
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  RetryableRefreshError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
import { fingerprint } from './fingerprint.js';
import { CacheMetrics } from './metrics.js';
import { MemoryStore } from './stores/memory-store.js';
import type {
  CacheState,
  Clock,
  Logger,
  RefreshFn,
  RefreshResult,
  StoreChangeInfo,
  StoreHealth,
  StoreLock,
  TokenProvider,
  TokenRecord,
  TokenStore,
} from './types.js';

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

  /** Upstream attempts per refresh, including the first. Default: 3. */
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
   * Shared stores only: how long the fleet-wide refresh lock is held at most (its TTL when the
   * holder dies). Should exceed one whole refresh with retries. Default: 60 seconds.
   */
  lockTtlMs?: number;

  /**
   * Shared stores only: how long to wait for another holder's result before trying the lock
   * again. Default: 5 seconds.
   */
  lockWaitMs?: number;

  /**
   * A refresh token from configuration (e.g. an environment variable). Used when the store holds
   * none or holds one seeded from a different value; a store record seeded from this same value
   * keeps its (possibly rotated) refresh token.
   */
  seedRefreshToken?: string;
}

/** Payload of the 'refreshed' event. */
export interface RefreshedEvent {
  cache: string;
  fingerprint: string;
  expiresAt: string;
  /** 'upstream' when this cache refreshed, 'store' when it adopted another process's token. */
  source: 'upstream' | 'store';
  /** True when the provider rotated the refresh token. */
  rotated: boolean;
  durationMs: number;
}

/** Payload of the 'refresh_failed' event (one per failed refresh, after its retries). */
export interface RefreshFailedEvent {
  cache: string;
  error: string;
  /** True when a usable token remained, so no caller failed. */
  background: boolean;
  attempts: number;
}

/** Payload of the 'near_expiry' event. */
export interface NearExpiryEvent {
  cache: string;
  fingerprint: string;
  remainingMs: number;
}

/** Payload of the 'reauthorization_required' event. */
export interface ReauthorizationEvent {
  cache: string;
  error: string;
}

/** Events a TokenCache emits; payloads never contain a token. */
export type TokenCacheEvents = {
  refreshed: [RefreshedEvent];
  refresh_failed: [RefreshFailedEvent];
  near_expiry: [NearExpiryEvent];
  reauthorization_required: [ReauthorizationEvent];
};

/** What `snapshot()` returns: the seed's status shape plus state, store and token details. */
export interface TokenCacheSnapshot {
  name: string;
  state: CacheState;
  store: { kind: string; health: StoreHealth };
  cache_metrics: {
    cache_hits: number;
    cache_misses: number;
    total_requests: number;
    refresh_attempts: number;
    refresh_successes: number;
    refresh_failures: number;
    refreshes_in_flight: number;
    coalesced_callers: number;
    refresh_ahead_count: number;
  };
  performance: {
    cache_hit_rate_percent: number;
    refresh_success_rate_percent: number;
    last_refresh_duration_ms: number | null;
  };
  token_info: {
    present: boolean;
    usable: boolean;
    fingerprint: string | null;
    age_minutes: number | null;
    time_until_expiry_minutes: number | null;
    /** ISO 8601, re-based on the current wall clock. */
    expires_at: string | null;
    refresh_ahead_at: string | null;
    scope: string | null;
  };
  refresh_token: { present: boolean; fingerprint: string | null };
  last_error: string | null;
  last_error_at: string | null;
}

/** A token in use, with its deadlines on the monotonic clock. */
interface ActiveToken {
  token: string;
  fingerprint: string;
  scope: string | undefined;
  lifetimeMs: number;
  obtainedMono: number;
  deadlineMono: number;
  usableUntilMono: number;
  refreshAheadAtMono: number;
  warnAtMono: number;
  /** Earliest moment the slow path of a hit has anything to do. */
  attentionAtMono: number;
  /** A refresh meant to replace this token has failed. */
  replacementFailed: boolean;
  nearExpiryWarned: boolean;
}

type RefreshMode = 'foreground' | 'background' | 'forced';

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const MAX_REMEMBERED_REJECTIONS = 8;

/**
 * A single-flight OAuth2 access-token cache with refresh-ahead, retries, rotation-safe
 * persistence and optional fleet-wide coordination through a shared store.
 */
export class TokenCache extends EventEmitter<TokenCacheEvents> implements TokenProvider {
  readonly name: string;
  private readonly refreshFn: RefreshFn;
  private readonly store: TokenStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly refreshAheadMs: number;
  private readonly safetyMarginMs: number;
  private readonly nearExpiryWarningMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly isRetryable: (error: unknown) => boolean;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly seedRefreshToken: string | undefined;
  private readonly metrics = new CacheMetrics();
  private readonly closeController = new AbortController();

  private current: ActiveToken | undefined;
  /** The last token this cache held, even after it was dropped (never adopted back from a store). */
  private lastToken: string | undefined;
  private readonly rejected: string[] = [];
  private refreshToken: string | undefined;
  private seedFingerprint: string | undefined;
  /** The refresh token changed locally but could not be saved; the store's copy is older. */
  private refreshTokenUnsaved = false;
  /** Bumped by setRefreshToken: results of refreshes made with an older grant are discarded. */
  private generation = 0;
  private inflight: Promise<ActiveToken> | undefined;
  private reauthError: ReauthorizationRequiredError | undefined;
  private lastRefreshFailed = false;
  /** No refresh starts before this (a long Retry-After); callers get `gateError` meanwhile. */
  private notBeforeMono = 0;
  private gateError: Error | undefined;
  /** Next background refresh not before this (pause after failed refresh-aheads). */
  private nextAheadMono = 0;
  private aheadFailures = 0;
  /** Failed refreshes since the last success (thins out repeated log lines). */
  private failureStreak = 0;
  private storeTrouble: string | undefined;
  /** The store's own health said degraded during the current trouble, so its later 'ok' means it recovered. */
  private storeTroubleSeen = false;
  private loaded = false;
  private loading: Promise<void> | undefined;
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  /** Creates a cache; nothing is read from the store until `load()` or the first call. */
  constructor(options: TokenCacheOptions) {
    super();
    if (typeof options?.refresh !== 'function')
      throw new TypeError('TokenCache: options.refresh must be a function');
    this.refreshFn = options.refresh;
    this.store = options.store ?? new MemoryStore();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? noopLogger;
    this.name = options.name ?? 'token';
    this.refreshAheadMs = nonNegative('refreshAheadMs', options.refreshAheadMs, 5 * 60_000);
    this.safetyMarginMs = nonNegative('safetyMarginMs', options.safetyMarginMs, 30_000);
    this.nearExpiryWarningMs = nonNegative('nearExpiryWarningMs', options.nearExpiryWarningMs, 10 * 60_000);
    this.attemptTimeoutMs = positive('attemptTimeoutMs', options.attemptTimeoutMs, 10_000);
    this.maxAttempts = Math.floor(positive('maxAttempts', options.maxAttempts, 3));
    this.backoffBaseMs = nonNegative('backoffBaseMs', options.backoffBaseMs, 500);
    this.backoffMaxMs = nonNegative('backoffMaxMs', options.backoffMaxMs, 10_000);
    this.maxRetryAfterMs = nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 30_000);
    this.random = options.random ?? Math.random;
    this.isRetryable = options.isRetryable ?? defaultIsRetryable;
    this.lockTtlMs = positive('lockTtlMs', options.lockTtlMs, 60_000);
    this.lockWaitMs = positive('lockWaitMs', options.lockWaitMs, 5_000);
    this.seedRefreshToken = options.seedRefreshToken || undefined;
  }

  /** Returns a usable access token, from the cache when possible, else from one shared refresh. */
  async getAccessToken(): Promise<string> {
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    const now = this.clock.monotonic();
    const cur = this.current;
    if (cur !== undefined && now < cur.usableUntilMono) {
      this.metrics.hit();
      if (now >= cur.attentionAtMono) this.tend(cur, now);
      return cur.token;
    }
    return this.waitForRefresh(now);
  }

  /**
   * For a 401: drops the cached token only if it is still `rejectedToken` (any token when
   * omitted), so concurrent handlers cause one refresh and an old token never drops a new one.
   * The store is told too, in the background.
   */
  invalidate(rejectedToken?: string): void {
    const cur = this.current;
    const target = rejectedToken ?? cur?.token;
    if (target === undefined) return;
    this.remember(target);
    if (cur !== undefined && cur.token === target) {
      this.current = undefined;
      this.logger.debug({ cache: this.name, fingerprint: cur.fingerprint }, 'access token invalidated');
    }
    Promise.resolve()
      .then(() => this.store.invalidate(target))
      .then(
        () => this.storeOk(),
        (err: unknown) => this.storeFailed('invalidate', err),
      );
  }

  /** Gets a new token now (joining a refresh already in flight instead of starting another). */
  async forceRefresh(): Promise<string> {
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    if (this.inflight !== undefined) {
      this.metrics.coalesced();
      return (await this.inflight).token;
    }
    const blocked = this.blockedError(this.clock.monotonic());
    if (blocked !== undefined) throw blocked;
    return (await this.startRefresh('forced')).token;
  }

  /**
   * Installs a refresh token obtained by a login: persists it, leaves reauthorization_required and
   * drops the old access token (it may belong to another account).
   */
  async setRefreshToken(refreshToken: string, opts: { seedFingerprint?: string } = {}): Promise<void> {
    if (!refreshToken) throw new TypeError('setRefreshToken: refresh token must be a non-empty string');
    if (!this.loaded) await this.load();
    this.generation++;
    this.refreshToken = refreshToken;
    if (opts.seedFingerprint !== undefined) this.seedFingerprint = opts.seedFingerprint;
    this.reauthError = undefined;
    this.lastRefreshFailed = false;
    this.notBeforeMono = 0;
    this.gateError = undefined;
    this.nextAheadMono = 0;
    this.aheadFailures = 0;
    this.failureStreak = 0;
    if (this.current !== undefined) {
      this.remember(this.current.token);
      this.current = undefined;
    }
    this.logger.info(
      { cache: this.name, refresh_token: fingerprint(refreshToken) },
      'refresh token set; access token will be fetched on next use',
    );
    await this.persist({ refreshToken, seedFingerprint: this.seedFingerprint }, true);
  }

  /** Reads the store once (later calls share the first read) and subscribes to its changes. */
  load(): Promise<void> {
    this.loading ??= this.loadOnce();
    return this.loading;
  }

  /** Same as `load()`: call it at start so the first request does not pay for the read. */
  init(): Promise<void> {
    return this.load();
  }

  /** The seed's status shape and more; never contains a token (only fingerprints). */
  snapshot(): TokenCacheSnapshot {
    const mono = this.clock.monotonic();
    const wall = this.clock.now();
    const m = this.metrics;
    const cur = this.current;
    const at = (monoMs: number) => new Date(Math.round((wall + monoMs - mono) / 1000) * 1000).toISOString();
    return {
      name: this.name,
      state: this.state(mono),
      store: { kind: this.store.kind, health: this.health() },
      cache_metrics: {
        cache_hits: m.cacheHits,
        cache_misses: m.cacheMisses,
        total_requests: m.totalRequests,
        refresh_attempts: m.refreshAttempts,
        refresh_successes: m.refreshSuccesses,
        refresh_failures: m.refreshFailures,
        refreshes_in_flight: m.refreshesInFlight,
        coalesced_callers: m.coalescedCallers,
        refresh_ahead_count: m.refreshAheadCount,
      },
      performance: {
        cache_hit_rate_percent: m.hitRatePercent(),
        refresh_success_rate_percent: m.refreshSuccessRatePercent(),
        last_refresh_duration_ms: m.lastRefreshDurationMs,
      },
      token_info: cur
        ? {
            present: true,
            usable: mono < cur.usableUntilMono,
            fingerprint: cur.fingerprint,
            age_minutes: Math.max(0, Math.floor((mono - cur.obtainedMono) / 60_000)),
            time_until_expiry_minutes: Math.max(0, Math.floor((cur.deadlineMono - mono) / 60_000)),
            expires_at: at(cur.deadlineMono),
            refresh_ahead_at: at(cur.refreshAheadAtMono),
            scope: cur.scope ?? null,
          }
        : {
            present: false,
            usable: false,
            fingerprint: null,
            age_minutes: null,
            time_until_expiry_minutes: null,
            expires_at: null,
            refresh_ahead_at: null,
            scope: null,
          },
      refresh_token: {
        present: this.refreshToken !== undefined,
        fingerprint: fingerprint(this.refreshToken) ?? null,
      },
      last_error: m.lastError,
      last_error_at: m.lastErrorAt === null ? null : new Date(m.lastErrorAt).toISOString(),
    };
  }

  /**
   * Stops the cache: aborts a running refresh (its waiters get an error), unsubscribes from the
   * store and rejects later calls. A store passed in is not closed (its owner closes it).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.closeController.abort(closedError());
    await this.inflight?.catch(() => {});
  }

  // ---- internals -------------------------------------------------------------------------

  private async loadOnce(): Promise<void> {
    if (this.store.onChange) {
      try {
        this.unsubscribe = this.store.onChange((record, info) => this.onStoreChange(record, info));
      } catch (err) {
        this.storeFailed('subscribe', err);
      }
    }
    let record: TokenRecord | undefined;
    try {
      record = await this.store.load();
      this.storeOk();
    } catch (err) {
      this.storeFailed('load', err);
    }
    const seedFp = fingerprint(this.seedRefreshToken);
    const needsSeed = (r: TokenRecord | undefined) =>
      this.seedRefreshToken !== undefined && (!r?.refreshToken || r.seedFingerprint !== seedFp);
    if (needsSeed(record)) {
      // In a fleet another process may have seeded (and rotated) since our read: decide under the
      // refresh lock, on a fresh read, so a dead seed never overwrites a rotated refresh token.
      const lock = await this.seedLock();
      try {
        if (this.store.acquireLock !== undefined) {
          try {
            record = await this.store.load();
          } catch (err) {
            this.storeFailed('load', err);
          }
        }
        if (needsSeed(record)) {
          // A new (or first) seed: it replaces whatever grant the store held.
          this.refreshToken = this.seedRefreshToken;
          this.seedFingerprint = seedFp;
          this.loaded = true;
          this.logger.info(
            { cache: this.name, refresh_token: seedFp },
            'using the configured refresh token (store held none from this seed)',
          );
          await this.persist({ refreshToken: this.refreshToken, seedFingerprint: seedFp }, true);
          return;
        }
      } finally {
        await lock?.release().catch((err: unknown) => this.storeFailed('unlock', err));
      }
    }
    if (record !== undefined && this.generation === 0) {
      this.refreshToken = record.refreshToken;
      this.seedFingerprint = record.seedFingerprint;
      const candidate = this.toActive(record, this.clock.monotonic(), this.clock.now());
      if (candidate !== undefined && this.clock.monotonic() < candidate.usableUntilMono) {
        this.install(candidate);
        this.logger.info(
          { cache: this.name, fingerprint: candidate.fingerprint, expires_in_s: this.remainingS(candidate) },
          'reusing stored access token',
        );
      }
    }
    this.loaded = true;
  }

  /**
   * The shared store's refresh lock for seeding, waiting a few times for a holder (a peer seeding
   * or refreshing at start); undefined for single-process stores, or when it stays taken or fails.
   */
  private async seedLock(): Promise<StoreLock | undefined> {
    const store = this.store;
    if (store.acquireLock === undefined) return undefined;
    try {
      for (let tries = 0; tries < 3; tries++) {
        const lock = await store.acquireLock(this.lockTtlMs);
        if (lock !== undefined || store.waitForChange === undefined) return lock;
        await store.waitForChange(undefined, this.lockWaitMs);
      }
    } catch (err) {
      this.storeFailed('lock', err);
    }
    return undefined;
  }

  /** The slow part of a hit: start a refresh-ahead, warn about a near expiry. */
  private tend(cur: ActiveToken, now: number): void {
    if (now >= cur.refreshAheadAtMono) this.maybeRefreshAhead(now);
    if (cur.replacementFailed && !cur.nearExpiryWarned && now >= cur.warnAtMono) {
      cur.nearExpiryWarned = true;
      const remainingMs = Math.max(0, cur.deadlineMono - now);
      this.logger.warn(
        {
          cache: this.name,
          fingerprint: cur.fingerprint,
          remaining_s: Math.round(remainingMs / 1000),
          last_error: this.metrics.lastError,
        },
        'access token near expiry and no refresh has succeeded',
      );
      this.emitSafely('near_expiry', { cache: this.name, fingerprint: cur.fingerprint, remainingMs });
    }
  }

  private maybeRefreshAhead(now: number): void {
    if (this.inflight !== undefined || this.reauthError !== undefined || this.closed) return;
    if (now < this.nextAheadMono || now < this.notBeforeMono) return;
    this.startRefresh('background').catch(() => {
      // Counted and logged in runRefresh; a background failure fails no caller.
    });
  }

  private async waitForRefresh(now: number): Promise<string> {
    if (this.inflight !== undefined) {
      this.metrics.miss(true);
      return (await this.inflight).token;
    }
    this.metrics.miss(false);
    const blocked = this.blockedError(now);
    if (blocked !== undefined) throw blocked;
    return (await this.startRefresh('foreground')).token;
  }

  /** The error that stops a refresh from starting now, if any. */
  private blockedError(now: number): Error | undefined {
    if (this.reauthError !== undefined) return this.reauthError;
    if (now < this.notBeforeMono && this.gateError !== undefined) {
      // Same message and cause, with the time still to wait.
      return new TokenUnavailableError(this.gateError.message, {
        cause: this.gateError.cause,
        retryAfterMs: this.notBeforeMono - now,
      });
    }
    return undefined;
  }

  /** Starts the one refresh of this process; callers arriving meanwhile join it. */
  private startRefresh(mode: RefreshMode): Promise<ActiveToken> {
    const flight: Promise<ActiveToken> = this.runRefresh(mode).finally(() => {
      if (this.inflight === flight) this.inflight = undefined;
    });
    this.inflight = flight;
    return flight;
  }

  private async runRefresh(mode: RefreshMode): Promise<ActiveToken> {
    const started = this.clock.monotonic();
    const replacing = this.current;
    this.metrics.refreshStarted(mode === 'background');
    try {
      const token = await this.obtain();
      this.lastRefreshFailed = false;
      this.aheadFailures = 0;
      this.failureStreak = 0;
      this.nextAheadMono = 0;
      return token;
    } catch (err) {
      throw this.refreshFailed(err, mode, replacing);
    } finally {
      this.metrics.refreshFinished(this.clock.monotonic() - started);
    }
  }

  /** Records a failed refresh and returns the error every waiter gets. */
  private refreshFailed(err: unknown, mode: RefreshMode, replacing: ActiveToken | undefined): Error {
    if (this.closed) return closedError();
    const now = this.clock.monotonic();
    const stillUsable = this.current !== undefined && now < this.current.usableUntilMono;
    if (replacing !== undefined) replacing.replacementFailed = true;
    const attempts = err instanceof RefreshFailure ? err.attempts : 0;
    const cause = err instanceof RefreshFailure ? err.cause : err;
    if (cause instanceof ReauthorizationRequiredError) {
      this.reauthError = cause;
      this.metrics.error(this.redact(describe(cause)), this.clock.now());
      this.logger.error(
        { cache: this.name, err: this.redact(describe(cause)) },
        'refresh token rejected: re-authorization required',
      );
      this.emitSafely('reauthorization_required', { cache: this.name, error: this.redact(describe(cause)) });
      this.emitSafely('refresh_failed', {
        cache: this.name,
        error: this.redact(describe(cause)),
        background: stillUsable,
        attempts,
      });
      return cause;
    }
    const message = this.redact(describe(cause));
    const gated = now < this.notBeforeMono;
    const error =
      cause instanceof TokenUnavailableError
        ? cause
        : new TokenUnavailableError(
            `could not refresh the access token after ${attempts} attempt(s): ${message}`,
            {
              cause,
              ...(gated ? { retryAfterMs: this.notBeforeMono - now } : {}),
            },
          );
    if (gated) this.gateError = error;
    if (mode === 'background') {
      this.aheadFailures++;
      const pause = Math.min(this.backoffMaxMs * 4, this.backoffBaseMs * 2 ** (this.aheadFailures + 1));
      this.nextAheadMono = now + pause * (0.5 + this.random() / 2);
    } else if (!stillUsable) {
      this.lastRefreshFailed = true;
    }
    this.failureStreak++;
    const fields = {
      cache: this.name,
      err: message,
      attempts,
      background: stillUsable,
      consecutive_failures: this.failureStreak,
    };
    // An outage should not flood the log: full level on failures 1, 2, 4, 8, ... of a streak.
    const loud = (this.failureStreak & (this.failureStreak - 1)) === 0;
    if (!loud) this.logger.debug(fields, 'token refresh failed again');
    else if (stillUsable) this.logger.warn(fields, 'refresh-ahead failed; still serving the current token');
    else this.logger.error(fields, 'token refresh failed; no usable token');
    this.emitSafely('refresh_failed', {
      cache: this.name,
      error: message,
      background: stillUsable,
      attempts,
    });
    return error;
  }

  /** Gets a new token: through the fleet-wide lock when the store has one, else directly. */
  private async obtain(): Promise<ActiveToken> {
    const store = this.store;
    if (store.acquireLock === undefined || store.waitForChange === undefined) return this.refreshUpstream();
    const deadline = this.clock.monotonic() + this.lockTtlMs + this.lockWaitMs;
    const replacing = this.current?.token ?? this.lastToken;
    let seen = this.lastToken;
    for (;;) {
      if (this.closed) throw closedError();
      // A change notification may have brought another process's token while we waited.
      const arrived = this.freshReplacement(replacing);
      if (arrived !== undefined) return arrived;
      let lock: StoreLock | undefined;
      try {
        lock = await store.acquireLock(this.lockTtlMs);
        this.storeOk();
      } catch (err) {
        this.storeFailed('lock', err);
        return this.refreshUpstream();
      }
      if (lock !== undefined) return this.refreshUnderLock(lock, replacing);
      const now = this.clock.monotonic();
      if (now >= deadline) {
        this.logger.warn({ cache: this.name }, 'refresh lock still held elsewhere; refreshing without it');
        return this.refreshUpstream();
      }
      let record: TokenRecord | undefined;
      try {
        record = await store.waitForChange(seen, Math.min(this.lockWaitMs, deadline - now));
        this.storeOk();
      } catch (err) {
        this.storeFailed('wait', err);
        return this.refreshUpstream();
      }
      if (record !== undefined) {
        this.adoptRefreshToken(record);
        const adopted = this.adoptIfBetter(record, true);
        if (adopted !== undefined) return adopted;
        seen = record.accessToken;
      }
    }
  }

  /** Holding the lock: use a newer token another process saved, else refresh and save. */
  private async refreshUnderLock(lock: StoreLock, replacing: string | undefined): Promise<ActiveToken> {
    try {
      let record: TokenRecord | undefined;
      try {
        record = await this.store.load();
        this.storeOk();
      } catch (err) {
        this.storeFailed('load', err);
      }
      if (record !== undefined) {
        this.adoptRefreshToken(record);
        const adopted = this.adoptIfBetter(record, true) ?? this.freshReplacement(replacing);
        if (adopted !== undefined) return adopted;
      }
      return await this.refreshUpstream();
    } finally {
      try {
        await lock.release();
      } catch (err) {
        this.storeFailed('unlock', err);
      }
    }
  }

  /** Calls the refresh function with retries, then persists and installs the result. */
  private async refreshUpstream(): Promise<ActiveToken> {
    let attempt = 0;
    for (;;) {
      attempt++;
      const generation = this.generation;
      const startMono = this.clock.monotonic();
      const startWall = this.clock.now();
      this.metrics.attempt();
      let result: RefreshResult;
      try {
        result = checkResult(await this.attemptOnce(attempt));
      } catch (err) {
        if (this.closed) throw closedError();
        if (generation !== this.generation) {
          attempt = 0; // a login replaced the grant mid-attempt: start over with it
          continue;
        }
        this.metrics.failure(this.redact(describe(err)), this.clock.now());
        const retry = attempt < this.maxAttempts && this.isRetryable(err);
        const delay = this.retryDelay(err, attempt, retry);
        if (delay === undefined) throw new RefreshFailure(err, attempt);
        this.logger.debug(
          { cache: this.name, attempt, err: this.redact(describe(err)), retry_in_ms: Math.round(delay) },
          'token refresh attempt failed; retrying',
        );
        if (delay > 0) await this.clock.sleep(delay, this.closeController.signal);
        continue;
      }
      if (generation !== this.generation) {
        attempt = 0;
        continue;
      }
      this.metrics.success();
      return this.commit(result, startMono, startWall);
    }
  }

  /** The pause before the next attempt, or undefined to stop. Long Retry-After values gate refreshes. */
  private retryDelay(err: unknown, attempt: number, retry: boolean): number | undefined {
    const retryAfter = err instanceof RetryableRefreshError ? err.retryAfterMs : undefined;
    if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter > 0) {
      if (!retry || retryAfter > this.maxRetryAfterMs) {
        this.notBeforeMono = this.clock.monotonic() + retryAfter;
        return undefined;
      }
      return retryAfter;
    }
    if (!retry) return undefined;
    return this.random() * Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
  }

  /** One upstream request, aborted after attemptTimeoutMs or on close. */
  private async attemptOnce(attempt: number): Promise<RefreshResult> {
    const controller = new AbortController();
    const onClose = () => controller.abort(closedError());
    this.closeController.signal.addEventListener('abort', onClose, { once: true });
    const timer = new AbortController();
    const timeout = this.clock.sleep(this.attemptTimeoutMs, timer.signal).then(
      () => {
        const err = new RefreshTimeoutError(`refresh attempt timed out after ${this.attemptTimeoutMs} ms`);
        controller.abort(err);
        throw err;
      },
      () => new Promise<never>(() => {}),
    );
    try {
      const request = Promise.resolve().then(() =>
        this.refreshFn({ refreshToken: this.refreshToken, signal: controller.signal, attempt }),
      );
      return await Promise.race([request, timeout]);
    } finally {
      timer.abort();
      this.closeController.signal.removeEventListener('abort', onClose);
    }
  }

  /** Saves the new record (rotated refresh token first of all), then hands the token out. */
  private async commit(result: RefreshResult, startMono: number, startWall: number): Promise<ActiveToken> {
    const rotated = result.refreshToken !== undefined && result.refreshToken !== this.refreshToken;
    if (result.refreshToken !== undefined) this.refreshToken = result.refreshToken;
    const record: TokenRecord = {
      accessToken: result.accessToken,
      expiresAt: startWall + result.expiresIn * 1000,
      obtainedAt: startWall,
      expiresIn: result.expiresIn,
      refreshToken: this.refreshToken,
      scope: result.scope,
      seedFingerprint: this.seedFingerprint,
    };
    // Deadlines count from the request's start: the provider's clock started no earlier.
    const active = this.toActive(record, startMono, startWall);
    if (active === undefined) throw new TokenUnavailableError('refresh returned an unusable token');
    await this.persist(record, rotated);
    this.install(active);
    const durationMs = Math.round(this.clock.monotonic() - startMono);
    this.logger.info(
      {
        cache: this.name,
        fingerprint: active.fingerprint,
        expires_in_s: this.remainingS(active),
        rotated,
        duration_ms: durationMs,
      },
      'access token refreshed',
    );
    this.emitSafely('refreshed', {
      cache: this.name,
      fingerprint: active.fingerprint,
      expiresAt: new Date(record.expiresAt ?? startWall).toISOString(),
      source: 'upstream',
      rotated,
      durationMs,
    });
    return active;
  }

  /** Saves a record; on failure keeps serving from memory and marks the store degraded. */
  private async persist(record: TokenRecord, refreshTokenChanged: boolean): Promise<void> {
    try {
      await this.store.save(record);
      this.refreshTokenUnsaved = false;
      this.storeOk();
    } catch (err) {
      if (refreshTokenChanged) this.refreshTokenUnsaved = true;
      this.storeFailed('save', err);
      if (refreshTokenChanged) {
        this.logger.error(
          { cache: this.name, refresh_token: fingerprint(this.refreshToken) },
          'could not persist the refresh token; it is kept in memory and saved with the next token',
        );
      }
    }
  }

  /** Reacts to a change published by another process through a shared store. */
  private onStoreChange(record: TokenRecord | undefined, info?: StoreChangeInfo): void {
    if (this.closed) return;
    if (record !== undefined) this.adoptRefreshToken(record);
    if (record?.accessToken !== undefined) {
      this.adoptIfBetter(record, false);
      return;
    }
    const cur = this.current;
    if (cur === undefined) return;
    const matches =
      info?.invalidatedFingerprint === undefined || info.invalidatedFingerprint === cur.fingerprint;
    if (matches) {
      this.remember(cur.token);
      this.current = undefined;
      this.logger.debug(
        { cache: this.name, fingerprint: cur.fingerprint },
        'access token dropped by another process',
      );
    }
  }

  /** Takes a refresh token another process saved (it may have rotated, or a login set it). */
  private adoptRefreshToken(record: TokenRecord): void {
    const rt = record.refreshToken;
    if (rt === undefined || rt === this.refreshToken || this.refreshTokenUnsaved) return;
    this.refreshToken = rt;
    this.seedFingerprint = record.seedFingerprint ?? this.seedFingerprint;
    if (this.reauthError !== undefined) {
      this.reauthError = undefined;
      this.notBeforeMono = 0;
      this.logger.info({ cache: this.name }, 'another process set a new refresh token');
    }
  }

  /** The current token if it replaced `replacing` and is not yet due for refresh-ahead. */
  private freshReplacement(replacing: string | undefined): ActiveToken | undefined {
    const cur = this.current;
    if (cur === undefined || cur.token === replacing) return undefined;
    return this.clock.monotonic() < cur.refreshAheadAtMono ? cur : undefined;
  }

  /** Installs another process's token if it is usable (fresh, when asked), newer and not rejected. */
  private adoptIfBetter(record: TokenRecord, requireFresh: boolean): ActiveToken | undefined {
    const token = record.accessToken;
    if (token === undefined || this.rejected.includes(token)) return undefined;
    const mono = this.clock.monotonic();
    const candidate = this.toActive(record, mono, this.clock.now());
    if (candidate === undefined || mono >= candidate.usableUntilMono) return undefined;
    if (requireFresh && mono >= candidate.refreshAheadAtMono) return undefined;
    const cur = this.current;
    if (cur !== undefined && (cur.token === token || candidate.deadlineMono < cur.deadlineMono))
      return undefined;
    this.install(candidate);
    this.logger.debug(
      { cache: this.name, fingerprint: candidate.fingerprint, expires_in_s: this.remainingS(candidate) },
      'adopted access token from store',
    );
    this.emitSafely('refreshed', {
      cache: this.name,
      fingerprint: candidate.fingerprint,
      expiresAt: new Date(record.expiresAt ?? 0).toISOString(),
      source: 'store',
      rotated: false,
      durationMs: 0,
    });
    return candidate;
  }

  /**
   * Converts a persisted record (wall-clock times) to monotonic deadlines, once. The remaining
   * time is capped at the lifetime, so a wall clock that is behind (a Pi without RTC) cannot
   * stretch a token.
   */
  private toActive(record: TokenRecord, refMono: number, refWall: number): ActiveToken | undefined {
    const token = record.accessToken;
    const expiresAt = record.expiresAt;
    if (!token || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
    let lifetimeMs: number;
    if (typeof record.expiresIn === 'number' && record.expiresIn > 0) lifetimeMs = record.expiresIn * 1000;
    else if (typeof record.obtainedAt === 'number' && expiresAt > record.obtainedAt)
      lifetimeMs = expiresAt - record.obtainedAt;
    else lifetimeMs = Math.max(0, expiresAt - refWall);
    if (lifetimeMs <= 0) return undefined;
    const remaining = Math.min(expiresAt - refWall, lifetimeMs);
    const deadline = refMono + remaining;
    const safety = Math.min(this.safetyMarginMs, lifetimeMs / 10);
    const ahead = Math.min(this.refreshAheadMs, lifetimeMs / 2);
    const refreshAheadAt = deadline - ahead;
    const warnAt = deadline - this.nearExpiryWarningMs;
    return {
      token,
      fingerprint: fingerprint(token) ?? '',
      scope: record.scope,
      lifetimeMs,
      obtainedMono: deadline - lifetimeMs,
      deadlineMono: deadline,
      usableUntilMono: deadline - safety,
      refreshAheadAtMono: refreshAheadAt,
      warnAtMono: warnAt,
      attentionAtMono: Math.min(refreshAheadAt, warnAt),
      replacementFailed: false,
      nearExpiryWarned: false,
    };
  }

  private install(active: ActiveToken): void {
    this.current = active;
    this.lastToken = active.token;
  }

  /** Remembers a rejected token so it is never adopted back from a store. */
  private remember(token: string): void {
    if (this.rejected.includes(token)) return;
    this.rejected.push(token);
    if (this.rejected.length > MAX_REMEMBERED_REJECTIONS) this.rejected.shift();
  }

  private state(mono: number): CacheState {
    const cur = this.current;
    const usable = cur !== undefined && mono < cur.usableUntilMono;
    if (this.reauthError !== undefined) return 'reauthorization_required';
    if (this.inflight !== undefined) return usable ? 'refreshing_ahead' : 'refreshing';
    if (usable) return 'valid';
    if (cur !== undefined) return 'expired';
    if (this.lastRefreshFailed) return 'error';
    return 'empty';
  }

  private health(): StoreHealth {
    let own: StoreHealth = { state: 'ok' };
    try {
      own = this.store.health?.() ?? own;
    } catch {
      own = { state: 'degraded', reason: 'health check failed' };
    }
    if (this.storeTrouble !== undefined) {
      if (own.state === 'degraded') this.storeTroubleSeen = true;
      // A store that reconnects by itself (Redis) is healthy again before this cache's next call to it.
      else if (this.storeTroubleSeen) this.storeOk();
      else return { state: 'degraded', reason: this.storeTrouble };
    }
    return own;
  }

  private storeOk(): void {
    if (this.storeTrouble === undefined) return;
    this.storeTrouble = undefined;
    this.storeTroubleSeen = false;
    this.logger.info({ cache: this.name, store: this.store.kind }, 'token store recovered');
  }

  private storeFailed(op: string, err: unknown): void {
    const reason = `${op} failed: ${this.redact(describe(err))}`;
    this.metrics.error(`store ${reason}`, this.clock.now());
    try {
      if (this.store.health?.().state === 'degraded') this.storeTroubleSeen = true;
    } catch {
      // health() is advisory
    }
    if (this.storeTrouble !== undefined) {
      this.storeTrouble = reason;
      return;
    }
    this.storeTrouble = reason;
    this.logger.warn(
      { cache: this.name, store: this.store.kind, op, err: reason },
      'token store unavailable; degraded to this process',
    );
  }

  /** Replaces any secret this cache knows with its fingerprint. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [this.current?.token, this.lastToken, this.refreshToken, this.seedRefreshToken]) {
      if (secret && secret.length >= 8 && out.includes(secret))
        out = out.split(secret).join(`[${fingerprint(secret)}]`);
    }
    return out;
  }

  private remainingS(active: ActiveToken): number {
    return Math.round((active.deadlineMono - this.clock.monotonic()) / 1000);
  }

  private emitSafely<K extends keyof TokenCacheEvents>(event: K, ...args: TokenCacheEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: TokenCacheEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ cache: this.name, event, err: describe(err) }, 'token cache event listener threw');
    }
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

function defaultIsRetryable(error: unknown): boolean {
  if (error instanceof RetryableRefreshError) return true;
  if (error instanceof TokenError) return false;
  return true;
}

function checkResult(result: RefreshResult): RefreshResult {
  if (
    result === null ||
    typeof result !== 'object' ||
    typeof result.accessToken !== 'string' ||
    result.accessToken.length === 0 ||
    typeof result.expiresIn !== 'number' ||
    !Number.isFinite(result.expiresIn) ||
    result.expiresIn <= 0
  ) {
    throw new RetryableRefreshError('refresh function returned no access token or no positive expiresIn');
  }
  if (
    result.refreshToken !== undefined &&
    (typeof result.refreshToken !== 'string' || !result.refreshToken)
  ) {
    throw new RetryableRefreshError('refresh function returned an empty refresh token');
  }
  return result;
}

function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function closedError(): TokenError {
  return new TokenError('token cache closed');
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new RangeError(`TokenCache: ${name} must be a non-negative number`);
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new RangeError(`TokenCache: ${name} must be a positive number`);
  return value;
}
