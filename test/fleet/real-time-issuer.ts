import { setTimeout as delay } from 'node:timers/promises';
import { ReauthorizationRequiredError } from '../../src/token/errors.js';
import type { RefreshFn, RefreshResult } from '../../src/token/types.js';

/**
 * An in-process OAuth2 token endpoint on real time (shared by several caches talking to one real
 * Redis): numbered tokens, real expiry, optional rotation where the old refresh token dies, like
 * the emulator's `rotateRefreshTokens`.
 */
export class RealTimeIssuer {
  /** Wall-clock ms of each successful grant. */
  readonly grants: number[] = [];
  /** Refresh requests made with a refresh token that was not (or no longer) valid. */
  deadGrantUses = 0;
  private readonly valid = new Set<string>();
  private readonly expiries = new Map<string, number>();
  private serial = 0;

  constructor(
    readonly initialRefreshToken: string,
    private readonly options: { lifetimeS: number; latencyMs?: number; rotate?: boolean },
  ) {
    this.valid.add(initialRefreshToken);
  }

  readonly refresh: RefreshFn = async ({ refreshToken, signal }) => {
    if (this.options.latencyMs) await delay(this.options.latencyMs, undefined, { signal });
    if (refreshToken === undefined || !this.valid.has(refreshToken)) {
      this.deadGrantUses++;
      throw new ReauthorizationRequiredError('invalid_grant: refresh token revoked');
    }
    const n = ++this.serial;
    const accessToken = `fleet-access-${n}-${Math.random().toString(36).slice(2)}`;
    this.expiries.set(accessToken, Date.now() + this.options.lifetimeS * 1000);
    this.grants.push(Date.now());
    const result: RefreshResult = { accessToken, expiresIn: this.options.lifetimeS };
    if (this.options.rotate) {
      this.valid.delete(refreshToken);
      result.refreshToken = `fleet-refresh-${n}-${Math.random().toString(36).slice(2)}`;
      this.valid.add(result.refreshToken);
    }
    return result;
  };

  /** True while the issuer would accept `token` for API calls. */
  accepts(token: string): boolean {
    const expiry = this.expiries.get(token);
    return expiry !== undefined && Date.now() < expiry;
  }

  /** A new login: a refresh token of a new grant, valid from now. */
  issueLogin(): string {
    const refreshToken = `fleet-login-${++this.serial}-${Math.random().toString(36).slice(2)}`;
    this.valid.add(refreshToken);
    return refreshToken;
  }

  /** The refresh tokens that still work. */
  validRefreshTokens(): string[] {
    return [...this.valid];
  }

  /** Smallest gap between two consecutive grants (Infinity with fewer than two). */
  minGrantGapMs(): number {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 1; i < this.grants.length; i++) min = Math.min(min, this.grants[i]! - this.grants[i - 1]!);
    return min;
  }
}
