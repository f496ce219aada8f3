import { StoreTimeoutError } from './errors.js';
import type { Clock, StoreLock, TokenRecord, TokenStore } from './types.js';

/**
 * The cache's view of its store: every call bounded by `timeoutMs` (a store call that never
 * settles — NFS, a custom store — fails as a StoreTimeoutError instead of hanging every caller).
 */
export class BoundedStore {
  constructor(
    readonly store: TokenStore,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  /** Whether the store has the fleet methods (lock, wait). */
  get shared(): boolean {
    return this.store.acquireLock !== undefined && this.store.waitForChange !== undefined;
  }

  /** Reads the record. */
  load(): Promise<TokenRecord | undefined> {
    return this.bound('load', () => this.store.load());
  }

  /** Compare-and-set save; returns the new version (undefined from a store without versions). */
  async save(record: TokenRecord, expectedVersion: number): Promise<number | undefined> {
    const v = await this.bound('save', () => this.store.save(record, expectedVersion));
    return typeof v === 'number' ? v : undefined;
  }

  /** Drops the stored access token if it is still `token`. */
  invalidate(token: string): Promise<boolean> {
    return this.bound('invalidate', () => this.store.invalidate(token));
  }

  /** Tries the fleet lock; its release and extend are bounded too. */
  async acquireLock(ttlMs: number): Promise<StoreLock | undefined> {
    const lock = await this.bound(
      'lock',
      () => this.store.acquireLock?.(ttlMs) ?? Promise.resolve(undefined),
    );
    if (lock === undefined) return undefined;
    const extend = lock.extend;
    return {
      release: () => this.bound('unlock', () => lock.release()),
      ...(extend ? { extend: (ttl: number) => this.bound('lock', () => extend.call(lock, ttl)) } : {}),
    };
  }

  /** Waits for another holder's token; bounded by its own wait plus the store timeout. */
  waitForChange(current: string | undefined, waitMs: number): Promise<TokenRecord | undefined> {
    return this.bound(
      'wait',
      () => this.store.waitForChange?.(current, waitMs) ?? Promise.resolve(undefined),
      waitMs + this.timeoutMs,
    );
  }

  private bound<T>(op: string, call: () => Promise<T>, ms = this.timeoutMs): Promise<T> {
    const timer = new AbortController();
    const timeout = this.clock.sleep(ms, timer.signal).then(
      () => {
        throw new StoreTimeoutError(`store ${op} did not answer within ${ms} ms`);
      },
      () => new Promise<never>(() => {}),
    );
    const work = Promise.resolve().then(call);
    return Promise.race([work, timeout]).finally(() => timer.abort());
  }
}
