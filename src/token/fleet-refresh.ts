import type { ActiveToken } from './active-token.js';
import type { BoundedStore } from './bounded-store.js';
import { TokenError } from './errors.js';
import type { TokenCacheSettings } from './options.js';
import { worstCaseRefreshMs } from './retry-policy.js';
import type { StoreSync } from './store-sync.js';
import type { Clock, Logger, StoreLock, TokenRecord } from './types.js';

/** What fleet coordination needs from its cache. */
export interface FleetHost {
  readonly name: string;
  readonly settings: TokenCacheSettings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly store: BoundedStore;
  readonly sync: StoreSync;
  readonly closeSignal: AbortSignal;
  storeOk(): void;
  storeFailed(op: string, err: unknown): void;
  /** Reads the store; undefined when empty or when the read failed (counted). */
  loadRecord(): Promise<TokenRecord | undefined>;
}

/** First pause after a failed lock call; doubles up to a quarter of lockWaitMs. */
const LOCK_RETRY_MS = 100;

/**
 * Fleet-wide coordination through a shared store: one process refreshes under the store's lock
 * while the others wait for its result. Decision on a failing store: a failed lock or wait call is
 * retried with backoff; only when the store has failed every call for `lockWaitMs` (it is down,
 * not blipping) does this process refresh without the lock. A one-second Redis blip thus never
 * makes two processes spend the same refresh token.
 */
export class FleetRefresh {
  /** Warned that the store is down and this process refreshes alone (once per outage, not per refresh). */
  private readonly outage = { warned: false };

  constructor(private readonly host: FleetHost) {}

  /** Gets a new token: through the fleet-wide lock when the store has one, else with `refresh` directly. */
  async obtain(refresh: () => Promise<ActiveToken>): Promise<ActiveToken> {
    const { store, settings, clock, sync } = this.host;
    if (!store.shared) return refresh();
    // A live holder renews its lock for as long as its refresh may take; past that (plus the TTL
    // a dead holder's lock needs to expire) something is wrong, and this process refreshes alone.
    const deadline =
      clock.monotonic() + worstCaseRefreshMs(settings) + settings.lockTtlMs + settings.lockWaitMs;
    const replacing = sync.current?.token ?? sync.lastToken;
    let seen = sync.lastToken;
    const trouble = new StoreTrouble(this.host, this.outage);
    for (;;) {
      if (this.host.closeSignal.aborted) throw new TokenError('token cache closed');
      // A change notification may have brought another process's token while we waited.
      const arrived = sync.freshReplacement(replacing);
      if (arrived !== undefined) return arrived;
      let lock: StoreLock | undefined;
      try {
        lock = await store.acquireLock(settings.lockTtlMs);
        trouble.over();
      } catch (err) {
        if (await trouble.failed(err)) return refresh();
        continue;
      }
      if (lock !== undefined) return this.refreshUnderLock(lock, replacing, refresh);
      const now = clock.monotonic();
      if (now >= deadline) {
        this.host.logger.warn(
          { cache: this.host.name },
          'refresh lock still held elsewhere; refreshing without it',
        );
        return refresh();
      }
      let record: TokenRecord | undefined;
      try {
        record = await store.waitForChange(seen, Math.min(settings.lockWaitMs, deadline - now));
        trouble.over();
      } catch (err) {
        if (await trouble.failed(err)) return refresh();
        continue;
      }
      if (record !== undefined) {
        sync.adoptRecord(record);
        const adopted = sync.adoptIfBetter(record, true);
        if (adopted !== undefined) return adopted;
        seen = record.accessToken;
      }
    }
  }

  /** Holding the lock: use a newer token another process saved, else refresh and save. */
  private async refreshUnderLock(
    lock: StoreLock,
    replacing: string | undefined,
    refresh: () => Promise<ActiveToken>,
  ): Promise<ActiveToken> {
    const keepAlive = new AbortController();
    void this.keepLock(lock, keepAlive.signal);
    try {
      const record = await this.host.loadRecord();
      if (record !== undefined) {
        this.host.sync.adoptRecord(record);
        const adopted =
          this.host.sync.adoptIfBetter(record, true) ?? this.host.sync.freshReplacement(replacing);
        if (adopted !== undefined) return adopted;
      }
      return await refresh();
    } finally {
      keepAlive.abort();
      try {
        await lock.release();
      } catch (err) {
        this.host.storeFailed('unlock', err);
      }
    }
  }

  /**
   * Renews the refresh lock every third of its TTL until `signal` fires, so a refresh slower than
   * the TTL (timeouts, retries, a Retry-After) keeps the fleet from starting a second one, while a
   * holder that died still frees the lock within one TTL. A holder that loses it anyway is fenced
   * by the versioned save: its result cannot overwrite a newer record.
   */
  private async keepLock(lock: StoreLock, signal: AbortSignal): Promise<void> {
    if (lock.extend === undefined) return;
    const ttl = this.host.settings.lockTtlMs;
    while (!signal.aborted) {
      try {
        await this.host.clock.sleep(ttl / 3, signal);
      } catch {
        return; // the refresh has finished
      }
      try {
        if (await lock.extend(ttl)) continue;
        this.host.logger.warn(
          { cache: this.host.name, lock_ttl_ms: ttl },
          'refresh lock expired before this refresh finished; its save will not overwrite a newer record',
        );
        return;
      } catch (err) {
        this.host.storeFailed('lock', err); // the lock may lapse; the refresh goes on regardless
      }
    }
  }

  /**
   * The shared store's refresh lock for seeding, waiting a few times for a holder (a peer seeding
   * or refreshing at start); undefined for single-process stores, or when it stays taken or fails.
   */
  async seedLock(): Promise<StoreLock | undefined> {
    const { store, settings } = this.host;
    if (!store.shared) return undefined;
    try {
      for (let tries = 0; tries < 3; tries++) {
        const lock = await store.acquireLock(settings.lockTtlMs);
        this.host.storeOk();
        if (lock !== undefined) return lock;
        await store.waitForChange(undefined, settings.lockWaitMs);
      }
    } catch (err) {
      this.host.storeFailed('lock', err);
    }
    return undefined;
  }
}

/** Consecutive failed lock/wait calls: retried with backoff until the store has failed for lockWaitMs. */
class StoreTrouble {
  private since: number | undefined;
  private pause = LOCK_RETRY_MS;

  constructor(
    private readonly host: FleetHost,
    private readonly outage: { warned: boolean },
  ) {}

  /** A call succeeded. */
  over(): void {
    this.host.storeOk();
    this.outage.warned = false;
    this.since = undefined;
    this.pause = LOCK_RETRY_MS;
  }

  /** A call failed: true when the store counts as down (refresh alone), else after a pause. */
  async failed(err: unknown): Promise<boolean> {
    const { clock, settings } = this.host;
    this.host.storeFailed('lock', err);
    this.since ??= clock.monotonic();
    const failingMs = clock.monotonic() - this.since;
    if (failingMs >= settings.lockWaitMs) {
      const fields = { cache: this.host.name, failing_ms: Math.round(failingMs) };
      if (this.outage.warned)
        this.host.logger.debug(fields, 'shared store still down; refreshing without the fleet lock');
      else this.host.logger.warn(fields, 'shared store down; refreshing without the fleet lock');
      this.outage.warned = true;
      return true;
    }
    await clock
      .sleep(Math.min(this.pause, settings.lockWaitMs - failingMs), this.host.closeSignal)
      .catch(() => {});
    this.pause = Math.min(this.pause * 2, Math.max(LOCK_RETRY_MS, settings.lockWaitMs / 4));
    return false;
  }
}
