import { EventEmitter } from 'node:events';
import { type ActiveToken, ageActiveToken, toActiveToken } from './active-token.js';
import {
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
import type { TokenCacheEvents } from './events.js';
import { fingerprint } from './fingerprint.js';
import { CacheMetrics } from './metrics.js';
import { resolveOptions, type TokenCacheOptions, type TokenCacheSettings } from './options.js';
import { checkResult, decideRetry, refreshAheadPause, worstCaseRefreshMs } from './retry-policy.js';
import { scrubError } from './scrub-error.js';
import { buildSnapshot, type TokenCacheSnapshot } from './snapshot.js';
import { StoreHealthTracker } from './store-health.js';
import type {
  CacheState,
  Clock,
  Logger,
  RefreshResult,
  StoreChangeInfo,
  StoreLock,
  TokenProvider,
  TokenRecord,
  TokenStore,
} from './types.js';

// Callers inside the project import these types from here as well as from the package entry.
export type * from './events.js';
export type { TokenCacheOptions } from './options.js';
export type { TokenCacheSnapshot } from './snapshot.js';

type RefreshMode = 'foreground' | 'background' | 'forced';

const MAX_REMEMBERED_REJECTIONS = 8;
/** Wall time running off from monotonic time by this much is a step or a suspend: look closer. */
const CLOCK_SKEW_MS = 100;
/** Boot time running ahead of monotonic time by more than this (uptime has 10 ms steps) means the system slept. */
const SUSPEND_NOTICE_MS = 20;

/**
 * A single-flight OAuth2 access-token cache with refresh-ahead, retries, rotation-safe
 * persistence and optional fleet-wide coordination through a shared store.
 */
export class TokenCache extends EventEmitter<TokenCacheEvents> implements TokenProvider {
  readonly name: string;
  private readonly settings: TokenCacheSettings;
  private readonly store: TokenStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics = new CacheMetrics();
  private readonly storeHealth: StoreHealthTracker;
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
  private loaded = false;
  private loading: Promise<void> | undefined;
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  /** Creates a cache; nothing is read from the store until `load()` or the first call. */
  constructor(options: TokenCacheOptions) {
    super();
    this.settings = resolveOptions(options);
    this.name = this.settings.name;
    this.store = this.settings.store;
    this.clock = this.settings.clock;
    this.logger = this.settings.logger;
    this.storeHealth = new StoreHealthTracker(this.store, this.logger, this.name);
  }

  /** Returns a usable access token, from the cache when possible, else from one shared refresh. */
  async getAccessToken(): Promise<string> {
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    const now = this.clock.monotonic();
    const cur = this.current;
    if (
      cur !== undefined &&
      now < cur.usableUntilMono &&
      (Math.abs(this.clock.now() - cur.refWall - (now - cur.refMono)) < CLOCK_SKEW_MS ||
        this.reconcileClocks(cur, now))
    ) {
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
        () => this.storeHealth.ok(),
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

  /**
   * Disconnect: forgets the refresh token and the access token, saves a record without them and
   * asks for a login (state `reauthorization_required`) until `setRefreshToken` brings a new one.
   */
  async forgetRefreshToken(): Promise<void> {
    if (!this.loaded) await this.load();
    this.generation++;
    this.refreshToken = undefined;
    if (this.current !== undefined) {
      this.remember(this.current.token);
      this.current = undefined;
    }
    this.reauthError = new ReauthorizationRequiredError(
      'Spotify was disconnected: log in to connect an account (spotipi login or /login)',
    );
    this.logger.info({ cache: this.name }, 'refresh token forgotten (disconnected)');
    await this.persist(
      this.seedFingerprint === undefined ? {} : { seedFingerprint: this.seedFingerprint },
      true,
    );
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
    const monoMs = this.clock.monotonic();
    const wallMs = this.clock.now();
    const cur = this.current;
    if (cur !== undefined && Math.abs(wallMs - cur.refWall - (monoMs - cur.refMono)) >= CLOCK_SKEW_MS)
      this.reconcileClocks(cur, monoMs);
    return buildSnapshot({
      name: this.name,
      state: this.state(monoMs),
      store: { kind: this.store.kind, health: this.storeHealth.health() },
      metrics: this.metrics,
      token: this.current,
      refreshToken: this.refreshToken,
      monoMs,
      wallMs,
    });
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
    let record = await this.loadRecord();
    const seedFp = fingerprint(this.settings.seedRefreshToken);
    const needsSeed = (r: TokenRecord | undefined) =>
      this.settings.seedRefreshToken !== undefined && (!r?.refreshToken || r.seedFingerprint !== seedFp);
    if (needsSeed(record)) {
      // In a fleet another process may have seeded (and rotated) since our read: decide under the
      // refresh lock, on a fresh read, so a dead seed never overwrites a rotated refresh token.
      const lock = await this.seedLock();
      try {
        if (this.store.acquireLock !== undefined) {
          try {
            record = await this.store.load();
            this.storeHealth.ok();
          } catch (err) {
            this.storeFailed('load', err);
          }
        }
        if (needsSeed(record)) {
          // A new (or first) seed: it replaces whatever grant the store held.
          this.refreshToken = this.settings.seedRefreshToken;
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
      const candidate = toActiveToken(record, this.clock.monotonic(), this.clock.now(), this.settings);
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
        const lock = await store.acquireLock(this.settings.lockTtlMs);
        this.storeHealth.ok();
        if (lock !== undefined || store.waitForChange === undefined) return lock;
        await store.waitForChange(undefined, this.settings.lockWaitMs);
      }
    } catch (err) {
      this.storeFailed('lock', err);
    }
    return undefined;
  }

  /**
   * Wall time ran off from monotonic time: a wall-clock step, or a suspend (boot time ran on while
   * monotonic time stood still). After a suspend the token aged by the time slept, so its
   * deadlines move earlier; after a step nothing changes. Returns whether the token is still usable.
   */
  private reconcileClocks(cur: ActiveToken, mono: number): boolean {
    const boot = this.clock.sinceBoot?.();
    if (boot !== undefined && cur.refBoot !== undefined) {
      const sleptMs = boot - cur.refBoot - (mono - cur.refMono);
      if (sleptMs > SUSPEND_NOTICE_MS) {
        ageActiveToken(cur, sleptMs);
        this.logger.info(
          { cache: this.name, fingerprint: cur.fingerprint, slept_s: Math.round(sleptMs / 1000) },
          'the system was suspended; the access token aged meanwhile',
        );
      }
    }
    cur.refMono = mono;
    cur.refWall = this.clock.now();
    cur.refBoot = boot;
    return mono < cur.usableUntilMono;
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
    // Callers get this error (or wrap it): nothing a refresh function put into it may leak a token.
    const cause = scrubError(err instanceof RefreshFailure ? err.cause : err, (text) => this.redact(text));
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
      this.nextAheadMono = now + refreshAheadPause(this.aheadFailures, this.settings);
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
    // A live holder renews its lock for as long as its refresh may take; past that (plus the TTL
    // a dead holder's lock needs to expire) something is wrong, and this process refreshes alone.
    const deadline =
      this.clock.monotonic() +
      worstCaseRefreshMs(this.settings) +
      this.settings.lockTtlMs +
      this.settings.lockWaitMs;
    const replacing = this.current?.token ?? this.lastToken;
    let seen = this.lastToken;
    for (;;) {
      if (this.closed) throw closedError();
      // A change notification may have brought another process's token while we waited.
      const arrived = this.freshReplacement(replacing);
      if (arrived !== undefined) return arrived;
      let lock: StoreLock | undefined;
      try {
        lock = await store.acquireLock(this.settings.lockTtlMs);
        this.storeHealth.ok();
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
        record = await store.waitForChange(seen, Math.min(this.settings.lockWaitMs, deadline - now));
        this.storeHealth.ok();
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
    const keepAlive = new AbortController();
    void this.keepLock(lock, keepAlive.signal);
    try {
      const record = await this.loadRecord();
      if (record !== undefined) {
        this.adoptRefreshToken(record);
        const adopted = this.adoptIfBetter(record, true) ?? this.freshReplacement(replacing);
        if (adopted !== undefined) return adopted;
      }
      return await this.refreshUpstream();
    } finally {
      keepAlive.abort();
      try {
        await lock.release();
      } catch (err) {
        this.storeFailed('unlock', err);
      }
    }
  }

  /**
   * Renews the refresh lock every third of its TTL until `signal` fires, so a refresh slower than
   * the TTL (timeouts, retries, a Retry-After) keeps the fleet from starting a second one, while a
   * holder that died still frees the lock within one TTL.
   */
  private async keepLock(lock: StoreLock, signal: AbortSignal): Promise<void> {
    if (lock.extend === undefined) return;
    const ttl = this.settings.lockTtlMs;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(ttl / 3, signal);
      } catch {
        return; // the refresh has finished
      }
      try {
        if (await lock.extend(ttl)) continue;
        this.logger.warn(
          { cache: this.name, lock_ttl_ms: ttl },
          'refresh lock expired before this refresh finished; another process may refresh too',
        );
        return;
      } catch (err) {
        this.storeFailed('lock', err); // the lock may lapse; the refresh goes on regardless
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
          // Disconnected mid-attempt: nothing to start over with.
          if (this.refreshToken === undefined && this.reauthError) throw this.reauthError;
          attempt = 0; // a login replaced the grant mid-attempt: start over with it
          continue;
        }
        this.metrics.failure(this.redact(describe(err)), this.clock.now());
        const decision = decideRetry(err, attempt, this.settings);
        if (!decision.retry) {
          if (decision.gateMs !== undefined) this.notBeforeMono = this.clock.monotonic() + decision.gateMs;
          throw new RefreshFailure(err, attempt);
        }
        const delay = decision.delayMs;
        this.logger.debug(
          { cache: this.name, attempt, err: this.redact(describe(err)), retry_in_ms: Math.round(delay) },
          'token refresh attempt failed; retrying',
        );
        if (delay > 0) await this.clock.sleep(delay, this.closeController.signal);
        continue;
      }
      if (generation !== this.generation) {
        if (this.refreshToken === undefined && this.reauthError) throw this.reauthError;
        attempt = 0;
        continue;
      }
      this.metrics.success();
      return this.commit(result, startMono, startWall);
    }
  }

  /** One upstream request, aborted after attemptTimeoutMs or on close. */
  private async attemptOnce(attempt: number): Promise<RefreshResult> {
    const controller = new AbortController();
    const onClose = () => controller.abort(closedError());
    this.closeController.signal.addEventListener('abort', onClose, { once: true });
    const timer = new AbortController();
    const timeoutMs = this.settings.attemptTimeoutMs;
    const timeout = this.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        const err = new RefreshTimeoutError(`refresh attempt timed out after ${timeoutMs} ms`);
        controller.abort(err);
        throw err;
      },
      () => new Promise<never>(() => {}),
    );
    try {
      const request = Promise.resolve().then(() =>
        this.settings.refresh({ refreshToken: this.refreshToken, signal: controller.signal, attempt }),
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
    const active = toActiveToken(record, startMono, startWall, this.settings);
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

  /** Reads the store; a failure marks it degraded and reads as empty. */
  private async loadRecord(): Promise<TokenRecord | undefined> {
    try {
      const record = await this.store.load();
      this.storeHealth.ok();
      return record;
    } catch (err) {
      this.storeFailed('load', err);
      return undefined;
    }
  }

  /** Saves a record; on failure keeps serving from memory and marks the store degraded. */
  private async persist(record: TokenRecord, refreshTokenChanged: boolean): Promise<void> {
    try {
      await this.store.save(record);
      this.refreshTokenUnsaved = false;
      this.storeHealth.ok();
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
    const candidate = toActiveToken(record, mono, this.clock.now(), this.settings);
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

  private install(active: ActiveToken): void {
    active.refMono = this.clock.monotonic();
    active.refWall = this.clock.now();
    active.refBoot = this.clock.sinceBoot?.();
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

  /** Counts a failed store call and marks the store degraded until a call succeeds again. */
  private storeFailed(op: string, err: unknown): void {
    const reason = `${op} failed: ${this.redact(describe(err))}`;
    this.metrics.error(`store ${reason}`, this.clock.now());
    this.storeHealth.failed(op, reason);
  }

  /** Replaces any secret this cache knows with its fingerprint. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [
      this.current?.token,
      this.lastToken,
      this.refreshToken,
      this.settings.seedRefreshToken,
    ]) {
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

function describe(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function closedError(): TokenError {
  return new TokenError('token cache closed');
}
