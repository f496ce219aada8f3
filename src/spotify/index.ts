/** Spotify Accounts and Web API clients. */
export {
  AccountsClient,
  type AccountsClientOptions,
  type AuthorizationResult,
  type AuthorizeUrlParams,
  type CallbackParams,
  type CodeExchangeParams,
  DEFAULT_ACCOUNTS_URL,
  parseCallbackUrl,
  SPOTIPI_SCOPES,
} from './accounts-client.js';
export {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyConfigError,
  SpotifyError,
  SpotifyOAuthError,
  SpotifyProtocolError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from './errors.js';
export {
  type CursorPagingOptions,
  collectCursorPages,
  collectOffsetPages,
  type OffsetPagingOptions,
} from './pagination.js';
export { codeChallengeS256, createCodeVerifier, createPkcePair, createState, type PkcePair } from './pkce.js';
export { parseRetryAfterMs } from './retry-after.js';
export type * from './types.js';
export {
  DEFAULT_API_URL,
  type OnSpotifyCall,
  type PlayOptions,
  type SearchOptions,
  SpotifyWebApi,
  type SpotifyWebApiOptions,
} from './web-api-client.js';
