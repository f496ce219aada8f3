import { EventEmitter } from 'node:events';
import { type ActiveToken, reconcileClocks, toActiveToken } from './active-token.js';
import { BoundedStore } from './bounded-store.js';
import {
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  StoreReadError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
import type { TokenCacheEvents } from './events.js';
import { fingerprint } from './fingerprint.js';
import { FleetRefresh } from './fleet-refresh.js';
import { LoginWatch } from './login-watch.js';
import { CacheMetrics } from './metrics.js';
import { resolveOptions, type TokenCacheOptions, type TokenCacheSettings } from './options.js';
import { RefreshGate } from './refresh-gate.js';
import { checkResult, decideRetry, refreshAheadPause } from './retry-policy.js';
import { scrubError } from './scrub-error.js';
import { buildSnapshot, type TokenCacheSnapshot } from './snapshot.js';
import { StoreHealthTracker } from './store-health.js';
import { StoreSync, type WriteOnTop } from './store-sync.js';
import type { CacheState, Clock, Logger, RefreshResult, TokenProvider, TokenRecord } from './types.js';

// Callers inside the project import these types from here as well as from the package entry.
export type * from './events.js';
export type { TokenCacheOptions } from './options.js';
export type { TokenCacheSnapshot } from './snapshot.js';

type RefreshMode = 'foreground' | 'background' | 'forced';

/** Wall time running off from monotonic time by this much is a step or a suspend: look closer. */
const CLOCK_SKEW_MS = 100;
/** Error text in logs and status is cut to this length, after redaction. */
const MAX_ERROR_TEXT = 300;
/** Pauses between attempts to save a write that failed: 1 s doubling up to this. */
const MAX_RESAVE_PAUSE_MS = 30_000;

/**
 * A single-flight OAuth2 access-token cache with refresh-ahead, retries, versioned (compare-and-
 * set) persistence and optional fleet-wide coordination through a shared store. The parts:
 * `StoreSync` (the record and its versioned writes), `FleetRefresh` (the fleet lock),
 * `RefreshGate` (failures and gates), `retry-policy` (what a failure means).
 */
export class TokenCache extends EventEmitter<TokenCacheEvents> implements TokenProvider {
  readonly name: string;
  private readonly settings: TokenCacheSettings;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly store: BoundedStore;
  private readonly sync: StoreSync;
  private readonly metrics = new CacheMetrics();
  private readonly storeHealth: StoreHealthTracker;
  private readonly gate = new RefreshGate();
  private readonly fleet: FleetRefresh;
  private readonly loginWatch: LoginWatch;
  private readonly closeController = new AbortController();
  private readonly closeSignal = this.closeController.signal;
  private inflight: Promise<ActiveToken> | undefined;
  /** The loop saving a write the store missed, while it runs. */
  private resaving: Promise<void> | undefined;
  private loaded = false;
  private loading: Promise<void> | undefined;
  private closed = false;
  private unsubscribe: (() => void) | undefined;

  /** Creates a cache; nothing is read from the store until `load()` or the first call. */
  constructor(options: TokenCacheOptions) {
    super();
    this.settings = resolveOptions(options);
    const { store, clock, logger } = this.settings;
    if (store.acquireLock !== undefined && store.versioned !== true)
      throw new TypeError(
        `TokenCache: the shared store '${store.kind}' has no versioned saves (versioned: true, save(record, expectedVersion)); a fleet needs them so no process overwrites another's newer record — see "The store contract" in the README`,
      );
    this.name = this.settings.name;
    this.clock = clock;
    this.logger = logger;
    this.store = new BoundedStore(store, clock, this.settings.storeTimeoutMs);
    this.storeHealth = new StoreHealthTracker(store, logger, this.name);
    this.sync = new StoreSync(this.syncHost(), this.store, clock);
    this.fleet = new FleetRefresh({
      name: this.name,
      settings: this.settings,
      clock,
      logger,
      store: this.store,
      sync: this.sync,
      closeSignal: this.closeSignal,
      storeOk: () => this.storeOk(),
      storeFailed: (op, err) => this.storeFailed(op, err),
      loadRecord: () => this.loadRecord(),
    });
    this.loginWatch = new LoginWatch(this.settings, this.name);
  }

  /** Returns a usable access token, from the cache when possible, else from one shared refresh. */
  async getAccessToken(): Promise<string> {
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    const now = this.clock.monotonic();
    const cur = this.sync.current;
    if (
      cur !== undefined &&
      now < cur.usableUntilMono &&
      (Math.abs(this.clock.now() - cur.refWall - (now - cur.refMono)) < CLOCK_SKEW_MS ||
        reconcileClocks(cur, this.clock, now, this.logger, this.name))
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
   * The store is told too, in the background. Throws after `close()`.
   */
  invalidate(rejectedToken?: string): void {
    if (this.closed) throw closedError();
    const cur = this.sync.current;
    const target = rejectedToken ?? cur?.token;
    if (target === undefined) return;
    this.sync.remember(target);
    if (cur !== undefined && cur.token === target) {
      this.sync.current = undefined;
      this.logger.debug({ cache: this.name, fingerprint: cur.fingerprint }, 'access token invalidated');
    }
    this.store.invalidate(target).then(
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
    const blocked = this.gate.blockedError(this.clock.monotonic());
    if (blocked !== undefined) throw blocked;
    return (await this.startRefresh('forced')).token;
  }

  /**
   * Installs a refresh token obtained by a login: a new grant (authorized now), saved as a
   * versioned write that goes on top of whatever the store holds; leaves reauthorization_required
   * and drops the old access token (it may belong to another account). A refresh of the old grant
   * still in flight here or elsewhere discards its result.
   */
  async setRefreshToken(refreshToken: string, opts: { seedFingerprint?: string } = {}): Promise<void> {
    if (!refreshToken) throw new TypeError('setRefreshToken: refresh token must be a non-empty string');
    if (this.closed) throw closedError();
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    this.sync.startGrant(refreshToken, { ...opts, estimated: false });
    this.gate.reset();
    this.logger.info(
      { cache: this.name, refresh_token: fingerprint(refreshToken) },
      'refresh token set; access token will be fetched on next use',
    );
    const mine = this.sync.grant.authorizedAt ?? 0;
    // A login goes on top of anything but a login made at the same time or later (the first saved
    // wins a tie), or itself (saved already, maybe rotated since).
    await this.save(
      this.sync.record(),
      (stored) =>
        !this.sync.sameGrant(stored) &&
        !((stored.authorizedAt ?? 0) >= mine && !stored.authorizedAtEstimated),
    );
  }

  /** Reads the store once (later calls share the first read) and subscribes to its changes. */
  load(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
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
    const cur = this.sync.current;
    if (cur !== undefined && Math.abs(wallMs - cur.refWall - (monoMs - cur.refMono)) >= CLOCK_SKEW_MS)
      reconcileClocks(cur, this.clock, monoMs, this.logger, this.name);
    const g = this.sync.grant;
    return buildSnapshot({
      name: this.name,
      state: this.state(monoMs),
      store: { kind: this.store.store.kind, health: this.storeHealth.health() },
      metrics: this.metrics,
      token: cur,
      refreshToken: g.refreshToken,
      login: {
        authorizedAt: g.authorizedAt,
        estimated: g.authorizedAtEstimated,
        lifetimeMs: this.settings.loginLifetimeMs,
      },
      monoMs,
      wallMs,
    });
  }

  /**
   * Stops the cache: aborts a running refresh (its waiters get an error), unsubscribes from the
   * store and rejects every later call. A store passed in is not closed (its owner closes it).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.closeController.abort(closedError());
    await this.inflight?.catch(() => {});
    await this.resaving;
  }

  // ---- internals -------------------------------------------------------------------------

  /** A store call succeeded. */
  private storeOk(): void {
    this.storeHealth.ok();
    if (this.sync.unsaved !== undefined) this.resaveSoon();
  }

  /** Counts a failed store call and marks the store degraded until a call succeeds again. */
  private storeFailed(op: string, err: unknown): void {
    const reason = `${op} failed: ${this.describe(err)}`;
    this.metrics.error(`store ${reason}`, this.clock.now());
    this.storeHealth.failed(op, reason);
    if (err instanceof StoreReadError) this.storeHealth.unreadableRecord(reason);
  }

  /** Reads the store; undefined when empty or when the read failed (counted as a store failure). */
  private async loadRecord(): Promise<TokenRecord | undefined> {
    try {
      const record = await this.store.load();
      this.storeOk();
      this.storeHealth.readable();
      return record;
    } catch (err) {
      this.storeFailed('load', err);
      return undefined;
    }
  }

  private syncHost() {
    return {
      name: this.settings.name,
      settings: this.settings,
      storeOk: () => this.storeOk(),
      storeRead: () => this.storeHealth.readable(),
      storeFailed: (op: string, err: unknown) => this.storeFailed(op, err),
      refreshTokenAdopted: (newGrant: boolean) => {
        if (newGrant) this.gate.reset();
        else if (this.gate.reauthError !== undefined) {
          this.gate.reauthError = undefined;
          this.gate.notBeforeMono = 0;
          this.logger.info({ cache: this.name }, 'another process set a new refresh token');
        }
      },
      adopted: (active: ActiveToken, record: TokenRecord) => {
        this.logger.debug(
          { cache: this.name, fingerprint: active.fingerprint, expires_in_s: this.remainingS(active) },
          'adopted access token from store',
        );
        this.emitSafely('refreshed', {
          cache: this.name,
          fingerprint: active.fingerprint,
          expiresAt: new Date(record.expiresAt ?? 0).toISOString(),
          source: 'store',
          rotated: false,
          durationMs: 0,
        });
      },
      debug: (fields: object, msg: string) => this.logger.debug({ cache: this.name, ...fields }, msg),
    };
  }

  private async loadOnce(): Promise<void> {
    const store = this.store.store;
    if (store.onChange) {
      try {
        const off = store.onChange((record, info) => {
          if (!this.closed) this.sync.onStoreChange(record, info);
        });
        if (this.closed) off();
        else this.unsubscribe = off;
      } catch (err) {
        this.storeFailed('subscribe', err);
      }
    }
    let record = await this.loadRecord();
    const seed = this.settings.seedRefreshToken;
    const seedFp = fingerprint(seed);
    const needsSeed = (r: TokenRecord | undefined) =>
      seed !== undefined && (!r?.refreshToken || r.seedFingerprint !== seedFp);
    if (seed !== undefined && needsSeed(record)) {
      // In a fleet another process may have seeded (and rotated) since our read: decide under the
      // refresh lock, on a fresh read; the versioned save is the final word.
      const lock = await this.fleet.seedLock();
      try {
        if (this.store.shared) record = await this.loadRecord();
        if (record !== undefined) this.sync.adoptRecord(record);
        if (needsSeed(record)) {
          // A new (or first) seed replaces whatever grant the store held; its login time is unknown.
          this.sync.startGrant(seed, { seedFingerprint: seedFp, estimated: true });
          this.loaded = true;
          this.logger.info(
            { cache: this.name, refresh_token: seedFp },
            'using the configured refresh token (store held none from this seed)',
          );
          // Based on the version read: a peer that seeded since makes this save stale, not lost.
          await this.save(this.sync.record(), needsSeed, true, record?.version ?? 0);
          return;
        }
      } finally {
        await lock?.release().catch((err: unknown) => this.storeFailed('unlock', err));
      }
    }
    if (record !== undefined && this.sync.generation === 0) {
      this.sync.adoptRecord(record);
      const g = this.sync.grant;
      if (g.refreshToken !== undefined && g.authorizedAt === undefined) {
        // A record from before logins were dated: count from now, as an estimate.
        g.authorizedAt = this.clock.now();
        g.authorizedAtEstimated = true;
      }
      const candidate = this.sync.adoptIfBetter(record, false);
      if (candidate !== undefined)
        this.logger.info(
          { cache: this.name, fingerprint: candidate.fingerprint, expires_in_s: this.remainingS(candidate) },
          'reusing stored access token',
        );
    }
    this.loaded = true;
    this.loginWatch.check(this.sync.grant, this.clock.now(), this.logger);
  }

  /** The slow part of a hit: start a refresh-ahead, warn about a near expiry. */
  private tend(cur: ActiveToken, now: number): void {
    if (
      now >= cur.refreshAheadAtMono &&
      this.inflight === undefined &&
      !this.closed &&
      this.gate.aheadAllowed(now)
    )
      this.startRefresh('background').catch(() => {
        // Counted and logged in runRefresh; a background failure fails no caller.
      });
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

  private async waitForRefresh(now: number): Promise<string> {
    if (this.inflight !== undefined) {
      this.metrics.miss(true);
      return (await this.inflight).token;
    }
    this.metrics.miss(false);
    const blocked = this.gate.blockedError(now);
    if (blocked !== undefined) throw blocked;
    return (await this.startRefresh('foreground')).token;
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
    const replacing = this.sync.current;
    this.metrics.refreshStarted(mode === 'background');
    try {
      const token = await this.fleet.obtain(() => this.refreshUpstream());
      this.gate.reset();
      this.loginWatch.check(this.sync.grant, this.clock.now(), this.logger);
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
    const cur = this.sync.current;
    const stillUsable = cur !== undefined && now < cur.usableUntilMono;
    if (replacing !== undefined) replacing.replacementFailed = true;
    const attempts = err instanceof RefreshFailure ? err.attempts : 0;
    // Callers get this error (or wrap it): nothing a refresh function put into it may leak a token.
    const cause = scrubError(err instanceof RefreshFailure ? err.cause : err, (text) => this.redact(text));
    const message = this.describe(cause);
    const event = { cache: this.name, error: message, background: stillUsable, attempts };
    if (cause instanceof ReauthorizationRequiredError) {
      this.gate.reauthError = cause;
      this.metrics.error(message, this.clock.now());
      this.logger.error(
        { cache: this.name, err: message },
        'refresh token rejected: re-authorization required',
      );
      this.emitSafely('reauthorization_required', { cache: this.name, error: message });
      this.emitSafely('refresh_failed', event);
      return cause;
    }
    const gated = this.gate.isShut(now) && !this.gate.permanent;
    const error =
      cause instanceof TokenUnavailableError
        ? cause
        : new TokenUnavailableError(
            `could not refresh the access token after ${attempts} attempt(s): ${message}`,
            {
              cause,
              ...(gated ? { retryAfterMs: this.gate.notBeforeMono - now } : {}),
            },
          );
    if (this.gate.isShut(now)) this.gate.gateError = error;
    const streak = this.gate.recordFailure(mode === 'background', stillUsable, now, (n) =>
      refreshAheadPause(n, this.settings),
    );
    const fields = {
      cache: this.name,
      err: message,
      attempts,
      background: stillUsable,
      consecutive_failures: streak,
    };
    // An outage should not flood the log: full level on failures 1, 2, 4, 8, ... of a streak.
    if ((streak & (streak - 1)) !== 0) this.logger.debug(fields, 'token refresh failed again');
    else if (stillUsable) this.logger.warn(fields, 'refresh-ahead failed; still serving the current token');
    else this.logger.error(fields, 'token refresh failed; no usable token');
    this.emitSafely('refresh_failed', event);
    return error;
  }

  /** Calls the refresh function with retries, then persists and installs the result. */
  private async refreshUpstream(): Promise<ActiveToken> {
    let attempt = 0;
    for (;;) {
      attempt++;
      const generation = this.sync.generation;
      const spent = this.sync.grant.refreshToken;
      const base = this.sync.version;
      const startMono = this.clock.monotonic();
      const startWall = this.clock.now();
      this.metrics.attempt();
      let result: RefreshResult;
      try {
        result = checkResult(await this.attemptOnce(attempt, spent));
      } catch (err) {
        if (this.closed) throw closedError();
        if (generation !== this.sync.generation) {
          attempt = 0; // a login replaced the grant mid-attempt: start over with it
          continue;
        }
        this.metrics.failure(this.describe(err), this.clock.now());
        const decision = decideRetry(err, attempt, this.settings);
        if (!decision.retry) {
          if (decision.gateMs !== undefined)
            this.gate.shut(this.clock.monotonic() + decision.gateMs, decision.permanent === true);
          throw new RefreshFailure(err, attempt);
        }
        const delay = decision.delayMs;
        this.logger.debug(
          { cache: this.name, attempt, err: this.describe(err), retry_in_ms: Math.round(delay) },
          'token refresh attempt failed; retrying',
        );
        if (delay > 0) await this.clock.sleep(delay, this.closeSignal);
        continue;
      }
      if (generation === this.sync.generation) {
        this.metrics.success();
        const active = await this.commit(result, { spent, generation, base, startMono, startWall });
        if (active !== undefined) return active;
      }
      if (this.closed) throw closedError();
      attempt = 0; // the grant changed (a login here or elsewhere): this result is void
    }
  }

  /** One upstream request with `refreshToken`, aborted after attemptTimeoutMs or on close. */
  private async attemptOnce(attempt: number, refreshToken: string | undefined): Promise<RefreshResult> {
    const controller = new AbortController();
    const onClose = () => controller.abort(closedError());
    this.closeSignal.addEventListener('abort', onClose, { once: true });
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
        this.settings.refresh({ refreshToken, signal: controller.signal, attempt }),
      );
      return await Promise.race([request, timeout]);
    } finally {
      timer.abort();
      this.closeSignal.removeEventListener('abort', onClose);
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
    if (rotated) this.sync.grant.refreshToken = result.refreshToken;
    const times = {
      expiresAt: startWall + result.expiresIn * 1000,
      obtainedAt: startWall,
      expiresIn: result.expiresIn,
      scope: result.scope,
    };
    const record: TokenRecord = { accessToken: result.accessToken, ...times, ...this.sync.record() };
    // Deadlines count from the request's start: the provider's clock started no earlier.
    const active = toActiveToken(record, startMono, startWall, this.settings);
    if (active === undefined) throw new TokenUnavailableError('refresh returned an unusable token');
    // On top of the store's record only while it is this grant, still holds the refresh token
    // spent, and holds no token obtained later (a holder whose lock lapsed is fenced off).
    const onTop: WriteOnTop = (stored) =>
      this.sync.sameGrant(stored) &&
      (stored.refreshToken === spent || stored.refreshToken === record.refreshToken) &&
      !(stored.accessToken !== undefined && (stored.obtainedAt ?? 0) > startWall);
    const outcome = await this.save(record, onTop, rotated, from.base);
    if (generation !== this.sync.generation) return undefined;
    if (outcome === 'superseded') {
      // Another holder saved this grant meanwhile (our lock had lapsed): its record won. Serve its
      // token when usable; ours is valid for the same grant, so serve it unsaved otherwise.
      const theirs = this.sync.current;
      if (theirs !== undefined && this.clock.monotonic() < theirs.usableUntilMono) return theirs;
    }
    this.sync.install(active);
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
  private async save(record: TokenRecord, onTop: WriteOnTop, refreshTokenChanged = true, base?: number) {
    // A write still owed to the store (a login not saved yet) is part of this one: it goes on top
    // wherever that one would have.
    const owed = this.sync.unsaved;
    const rule: WriteOnTop = owed === undefined ? onTop : (stored) => onTop(stored) || owed.onTop(stored);
    const outcome = await this.sync.write(record, rule, base);
    if (outcome === 'failed' && (refreshTokenChanged || owed !== undefined)) {
      this.sync.unsaved = { record, onTop: rule };
      this.logger.error(
        { cache: this.name, refresh_token: fingerprint(this.sync.grant.refreshToken) },
        'could not persist the refresh token; it is kept in memory and saved again once the store recovers',
      );
      this.resaveSoon();
    }
    return outcome;
  }

  /** Retries an unsaved write with backoff until it lands, is superseded, or the cache closes. */
  private resaveSoon(): void {
    if (this.resaving !== undefined || this.closed) return;
    this.resaving = (async () => {
      try {
        for (
          let pause = 1000;
          this.sync.unsaved !== undefined;
          pause = Math.min(pause * 2, MAX_RESAVE_PAUSE_MS)
        ) {
          await this.clock.sleep(pause, this.closeSignal);
          const unsaved = this.sync.unsaved;
          if (unsaved === undefined || this.inflight !== undefined) continue;
          if ((await this.sync.write(unsaved.record, unsaved.onTop)) === 'failed') continue;
          if (this.sync.unsaved === unsaved) this.sync.unsaved = undefined;
          this.logger.info({ cache: this.name }, 'saved the refresh token that the store had missed');
        }
      } catch {
        // closed while pausing
      } finally {
        this.resaving = undefined;
      }
    })();
  }

  private state(mono: number): CacheState {
    const cur = this.sync.current;
    const usable = cur !== undefined && mono < cur.usableUntilMono;
    if (this.gate.reauthError !== undefined) return 'reauthorization_required';
    if (this.inflight !== undefined) return usable ? 'refreshing_ahead' : 'refreshing';
    if (usable) return 'valid';
    if (cur !== undefined) return 'expired';
    if (this.gate.lastRefreshFailed) return 'error';
    return 'empty';
  }

  /** An error as text for logs and status: secrets redacted first, then cut to length. */
  private describe(err: unknown): string {
    const text = this.redact(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
  }

  /** Replaces any secret this cache knows with its fingerprint. */
  private redact(text: string): string {
    let out = text;
    for (const secret of [
      this.sync.current?.token,
      this.sync.lastToken,
      this.sync.grant.refreshToken,
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
      this.logger.error(
        { cache: this.name, event, err: this.describe(err) },
        'token cache event listener threw',
      );
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

function closedError(): TokenError {
  return new TokenError('token cache closed');
}
