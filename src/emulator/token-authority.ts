import { randomBytes, timingSafeEqual } from 'node:crypto';
import { codeChallengeS256 } from '../spotify/pkce.js';
import type { Clock } from '../token/types.js';

/** An OAuth error answer of the token endpoint. */
export interface OAuthFailure {
  status: number;
  error: string;
  description: string;
}

/** Spotify's token success body, field for field. */
export interface TokenBody {
  access_token: string;
  token_type: 'Bearer';
  /** Absent for client credentials: an app token carries no user scopes. */
  scope?: string;
  expires_in: number;
  refresh_token?: string;
}

interface AccessRecord {
  kind: 'user' | 'app';
  scope: string;
  expiresAt: number;
}

interface RefreshRecord {
  scope: string;
  /** Wall ms at which the user authorized the grant; rotated tokens inherit it. */
  authorizedAt: number;
  /** Set once rotated out: the wall ms until which it is still honoured (the grace window). */
  retiresAt?: number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  expiresAt: number;
}

export interface AuthorityOptions {
  clock: Clock;
  tokenLifetimeSec: number;
  rotateRefreshTokens: boolean;
  /** Seconds a rotated-out refresh token stays usable (0: it stops working at once). */
  rotationGraceSec: number;
  /** A grant's refresh tokens answer invalid_grant this long after its authorization (absent: never). */
  refreshTokenLifetimeSec?: number;
  clientId: string;
  clientSecret: string;
  refreshTokens: string[];
  redirectUris: string[] | undefined;
}

const DEFAULT_SCOPE =
  'user-read-playback-state user-modify-playback-state user-read-currently-playing user-read-private ' +
  'user-read-email playlist-read-private playlist-read-collaborative user-library-read user-library-modify ' +
  'user-follow-read user-read-recently-played user-top-read';
const CODE_LIFETIME_MS = 10 * 60_000;

const fail = (status: number, error: string, description: string): OAuthFailure => ({
  status,
  error,
  description,
});

/** The emulator's Accounts service state: clients, refresh tokens, access tokens, authorization codes. */
export class TokenAuthority {
  private access = new Map<string, AccessRecord>();
  private refresh = new Map<string, RefreshRecord>();
  private codes = new Map<string, CodeRecord>();

  constructor(private readonly opts: AuthorityOptions) {
    this.reset();
  }

  get clientId(): string {
    return this.opts.clientId;
  }

  reset(): void {
    this.access.clear();
    this.codes.clear();
    // Configured refresh tokens count as authorized when the emulator starts (or resets).
    const authorizedAt = this.opts.clock.now();
    this.refresh = new Map(this.opts.refreshTokens.map((t) => [t, { scope: DEFAULT_SCOPE, authorizedAt }]));
  }

  /** Spotify's rule: https anywhere, plain http only to a loopback IP literal (not `localhost`). */
  isRedirectAllowed(uri: string): boolean {
    if (this.opts.redirectUris) return this.opts.redirectUris.includes(uri);
    try {
      const url = new URL(uri);
      if (url.protocol === 'https:') return true;
      return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]');
    } catch {
      return false;
    }
  }

  /**
   * Authenticates the client of a token request: HTTP Basic (confidential), or `client_id` (+ optional
   * `client_secret`) in the body. Returns whether it proved the secret.
   */
  authenticate(
    authorization: string | undefined,
    body: URLSearchParams,
  ): { confidential: boolean } | OAuthFailure {
    let id = body.get('client_id') ?? undefined;
    let secret = body.get('client_secret') ?? undefined;
    if (authorization) {
      const m = /^Basic\s+(.+)$/i.exec(authorization.trim());
      if (!m) return fail(400, 'invalid_client', 'Invalid client');
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return fail(400, 'invalid_client', 'Invalid client');
      id = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    }
    if (!id) return fail(400, 'invalid_client', 'Invalid client');
    if (id !== this.opts.clientId) return fail(400, 'invalid_client', 'Invalid client');
    if (secret === undefined) return { confidential: false };
    if (!safeEqual(secret, this.opts.clientSecret))
      return fail(400, 'invalid_client', 'Invalid client secret');
    return { confidential: true };
  }

  refreshGrant(refreshToken: string | null): TokenBody | OAuthFailure {
    if (!refreshToken) return fail(400, 'invalid_request', 'refresh_token must be supplied');
    const record = this.refresh.get(refreshToken);
    const now = this.opts.clock.now();
    if (record?.retiresAt !== undefined && record.retiresAt <= now) this.refresh.delete(refreshToken);
    if (!record || !this.refresh.has(refreshToken))
      return fail(400, 'invalid_grant', 'Invalid refresh token');
    const lifetimeSec = this.opts.refreshTokenLifetimeSec;
    if (lifetimeSec !== undefined && now >= record.authorizedAt + lifetimeSec * 1000)
      return fail(400, 'invalid_grant', 'Refresh token expired');
    const body = this.issueAccess('user', record.scope);
    if (this.opts.rotateRefreshTokens) {
      const graceMs = this.opts.rotationGraceSec * 1000;
      if (graceMs > 0) record.retiresAt ??= now + graceMs;
      else this.refresh.delete(refreshToken);
      body.refresh_token = this.issueRefresh(record.scope, record.authorizedAt);
    }
    return body;
  }

  codeGrant(
    code: string | null,
    redirectUri: string | null,
    codeVerifier: string | null,
    confidential: boolean,
  ): TokenBody | OAuthFailure {
    if (!code) return fail(400, 'invalid_request', 'code must be supplied');
    const record = this.codes.get(code);
    // Codes are single-use, even when the exchange fails.
    this.codes.delete(code);
    if (!record || record.expiresAt <= this.opts.clock.now()) {
      return fail(400, 'invalid_grant', 'Invalid authorization code');
    }
    if (redirectUri !== record.redirectUri) return fail(400, 'invalid_grant', 'Invalid redirect URI');
    if (record.codeChallenge) {
      if (!codeVerifier) return fail(400, 'invalid_request', 'code_verifier required');
      if (!safeEqual(codeChallengeS256(codeVerifier), record.codeChallenge)) {
        return fail(400, 'invalid_grant', 'code_verifier was incorrect');
      }
    } else if (!confidential) {
      return fail(400, 'invalid_client', 'Invalid client secret');
    }
    const body = this.issueAccess('user', record.scope);
    body.refresh_token = this.issueRefresh(record.scope, this.opts.clock.now());
    return body;
  }

  clientCredentialsGrant(confidential: boolean): TokenBody | OAuthFailure {
    if (!confidential) return fail(400, 'invalid_client', 'Invalid client secret');
    const body = this.issueAccess('app', '');
    return body;
  }

  /** Records an approved authorization and returns its one-time code. */
  createCode(params: { redirectUri: string; codeChallenge: string; scope: string }): string {
    const code = `AQ${token(96)}`;
    this.codes.set(code, {
      clientId: this.opts.clientId,
      redirectUri: params.redirectUri,
      codeChallenge: params.codeChallenge,
      scope: params.scope || DEFAULT_SCOPE,
      expiresAt: this.opts.clock.now() + CODE_LIFETIME_MS,
    });
    return code;
  }

  /** Checks a bearer token presented to the Web API. */
  check(accessToken: string): 'ok' | 'app' | 'expired' | 'invalid' {
    const record = this.access.get(accessToken);
    if (!record) return 'invalid';
    if (record.expiresAt <= this.opts.clock.now()) return 'expired';
    return record.kind === 'user' ? 'ok' : 'app';
  }

  /** Issues a user token pair directly (tests, conformance). */
  issueUserTokens(): { accessToken: string; expiresIn: number; refreshToken: string } {
    const body = this.issueAccess('user', DEFAULT_SCOPE);
    return {
      accessToken: body.access_token,
      expiresIn: body.expires_in,
      refreshToken: this.issueRefresh(DEFAULT_SCOPE, this.opts.clock.now()),
    };
  }

  revokeRefreshTokens(refreshToken?: string): void {
    if (refreshToken === undefined) this.refresh.clear();
    else this.refresh.delete(refreshToken);
  }

  revokeAccessTokens(): void {
    this.access.clear();
  }

  /** Refresh tokens that are current (not rotated out). */
  validRefreshTokens(): string[] {
    return [...this.refresh].filter(([, r]) => r.retiresAt === undefined).map(([t]) => t);
  }

  /** Whether a refresh grant with `refreshToken` would succeed now (current, or rotated out but within grace). */
  acceptsRefreshToken(refreshToken: string): boolean {
    const record = this.refresh.get(refreshToken);
    return (
      record !== undefined && (record.retiresAt === undefined || record.retiresAt > this.opts.clock.now())
    );
  }

  private issueAccess(kind: 'user' | 'app', scope: string): TokenBody {
    const now = this.opts.clock.now();
    this.prune(now);
    const accessToken = `BQ${token(120)}`;
    const lifetime = this.opts.tokenLifetimeSec;
    this.access.set(accessToken, { kind, scope, expiresAt: now + lifetime * 1000 });
    if (kind === 'app') return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime };
    return { access_token: accessToken, token_type: 'Bearer', scope, expires_in: lifetime };
  }

  private issueRefresh(scope: string, authorizedAt: number): string {
    const refreshToken = `AQ${token(96)}`;
    this.refresh.set(refreshToken, { scope, authorizedAt });
    return refreshToken;
  }

  /** Forgets tokens expired for over a day, so a long-running demo does not grow without bound. */
  private prune(now: number): void {
    if (this.access.size < 1000) return;
    for (const [t, r] of this.access) if (r.expiresAt < now - 86_400_000) this.access.delete(t);
  }
}

function token(chars: number): string {
  return randomBytes(Math.ceil((chars * 3) / 4))
    .toString('base64url')
    .slice(0, chars);
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
