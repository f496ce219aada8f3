import type { Logger, StoreHealth, TokenStore } from './types.js';

/**
 * Tracks whether a cache's calls to its store fail (the cache then serves from its own memory)
 * and combines that with the store's own health into what the cache reports.
 */
export class StoreHealthTracker {
  /** Why the last store call failed; undefined while calls succeed. */
  private trouble: string | undefined;
  /** The store's own health said degraded during the current trouble, so its later 'ok' means it recovered. */
  private troubleSeen = false;
  /** The record exists but cannot be read (StoreReadError): stays until a read succeeds. */
  private unreadable: string | undefined;

  constructor(
    private readonly store: Pick<TokenStore, 'kind' | 'health'>,
    private readonly logger: Logger,
    private readonly cache: string,
  ) {}

  /** A store call succeeded: ends the trouble, if any. */
  ok(): void {
    if (this.trouble === undefined) return;
    this.trouble = undefined;
    this.troubleSeen = false;
    this.logger.info({ cache: this.cache, store: this.store.kind }, 'token store recovered');
  }

  /** A store call failed; `reason` must hold no secret. Warns once per stretch of trouble. */
  failed(op: string, reason: string): void {
    try {
      if (this.store.health?.().state === 'degraded') this.troubleSeen = true;
    } catch {
      // health() is advisory
    }
    if (this.trouble !== undefined) {
      this.trouble = reason;
      return;
    }
    this.trouble = reason;
    this.logger.warn(
      { cache: this.cache, store: this.store.kind, op, err: reason },
      'token store unavailable; degraded to this process',
    );
  }

  /** A read failed with StoreReadError: report it until a read succeeds, whatever else succeeds. */
  unreadableRecord(reason: string): void {
    if (this.unreadable === undefined)
      this.logger.error(
        { cache: this.cache, store: this.store.kind, err: reason },
        'the stored token record cannot be read; serving from memory and not writing over it',
      );
    this.unreadable = reason;
  }

  /** A read succeeded: the record is readable (again). */
  readable(): void {
    this.unreadable = undefined;
  }

  /** The store's own health, or degraded with the reason of the current trouble. */
  health(): StoreHealth {
    if (this.unreadable !== undefined) return { state: 'degraded', reason: this.unreadable };
    let own: StoreHealth = { state: 'ok' };
    try {
      own = this.store.health?.() ?? own;
    } catch {
      own = { state: 'degraded', reason: 'health check failed' };
    }
    if (this.trouble !== undefined) {
      if (own.state === 'degraded') this.troubleSeen = true;
      // A store that reconnects by itself (Redis) is healthy again before this cache's next call to it.
      else if (this.troubleSeen) this.ok();
      else return { state: 'degraded', reason: this.trouble };
    }
    return own;
  }
}
