import type { Logger } from '../token/types.js';
import { describeError } from './errors.js';

/** What the warmer needs. */
export interface TokenWarmerOptions {
  /** Fetches a usable access token (e.g. `() => cache.getAccessToken()`); none = nothing to warm. */
  warmToken?: () => Promise<unknown>;
  /** How long before a ring to warm. */
  leadMs: number;
  log: Logger;
  /** Runs after a successful warm-up (the scheduler lists the devices then, while the token is fresh). */
  afterWarm?: () => void;
}

/**
 * Warms the access token once per upcoming ring, `leadMs` before it, so the ring itself needs no
 * refresh; a failure is logged and the ring still tries (the cache refreshes again then).
 */
export class TokenWarmer {
  /** The ring time each key was last warmed for. */
  private readonly warmed = new Map<string, number>();

  constructor(private readonly o: TokenWarmerOptions) {}

  /** Warms for the ring at `at` if it is within `leadMs`; else tells `soonest` when to come back. */
  before(key: string, at: number, now: number, soonest: (t: number) => void): void {
    if (this.warmed.get(key) === at) return;
    const warmAt = at - this.o.leadMs;
    if (warmAt > now) {
      soonest(warmAt);
      return;
    }
    this.warmed.set(key, at);
    this.warm(key);
  }

  private warm(id: string): void {
    if (!this.o.warmToken) return;
    this.o.log.debug({ alarm: id }, 'warming the access token before the alarm');
    this.o.warmToken().then(
      () => {
        this.o.log.info({ alarm: id }, 'access token ready for the alarm');
        this.o.afterWarm?.();
      },
      (err) =>
        this.o.log.warn({ alarm: id, err: describeError(err) }, 'could not warm the token before the alarm'),
    );
  }
}
