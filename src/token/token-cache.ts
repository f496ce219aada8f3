import { EventEmitter } from 'node:events';
import { type ActiveToken, reconcileClocks } from './active-token.js';
import { BoundedStore } from './bounded-store.js';
import { ReauthorizationRequiredError, StoreReadError } from './errors.js';
import type { TokenCacheEvents } from './events.js';
import { fingerprint } from './fingerprint.js';
import { firstLoad } from './first-load.js';
import { FleetRefresh } from './fleet-refresh.js';
import { LoginWatch } from './login-watch.js';
import { CacheMetrics } from './metrics.js';
import { resolveOptions, type TokenCacheOptions, type TokenCacheSettings } from './options.js';
import { RefreshGate } from './refresh-gate.js';
import { closedError, type RefreshMode, RefreshRunner } from './refresh-runner.js';
import { Redactor } from './secret-text.js';
import { buildSnapshot, type TokenCacheSnapshot } from './snapshot.js';
import { StoreHealthTracker } from './store-health.js';
import { StoreSync } from './store-sync.js';
import type { CacheState, Clock, Logger, TokenProvider, TokenRecord } from './types.js';

// Callers inside the project import these types from here as well as from the package entry.
export type * from './events.js';
export type { TokenCacheOptions } from './options.js';
export type { TokenCacheSnapshot } from './snapshot.js';

/** Wall time running off from monotonic time by this much is a step or a suspend: look closer. */
const CLOCK_SKEW_MS = 100;

/**
 * A single-flight OAuth2 access-token cache with refresh-ahead, retries, versioned (compare-and-
 * set) persistence and optional fleet-wide coordination through a shared store. This class is the
 * single-flight façade; the parts: `RefreshRunner` (one refresh: attempts, save, failure),
 * `StoreSync` (the record, versioned writes, adoption of changes made elsewhere), `FleetRefresh`
 * (the fleet lock), `RefreshGate` (failures and gates), `retry-policy` (what a failure means).
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
  private readonly redactor: Redactor;
  private readonly runner: RefreshRunner;
  private readonly closeController = new AbortController();
  private readonly closeSignal = this.closeController.signal;
  private inflight: Promise<ActiveToken> | undefined;
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
    this.redactor = new Redactor(() => [
      this.sync.current?.token,
      this.sync.lastToken,
      this.sync.grant.refreshToken,
      this.settings.seedRefreshToken,
    ]);
    this.runner = new RefreshRunner({
      name: this.name,
      settings: this.settings,
      clock,
      logger,
      metrics: this.metrics,
      gate: this.gate,
      sync: this.sync,
      fleet: this.fleet,
      loginWatch: this.loginWatch,
      redactor: this.redactor,
      closeSignal: this.closeSignal,
      emit: (event, ...args) => this.emitSafely(event, ...args),
      isClosed: () => this.closed,
      isBusy: () => this.inflight !== undefined,
    });
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
    await this.runner.save(
      this.sync.record(),
      (stored: TokenRecord) =>
        !this.sync.sameGrant(stored) &&
        !((stored.authorizedAt ?? 0) >= mine && !stored.authorizedAtEstimated),
    );
  }

  /**
   * Disconnect: forgets the refresh token and the access token, saves a record without them (on
   * top of anything but a login made later) and asks for a login (state `reauthorization_required`)
   * until `setRefreshToken` brings a new one. A refresh in flight ends with that same answer.
   */
  async forgetRefreshToken(): Promise<void> {
    if (this.closed) throw closedError();
    if (!this.loaded) await this.load();
    if (this.closed) throw closedError();
    this.sync.endGrant();
    this.gate.reset();
    this.gate.reauthError = disconnectedError();
    this.logger.info({ cache: this.name }, 'refresh token forgotten (disconnected)');
    const at = this.clock.now();
    await this.runner.save(this.sync.record(), (stored: TokenRecord) => (stored.authorizedAt ?? 0) <= at);
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
    await this.runner.resaving;
  }

  // ---- internals -------------------------------------------------------------------------

  /** A store call succeeded. */
  private storeOk(): void {
    this.storeHealth.ok();
    if (this.sync.unsaved !== undefined) this.runner.resaveSoon();
  }

  /** Counts a failed store call and marks the store degraded until a call succeeds again. */
  private storeFailed(op: string, err: unknown): void {
    const reason = `${op} failed: ${this.redactor.describe(err)}`;
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
      grantEnded: () => {
        this.gate.reset();
        this.gate.reauthError = disconnectedError('on another SpotiPi server');
        this.logger.info({ cache: this.name }, 'another process disconnected the account');
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
    await firstLoad({
      name: this.name,
      settings: this.settings,
      clock: this.clock,
      logger: this.logger,
      sync: this.sync,
      fleet: this.fleet,
      shared: this.store.shared,
      loadRecord: () => this.loadRecord(),
      storeFailed: (op, err) => this.storeFailed(op, err),
      save: (record, onTop, changed, base) => this.runner.save(record, onTop, changed, base),
      markLoaded: () => {
        this.loaded = true;
      },
    });
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
    const flight: Promise<ActiveToken> = this.runner.run(mode).finally(() => {
      if (this.inflight === flight) this.inflight = undefined;
    });
    this.inflight = flight;
    return flight;
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

  private remainingS(active: ActiveToken): number {
    return Math.round((active.deadlineMono - this.clock.monotonic()) / 1000);
  }

  private emitSafely<K extends keyof TokenCacheEvents>(event: K, ...args: TokenCacheEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: TokenCacheEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error(
        { cache: this.name, event, err: this.redactor.describe(err) },
        'token cache event listener threw',
      );
    }
  }
}

/** The answer while disconnected: a login brings a new refresh token (`where`: another server). */
function disconnectedError(where?: string): ReauthorizationRequiredError {
  return new ReauthorizationRequiredError(
    `Spotify was disconnected${where ? ` ${where}` : ''}: log in to connect an account (spotipi login or /login)`,
  );
}
