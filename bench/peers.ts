/**
 * The token paths compared side by side: ours (TokenCache + AccountsClient), google-auth-library's
 * OAuth2Client, and @spotify/web-api-ts-sdk's provided-access-token strategy (the path every SDK
 * API call takes: `authenticationStrategy.getOrCreateAccessToken()`).
 */
import { SpotifyApi } from '@spotify/web-api-ts-sdk';
import { OAuth2Client } from 'google-auth-library';
import { AccountsClient } from '../src/spotify/accounts-client.js';
import { createMemoryStore } from '../src/token/stores/memory-store.js';
import { TokenCache } from '../src/token/token-cache.js';

/** One implementation's "give me a token" call. */
export interface Contender {
  name: string;
  getToken(): Promise<string>;
  close?(): Promise<void>;
}

export const CONTENDER_NAMES = [
  'spotipi TokenCache',
  'google-auth-library',
  '@spotify/web-api-ts-sdk',
] as const;

const FAR_FUTURE_MS = Date.UTC(2100, 0, 1);

/** Where the contenders get tokens from (an emulator) and with which credentials. */
export interface Upstream {
  url: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** Ours, holding a valid token (hot path) or an expired one with a refresh token (herd). */
export async function ours(upstream: Upstream | undefined, state: 'valid' | 'expired'): Promise<Contender> {
  const accounts = upstream
    ? new AccountsClient({
        baseUrl: upstream.url,
        clientId: upstream.clientId,
        clientSecret: upstream.clientSecret,
      })
    : undefined;
  const now = Date.now();
  const store = createMemoryStore({
    accessToken: `BQ${'a'.repeat(118)}`,
    expiresAt: state === 'valid' ? now + 3600_000 : now - 1000,
    obtainedAt: state === 'valid' ? now : now - 3601_000,
    expiresIn: 3600,
    refreshToken: upstream?.refreshToken ?? 'unused-refresh-token',
  });
  const cache = new TokenCache({
    store,
    refresh: accounts
      ? accounts.refreshFn()
      : async () => {
          throw new Error('the hot path must not refresh');
        },
  });
  await cache.init();
  return { name: CONTENDER_NAMES[0], getToken: () => cache.getAccessToken(), close: () => cache.close() };
}

/** google-auth-library's OAuth2Client; its token endpoint pointed at the emulator. */
export function google(upstream: Upstream | undefined, state: 'valid' | 'expired'): Contender {
  const client = new OAuth2Client({
    clientId: upstream?.clientId ?? 'client',
    clientSecret: upstream?.clientSecret ?? 'secret',
    ...(upstream ? { endpoints: { oauth2TokenUrl: `${upstream.url}/api/token` } } : {}),
  });
  client.setCredentials({
    access_token: `BQ${'g'.repeat(118)}`,
    refresh_token: upstream?.refreshToken ?? 'unused-refresh-token',
    token_type: 'Bearer',
    expiry_date: state === 'valid' ? FAR_FUTURE_MS : Date.now() - 1000,
  });
  return {
    name: CONTENDER_NAMES[1],
    getToken: async () => {
      const { token } = await client.getAccessToken();
      if (!token) throw new Error('google-auth-library returned no token');
      return token;
    },
  };
}

interface SdkStrategy {
  getOrCreateAccessToken(): Promise<{ access_token: string }>;
}

/**
 * The Spotify SDK with a provided access token. Its refresh (AccessTokenHelpers.refreshToken) calls
 * the global fetch with a hard-coded accounts.spotify.com URL, so for the herd the global fetch is
 * wrapped to send those requests to the emulator instead (see `redirectSpotifyAccounts`).
 */
export function sdk(upstream: Upstream | undefined, state: 'valid' | 'expired'): Contender {
  const api = SpotifyApi.withAccessToken(upstream?.clientId ?? 'client', {
    access_token: `BQ${'s'.repeat(118)}`,
    token_type: 'Bearer',
    expires_in: 3600,
    refresh_token: upstream?.refreshToken ?? 'unused-refresh-token',
    expires: state === 'valid' ? FAR_FUTURE_MS : Date.now() - 1000,
  });
  const strategy = (api as unknown as { authenticationStrategy: SdkStrategy }).authenticationStrategy;
  return {
    name: CONTENDER_NAMES[2],
    getToken: async () => (await strategy.getOrCreateAccessToken()).access_token,
  };
}

/** Routes global fetch calls for https://accounts.spotify.com to `baseUrl`; returns the undo. */
export function redirectSpotifyAccounts(baseUrl: string): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith('https://accounts.spotify.com/'))
      return original(url.replace('https://accounts.spotify.com', baseUrl), init);
    return original(input, init);
  }) as typeof fetch;
  return () => {
    globalThis.fetch = original;
  };
}
