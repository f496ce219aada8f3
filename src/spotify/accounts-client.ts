import { ReauthorizationRequiredError, RetryableRefreshError } from '../token/errors.js';
import { defaultIsRetryable } from '../token/retry-policy.js';
import type { RefreshFn, RefreshResult } from '../token/types.js';
import { SpotifyConfigError, SpotifyOAuthError, SpotifyProtocolError } from './errors.js';
import type { FetchedResponse, SpotifyFetch } from './http-fetch.js';
import { parseRetryAfterMs } from './retry-after.js';

export const DEFAULT_ACCOUNTS_URL = 'https://accounts.spotify.com';

/** Scopes SpotiPi asks for at login: read and control playback, read the library. */
export const SPOTIPI_SCOPES: readonly string[] = [
  'user-read-playback-state',
  'user-modify-playback-state',
  'user-read-currently-playing',
  'user-read-private',
  'user-read-email',
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-library-read',
  'user-library-modify',
  'user-follow-read',
  'user-read-recently-played',
  'user-top-read',
];

export interface AccountsClientOptions {
  /** Accounts service origin (`SPOTIFY_ACCOUNTS_URL`); `/api/token` and `/authorize` are appended. */
  baseUrl?: string;
  clientId: string;
  /** Confidential client secret (HTTP Basic). Omit for a public PKCE client (client_id in the body). */
  clientSecret?: string;
  /** How requests are sent; default the global `fetch` (the server passes `createHttpFetch()`). */
  fetch?: SpotifyFetch;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
}

export interface AuthorizeUrlParams {
  redirectUri: string;
  scopes?: readonly string[];
  state: string;
  codeChallenge: string;
  /** Force the consent dialog even if the user approved before. */
  showDialog?: boolean;
}

export interface CodeExchangeParams {
  code: string;
  redirectUri: string;
  codeVerifier: string;
}

/** Result of an authorization-code exchange: always carries a refresh token. */
export interface AuthorizationResult extends RefreshResult {
  refreshToken: string;
}

/** What the redirect back from /authorize carried. */
export interface CallbackParams {
  code?: string;
  state?: string;
  /** e.g. `access_denied` when the user declined. */
  error?: string;
}

/** Client of the Spotify Accounts service: token grants and the authorize URL. */
export class AccountsClient {
  readonly baseUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string | undefined;
  private readonly fetchImpl: SpotifyFetch;
  private readonly timeoutMs: number;

  constructor(options: AccountsClientOptions) {
    if (!options.clientId) {
      throw new SpotifyConfigError('SPOTIFY_CLIENT_ID is required', ['SPOTIFY_CLIENT_ID']);
    }
    this.baseUrl = (options.baseUrl ?? DEFAULT_ACCOUNTS_URL).replace(/\/+$/, '');
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** True when the client authenticates with a secret (HTTP Basic), false for a public PKCE client. */
  get isConfidential(): boolean {
    return this.clientSecret !== undefined;
  }

  /** Refresh-token grant. A `refreshToken` in the result means Spotify rotated it: persist it. */
  async refreshAccessToken(refreshToken: string, signal?: AbortSignal): Promise<RefreshResult> {
    if (!refreshToken) {
      throw new ReauthorizationRequiredError('No refresh token is stored: log in to Spotify (spotipi login)');
    }
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, signal);
  }

  /** Client-credentials grant (app-only token, no user). Needs a client secret. */
  async clientCredentials(signal?: AbortSignal): Promise<RefreshResult> {
    if (!this.clientSecret) {
      throw new SpotifyConfigError('The client credentials grant needs SPOTIFY_CLIENT_SECRET', [
        'SPOTIFY_CLIENT_SECRET',
      ]);
    }
    return this.tokenRequest({ grant_type: 'client_credentials' }, signal);
  }

  /** The `/authorize` URL for the authorization-code flow with PKCE (S256). */
  buildAuthorizeUrl(params: AuthorizeUrlParams): string {
    const url = new URL(`${this.baseUrl}/authorize`);
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', params.redirectUri);
    url.searchParams.set('state', params.state);
    url.searchParams.set('scope', (params.scopes ?? SPOTIPI_SCOPES).join(' '));
    url.searchParams.set('code_challenge_method', 'S256');
    url.searchParams.set('code_challenge', params.codeChallenge);
    if (params.showDialog) url.searchParams.set('show_dialog', 'true');
    return url.toString();
  }

  /** Exchanges an authorization code (with its PKCE verifier) for access and refresh tokens. */
  async exchangeCode(params: CodeExchangeParams, signal?: AbortSignal): Promise<AuthorizationResult> {
    const result = await this.tokenRequest(
      {
        grant_type: 'authorization_code',
        code: params.code,
        redirect_uri: params.redirectUri,
        code_verifier: params.codeVerifier,
      },
      signal,
    );
    if (!result.refreshToken) {
      throw new SpotifyProtocolError(
        'Spotify token response to the authorization code has no refresh_token',
        'POST /api/token',
      );
    }
    return { ...result, refreshToken: result.refreshToken };
  }

  /** A RefreshFn for the token cache that performs the refresh-token grant. */
  refreshFn(): RefreshFn {
    return (ctx) => this.refreshAccessToken(ctx.refreshToken ?? '', ctx.signal);
  }

  private async tokenRequest(fields: Record<string, string>, signal?: AbortSignal): Promise<RefreshResult> {
    const endpoint = 'POST /api/token';
    const body = new URLSearchParams(fields);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.clientSecret) {
      const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
      headers.authorization = `Basic ${basic}`;
    } else {
      body.set('client_id', this.clientId);
    }

    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let res: FetchedResponse;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/api/token`, {
        method: 'POST',
        headers,
        body,
        signal: combined,
      });
      text = await res.text();
    } catch (err) {
      if (timeout.aborted && !signal?.aborted) {
        throw new RetryableRefreshError(`Spotify token request timed out after ${this.timeoutMs} ms`);
      }
      if (signal?.aborted) throw signal.reason ?? err;
      throw new RetryableRefreshError(`Spotify token request failed: ${describeNetworkError(err)}`);
    }

    if (res.status === 429) {
      const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'));
      throw new RetryableRefreshError('Spotify rate-limited the token request (429)', retryAfterMs);
    }
    if (res.status >= 500) {
      // A 503's Retry-After counts like a 429's: the cache waits it out or gates on it.
      const retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'));
      throw new RetryableRefreshError(`Spotify accounts service error ${res.status}`, retryAfterMs);
    }

    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      if (res.ok) {
        throw new SpotifyProtocolError(
          `Spotify token response (HTTP ${res.status}) is not valid JSON`,
          endpoint,
        );
      }
      json = undefined;
    }

    if (!res.ok) throw mapOAuthError(res.status, json, this.isConfidential, fields.grant_type ?? '');
    return parseTokenBody(json, endpoint);
  }
}

/**
 * The token cache's `isRetryable` for `refreshFn()`: a transient failure (network, timeout, 5xx,
 * 429) is retried; an answer a retry would repeat — `invalid_client`, another OAuth 4xx, a
 * malformed response — is not (the cache then gates refreshes for a while).
 */
export function isRetryableRefreshError(error: unknown): boolean {
  if (error instanceof RetryableRefreshError) return true;
  if (error instanceof SpotifyConfigError || error instanceof SpotifyOAuthError) return false;
  if (error instanceof SpotifyProtocolError) return false;
  return defaultIsRetryable(error);
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function mapOAuthError(status: number, json: unknown, confidential: boolean, grantType: string): Error {
  const body = (json && typeof json === 'object' ? json : {}) as {
    error?: unknown;
    error_description?: unknown;
  };
  const code = typeof body.error === 'string' ? body.error : undefined;
  const description = typeof body.error_description === 'string' ? body.error_description : undefined;
  const detail = description ? `${code}: ${description}` : (code ?? `HTTP ${status}`);

  if (code === 'invalid_client' || (status === 401 && !code)) {
    const settings = confidential ? ['SPOTIFY_CLIENT_ID', 'SPOTIFY_CLIENT_SECRET'] : ['SPOTIFY_CLIENT_ID'];
    return new SpotifyConfigError(
      `Spotify rejected the client credentials (${detail}); check ${settings.join(' and ')}`,
      settings,
    );
  }
  if (code === 'invalid_grant' && grantType === 'refresh_token') {
    return new ReauthorizationRequiredError(
      `Spotify refused the refresh token (${detail}); log in again (spotipi login)`,
    );
  }
  if (code) return new SpotifyOAuthError(`Spotify token request failed (${detail})`, status, code);
  return new SpotifyProtocolError(`Spotify token request failed with HTTP ${status}`, 'POST /api/token');
}

function parseTokenBody(json: unknown, endpoint: string): RefreshResult {
  if (!json || typeof json !== 'object') {
    throw new SpotifyProtocolError('Spotify token response is not a JSON object', endpoint);
  }
  const body = json as Record<string, unknown>;
  const accessToken = body.access_token;
  const expiresIn = body.expires_in;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new SpotifyProtocolError('Spotify token response has no access_token', endpoint);
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new SpotifyProtocolError('Spotify token response has no valid expires_in', endpoint);
  }
  const result: RefreshResult = { accessToken, expiresIn };
  if (typeof body.refresh_token === 'string' && body.refresh_token.length > 0) {
    result.refreshToken = body.refresh_token;
  }
  if (typeof body.scope === 'string') result.scope = body.scope;
  return result;
}

/** Reads `code`, `state` and `error` from a redirect URL (or just its query string), e.g. pasted back by the user. */
export function parseCallbackUrl(input: string): CallbackParams {
  const trimmed = input.trim();
  const query = trimmed.includes('?') ? trimmed.slice(trimmed.indexOf('?') + 1) : trimmed;
  const params = new URLSearchParams(query.split('#')[0]);
  const out: CallbackParams = {};
  const code = params.get('code');
  const state = params.get('state');
  const error = params.get('error');
  if (code) out.code = code;
  if (state) out.state = state;
  if (error) out.error = error;
  return out;
}
