import type { ManualClock } from '../manual-clock.js';
import type { RefreshContext, RefreshFn, RefreshResult } from '../types.js';

/** What the next upstream request does instead of succeeding. */
export type Fault = Error | 'hang';

/**
 * A fake OAuth2 token endpoint on virtual time: issues numbered tokens, remembers when each
 * really expires (by the issuer's clock), can be slow, fail, hang or rotate refresh tokens.
 */
export class FakeIssuer {
  calls = 0;
  lifetimeS = 3600;
  latencyMs = 0;
  rotate = false;
  /** Faults consumed one per call, before `alwaysFail`. */
  faults: Fault[] = [];
  alwaysFail: Error | undefined;
  readonly contexts: RefreshContext[] = [];
  readonly receivedRefreshTokens: Array<string | undefined> = [];
  private readonly expiries = new Map<string, number>();
  private serial = 0;
  private rtSerial = 0;

  constructor(private readonly clock: ManualClock) {}

  /** Requests being answered right now, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;

  readonly refresh: RefreshFn = async (ctx) => {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(ctx);
    } finally {
      this.inFlight--;
    }
  };

  private async answer(ctx: RefreshContext): Promise<RefreshResult> {
    this.calls++;
    this.contexts.push(ctx);
    this.receivedRefreshTokens.push(ctx.refreshToken);
    const fault = this.faults.shift() ?? this.alwaysFail;
    if (fault === 'hang') {
      return new Promise<RefreshResult>((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
    }
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs, ctx.signal);
    if (fault) throw fault;
    const accessToken = `access-token-${++this.serial}-${'x'.repeat(24)}`;
    this.expiries.set(accessToken, this.clock.sinceBoot() + this.lifetimeS * 1000);
    const result: RefreshResult = {
      accessToken,
      expiresIn: this.lifetimeS,
      scope: 'user-read-playback-state',
    };
    if (this.rotate) result.refreshToken = `refresh-token-${++this.rtSerial}-${'y'.repeat(24)}`;
    return result;
  }

  /** True while the issuer would still accept `token`. */
  accepts(token: string): boolean {
    const expiry = this.expiries.get(token);
    return expiry !== undefined && this.clock.sinceBoot() < expiry;
  }

  /** Every token issued so far. */
  issued(): string[] {
    return [...this.expiries.keys()];
  }
}

/** Lets pending promise chains run without moving virtual time. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Tracks whether a promise has settled, without awaiting it. */
export function track<T>(promise: Promise<T>): {
  done: () => boolean;
  value: () => T | undefined;
  error: () => unknown;
} {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  return { done: () => done, value: () => value, error: () => error };
}
