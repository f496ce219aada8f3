import { ReauthorizationRequiredError } from '../errors.js';
import type { Clock, RefreshFn, RefreshResult } from '../types.js';

interface RefreshTokenState {
  grant: number;
  spent: boolean;
}

/**
 * A strict OAuth2 issuer on any clock (virtual time in unit tests), as Spotify behaves at its strictest: every login is a
 * grant; refresh tokens rotate and each one works once (a used or unknown one answers
 * invalid_grant). Remembers the grant of every access token it issued, so tests can tell a token
 * of an earlier login, and counts refresh tokens presented twice.
 */
export class GrantIssuer {
  /** Latency of the next requests, consumed one per request; then `latencyMs`. */
  latencies: number[] = [];
  latencyMs = 0;
  lifetimeS = 3600;
  /** When false, refresh tokens do not rotate (and stay valid). */
  rotate = true;
  calls = 0;
  /** A refresh token presented again after it was spent. */
  spentTwice = 0;
  inFlight = 0;
  private grants = 0;
  private serial = 0;
  private readonly refreshTokens = new Map<string, RefreshTokenState>();
  private readonly accessTokens = new Map<string, { grant: number; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  private elapsed(): number {
    return this.clock.sinceBoot?.() ?? this.clock.monotonic();
  }

  /** A new login: returns its refresh token. */
  login(): string {
    const grant = ++this.grants;
    return this.mint(grant);
  }

  /** The newest grant's number (the login that should win). */
  get latestGrant(): number {
    return this.grants;
  }

  /** The grant an access token belongs to. */
  grantOf(accessToken: string): number | undefined {
    return this.accessTokens.get(accessToken)?.grant;
  }

  /** The grant a refresh token belongs to. */
  grantOfRefreshToken(refreshToken: string | undefined): number | undefined {
    return refreshToken === undefined ? undefined : this.refreshTokens.get(refreshToken)?.grant;
  }

  /** True while `refreshToken` would still be accepted. */
  usable(refreshToken: string | undefined): boolean {
    const state = refreshToken === undefined ? undefined : this.refreshTokens.get(refreshToken);
    return state !== undefined && !state.spent;
  }

  /** True while the issuer would accept `accessToken`. */
  accepts(accessToken: string): boolean {
    const t = this.accessTokens.get(accessToken);
    return t !== undefined && this.elapsed() < t.expiresAt;
  }

  readonly refresh: RefreshFn = async (ctx) => {
    this.calls++;
    this.inFlight++;
    try {
      const latency = this.latencies.shift() ?? this.latencyMs;
      if (latency > 0) await this.clock.sleep(latency, ctx.signal);
      // The request reaches the issuer only now: a caller that died before did not spend its token.
      const rt = ctx.refreshToken === undefined ? undefined : this.refreshTokens.get(ctx.refreshToken);
      if (rt === undefined) throw new ReauthorizationRequiredError('invalid_grant: unknown refresh token');
      if (rt.spent) {
        this.spentTwice++;
        throw new ReauthorizationRequiredError('invalid_grant: refresh token already used');
      }
      const accessToken = `access-g${rt.grant}-${++this.serial}-${'x'.repeat(20)}`;
      this.accessTokens.set(accessToken, {
        grant: rt.grant,
        expiresAt: this.elapsed() + this.lifetimeS * 1000,
      });
      const result: RefreshResult = { accessToken, expiresIn: this.lifetimeS };
      if (this.rotate) {
        rt.spent = true;
        result.refreshToken = this.mint(rt.grant);
      }
      return result;
    } finally {
      this.inFlight--;
    }
  };

  private mint(grant: number): string {
    const token = `refresh-g${grant}-${++this.serial}-${'y'.repeat(20)}`;
    this.refreshTokens.set(token, { grant, spent: false });
    return token;
  }
}
