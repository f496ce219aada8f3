import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../emulator/demo-credentials.js';
import { startEmulator } from '../emulator/server.js';
import type { RunningEmulator } from '../emulator/types.js';
import { ReauthorizationRequiredError, RetryableRefreshError } from '../token/errors.js';
import {
  AccountsClient,
  isRetryableRefreshError,
  parseCallbackUrl,
  SPOTIPI_SCOPES,
} from './accounts-client.js';
import { SpotifyConfigError, SpotifyOAuthError, SpotifyProtocolError } from './errors.js';
import { createPkcePair, createState } from './pkce.js';

const REDIRECT = 'http://127.0.0.1:5001/callback';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ tokenLifetimeSec: 600 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
});

function confidential(options: { timeoutMs?: number; clientSecret?: string } = {}): AccountsClient {
  return new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: options.clientSecret ?? DEMO_CLIENT_SECRET,
    timeoutMs: options.timeoutMs,
  });
}

function publicClient(): AccountsClient {
  return new AccountsClient({ baseUrl: emu.url, clientId: DEMO_CLIENT_ID });
}

/** Runs the browser part of the login against the emulator: consent page, then "Agree". */
async function approve(authorizeUrl: string): Promise<URL> {
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(
      m[1]!,
      m[2]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
    );
  }
  form.set('decision', 'accept');
  const res = await fetch(`${emu.url}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

async function catchError(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('AccountsClient refresh-token grant', () => {
  it('returns the access token and lifetime Spotify granted, with HTTP Basic client auth', async () => {
    const result = await confidential().refreshAccessToken(DEMO_REFRESH_TOKEN);
    expect(result.accessToken).toMatch(/^BQ/);
    expect(result.expiresIn).toBe(600);
    expect(result.scope).toContain('user-modify-playback-state');
    expect(result.refreshToken).toBeUndefined();
    expect(emu.stats().tokenGrants.refresh_token).toBe(1);
  });

  it('works as a public client sending client_id in the body without a secret', async () => {
    const result = await publicClient().refreshAccessToken(DEMO_REFRESH_TOKEN);
    expect(result.accessToken).toMatch(/^BQ/);
  });

  it('returns a rotated refresh token, and the old one stops working', async () => {
    const rotating = await startEmulator({ rotateRefreshTokens: true });
    try {
      const client = new AccountsClient({
        baseUrl: rotating.url,
        clientId: DEMO_CLIENT_ID,
        clientSecret: DEMO_CLIENT_SECRET,
      });
      const first = await client.refreshAccessToken(DEMO_REFRESH_TOKEN);
      expect(first.refreshToken).toBeDefined();
      expect(first.refreshToken).not.toBe(DEMO_REFRESH_TOKEN);
      const second = await client.refreshAccessToken(first.refreshToken!);
      expect(second.refreshToken).not.toBe(first.refreshToken);
      await expect(client.refreshAccessToken(DEMO_REFRESH_TOKEN)).rejects.toBeInstanceOf(
        ReauthorizationRequiredError,
      );
    } finally {
      await rotating.close();
    }
  });

  it('fits the token cache RefreshFn contract through refreshFn()', async () => {
    const fn = confidential().refreshFn();
    const result = await fn({
      refreshToken: DEMO_REFRESH_TOKEN,
      signal: new AbortController().signal,
      attempt: 1,
    });
    expect(result.expiresIn).toBe(600);
  });

  it('maps a revoked refresh token (invalid_grant) to ReauthorizationRequiredError', async () => {
    emu.revokeRefreshTokens();
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect(err.message).toContain('invalid_grant');
    expect(err.message).not.toContain(DEMO_REFRESH_TOKEN);
  });

  it('maps an injected invalid_grant fault to ReauthorizationRequiredError', async () => {
    emu.injectFault({ target: 'token', kind: 'invalid_grant' });
    await expect(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN)).rejects.toBeInstanceOf(
      ReauthorizationRequiredError,
    );
  });

  it('asks for a login when no refresh token is stored, without calling Spotify', async () => {
    await expect(confidential().refreshAccessToken('')).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(emu.stats().tokenRequests).toBe(0);
  });

  it('maps a wrong client secret (invalid_client) to a configuration error naming both settings', async () => {
    const err = await catchError(
      confidential({ clientSecret: 'not-the-secret' }).refreshAccessToken(DEMO_REFRESH_TOKEN),
    );
    expect(err).toBeInstanceOf(SpotifyConfigError);
    expect((err as SpotifyConfigError).settings).toEqual(['SPOTIFY_CLIENT_ID', 'SPOTIFY_CLIENT_SECRET']);
    expect(err.message).toContain('SPOTIFY_CLIENT_SECRET');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('maps an unknown client id to a configuration error naming SPOTIFY_CLIENT_ID', async () => {
    const client = new AccountsClient({ baseUrl: emu.url, clientId: 'someone-else' });
    const err = await catchError(client.refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(SpotifyConfigError);
    expect((err as SpotifyConfigError).settings).toEqual(['SPOTIFY_CLIENT_ID']);
  });

  it('refuses to be built without a client id', () => {
    expect(() => new AccountsClient({ clientId: '' })).toThrow(SpotifyConfigError);
  });

  it('maps 429 to a retryable error carrying Retry-After in ms', async () => {
    emu.injectFault({ target: 'token', kind: 'rate_limit', retryAfterSec: 7 });
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(RetryableRefreshError);
    expect((err as RetryableRefreshError).retryAfterMs).toBe(7000);
  });

  it.each([500, 502, 503])('maps HTTP %i to a retryable error', async (status) => {
    emu.injectFault({ target: 'token', kind: 'status', status });
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(RetryableRefreshError);
    expect(err.message).toContain(String(status));
  });

  it('counts Retry-After on a 503 like one on a 429', async () => {
    emu.injectFault({ target: 'token', kind: 'status', status: 503, retryAfterSec: 40 });
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(RetryableRefreshError);
    expect((err as RetryableRefreshError).retryAfterMs).toBe(40_000);
  });

  it('tells the token cache that invalid_client, another OAuth 4xx and a malformed answer are not worth a retry', async () => {
    const answers = [
      { target: 'token', kind: 'invalid_client' },
      { target: 'token', kind: 'malformed' },
      { target: 'token', kind: 'status', status: 400 },
    ] as const;
    for (const fault of answers) {
      emu.injectFault(fault);
      const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
      expect(isRetryableRefreshError(err), fault.kind).toBe(false);
    }
    emu.injectFault({ target: 'token', kind: 'status', status: 502 });
    expect(
      isRetryableRefreshError(await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN))),
    ).toBe(true);
  });

  it('maps a reset connection to a retryable error', async () => {
    emu.injectFault({ target: 'token', kind: 'reset' });
    await expect(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN)).rejects.toBeInstanceOf(
      RetryableRefreshError,
    );
  });

  it('maps a request slower than the timeout to a retryable timeout error', async () => {
    emu.injectFault({ target: 'token', kind: 'delay', delayMs: 2_000 });
    const err = await catchError(confidential({ timeoutMs: 50 }).refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(RetryableRefreshError);
    expect(err.message).toContain('timed out');
    // The request must have reached the emulator (and not linger into the next test).
    await vi.waitFor(() => expect(emu.stats().faultsPending).toBe(0));
  });

  it('passes the caller abort through as the abort reason, not as a Spotify failure', async () => {
    emu.injectFault({ target: 'token', kind: 'delay', delayMs: 2_000 });
    const controller = new AbortController();
    const pending = confidential().refreshAccessToken(DEMO_REFRESH_TOKEN, controller.signal);
    const reason = new Error('cache closed');
    // Abort once the emulator holds the request, so it cannot arrive during the next test.
    await vi.waitFor(() => expect(emu.stats().faultsPending).toBe(0));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('rejects malformed JSON with a clear non-retryable error', async () => {
    emu.injectFault({ target: 'token', kind: 'malformed' });
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(SpotifyProtocolError);
    expect(err).not.toBeInstanceOf(RetryableRefreshError);
    expect(err.message).toContain('not valid JSON');
  });

  it('rejects a success body without access_token or expires_in instead of returning undefined', async () => {
    emu.injectFault({ target: 'token', kind: 'missing_fields' });
    const err = await catchError(confidential().refreshAccessToken(DEMO_REFRESH_TOKEN));
    expect(err).toBeInstanceOf(SpotifyProtocolError);
    expect(err.message).toContain('access_token');
  });

  it('rejects a success body whose expires_in is not a positive number', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(JSON.stringify({ access_token: 'x', token_type: 'Bearer', expires_in: '3600' }), {
        status: 200,
      });
    const client = new AccountsClient({ clientId: 'id', clientSecret: 's', fetch: fakeFetch });
    await expect(client.refreshAccessToken('r')).rejects.toThrow(/expires_in/);
  });
});

describe('AccountsClient authorization code with PKCE', () => {
  it('builds an authorize URL with every parameter Spotify requires', () => {
    const url = new URL(
      publicClient().buildAuthorizeUrl({ redirectUri: REDIRECT, state: 'st', codeChallenge: 'c'.repeat(43) }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${emu.url}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: DEMO_CLIENT_ID,
      response_type: 'code',
      redirect_uri: REDIRECT,
      state: 'st',
      scope: SPOTIPI_SCOPES.join(' '),
      code_challenge_method: 'S256',
      code_challenge: 'c'.repeat(43),
    });
  });

  it('completes a login: consent, redirect with code and state, code exchange with the verifier', async () => {
    const client = publicClient();
    const pkce = createPkcePair();
    const state = createState();
    const redirected = await approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT, state, codeChallenge: pkce.codeChallenge }),
    );
    expect(`${redirected.origin}${redirected.pathname}`).toBe(REDIRECT);
    const callback = parseCallbackUrl(redirected.toString());
    expect(callback.state).toBe(state);
    expect(callback.code).toBeDefined();

    const tokens = await client.exchangeCode({
      code: callback.code!,
      redirectUri: REDIRECT,
      codeVerifier: pkce.codeVerifier,
    });
    expect(tokens.accessToken).toMatch(/^BQ/);
    expect(tokens.refreshToken).toMatch(/^AQ/);
    // The new refresh token works for the next refresh.
    await expect(client.refreshAccessToken(tokens.refreshToken)).resolves.toHaveProperty('expiresIn', 600);
    expect(emu.stats().tokenGrants.authorization_code).toBe(1);
  });

  it('rejects the exchange when the verifier does not match the challenge', async () => {
    const client = publicClient();
    const pkce = createPkcePair();
    const redirected = await approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT, state: 's', codeChallenge: pkce.codeChallenge }),
    );
    const err = await catchError(
      client.exchangeCode({
        code: redirected.searchParams.get('code')!,
        redirectUri: REDIRECT,
        codeVerifier: createPkcePair().codeVerifier,
      }),
    );
    expect(err).toBeInstanceOf(SpotifyOAuthError);
    expect((err as SpotifyOAuthError).oauthError).toBe('invalid_grant');
    expect(err.message).toContain('code_verifier was incorrect');
  });

  it('accepts an authorization code only once', async () => {
    const client = publicClient();
    const pkce = createPkcePair();
    const redirected = await approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT, state: 's', codeChallenge: pkce.codeChallenge }),
    );
    const params = {
      code: redirected.searchParams.get('code')!,
      redirectUri: REDIRECT,
      codeVerifier: pkce.codeVerifier,
    };
    await client.exchangeCode(params);
    await expect(client.exchangeCode(params)).rejects.toThrow(/Invalid authorization code/);
  });

  it('rejects the exchange with a different redirect URI than the authorization used', async () => {
    const client = publicClient();
    const pkce = createPkcePair();
    const redirected = await approve(
      client.buildAuthorizeUrl({ redirectUri: REDIRECT, state: 's', codeChallenge: pkce.codeChallenge }),
    );
    await expect(
      client.exchangeCode({
        code: redirected.searchParams.get('code')!,
        redirectUri: 'http://127.0.0.1:9999/callback',
        codeVerifier: pkce.codeVerifier,
      }),
    ).rejects.toThrow(/Invalid redirect URI/);
  });

  it('reads code, state and error from a pasted redirect URL or bare query string', () => {
    expect(parseCallbackUrl('  http://127.0.0.1:5001/callback?code=abc&state=xyz  ')).toEqual({
      code: 'abc',
      state: 'xyz',
    });
    expect(parseCallbackUrl('error=access_denied&state=s1')).toEqual({ error: 'access_denied', state: 's1' });
    expect(parseCallbackUrl('http://127.0.0.1/callback')).toEqual({});
  });
});

describe('AccountsClient client credentials', () => {
  it('obtains an app token with the client secret', async () => {
    const result = await confidential().clientCredentials();
    expect(result.accessToken).toMatch(/^BQ/);
    expect(result.refreshToken).toBeUndefined();
    expect(emu.stats().tokenGrants.client_credentials).toBe(1);
  });

  it('needs a client secret', async () => {
    await expect(publicClient().clientCredentials()).rejects.toBeInstanceOf(SpotifyConfigError);
  });
});
