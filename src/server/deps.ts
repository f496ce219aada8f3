import type { FastifyPluginAsync } from 'fastify';
import type { AlarmReadinessReport } from '../alarm/preflight.js';
import type { Config } from '../config/index.js';
import type { SettingsStore } from '../settings/settings-store.js';
import type { AccountsClient } from '../spotify/accounts-client.js';
import type { SpotifyWebApi } from '../spotify/web-api-client.js';
import type { TokenCacheSnapshot } from '../token/token-cache.js';
import type { Clock, TokenProvider } from '../token/types.js';
import type { PinoLogger } from './logger.js';
import type { LoginFlow } from './login-flow.js';
import type { AppMetrics } from './metrics.js';
import type { SpotifyConnection } from './spotify-connection.js';

/** The token cache's snapshot (the seed's shape plus more; never the token). */
export type TokenSnapshotView = TokenCacheSnapshot;

/** What the server needs from the token cache (the real TokenCache satisfies it). */
export interface ServerTokenCache extends TokenProvider {
  forceRefresh(): Promise<string>;
  snapshot(): TokenSnapshotView;
  /** Stores a refresh token from a login (or a new seed) and makes the cache use it. */
  setRefreshToken(refreshToken: string, options?: { seedFingerprint?: string }): Promise<void>;
  /** Disconnect: forgets the refresh token; Spotify calls need a new login until then. */
  forgetRefreshToken(): Promise<void>;
}

/** The Web API calls the routes make. */
export type ServerSpotify = Pick<
  SpotifyWebApi,
  | 'getCurrentUser'
  | 'getPlaybackState'
  | 'getDevices'
  | 'play'
  | 'pause'
  | 'next'
  | 'previous'
  | 'setVolume'
  | 'setShuffle'
  | 'transferPlayback'
  | 'getAllMyPlaylists'
  | 'getAllSavedAlbums'
  | 'getSavedTracksCount'
  // Music you can find (search, queue, library sections, artist page, now playing).
  | 'search'
  | 'seek'
  | 'setRepeat'
  | 'getQueue'
  | 'addToQueue'
  | 'getSavedTracks'
  | 'getAllFollowedArtists'
  | 'getRecentlyPlayed'
  | 'getTopTracks'
  | 'getTopArtists'
  | 'getArtist'
  | 'getArtistAlbums'
  | 'getArtistTopTracks'
  | 'libraryContains'
  | 'saveToLibrary'
  | 'removeFromLibrary'
>;

/** The accounts calls the login routes make. */
export type ServerAccounts = Pick<AccountsClient, 'buildAuthorizeUrl' | 'exchangeCode'>;

/** A Fastify plugin registered by the app with its options (alarm and sleep routes). */
export interface RoutePlugin {
  plugin: FastifyPluginAsync<never> | FastifyPluginAsync;
  options?: Record<string, unknown>;
}

/** Everything `buildApp` needs; `startServer` wires the real parts, tests may wire others. */
export interface AppDeps {
  config: Config;
  logger: PinoLogger;
  clock: Clock;
  tokenCache: ServerTokenCache;
  spotify: ServerSpotify;
  /** The Spotify login (authorization code + PKCE). */
  login: LoginFlow;
  metrics: AppMetrics;
  /** Extra route plugins (alarms, sleep timer). */
  plugins?: RoutePlugin[];
  /** Directory of the web UI's static files; a built-in page is served when it has no index.html. */
  webRoot?: string;
  /** Secret that signs session cookies. */
  sessionSecret: string;
  /** Base URL of the embedded emulator in demo mode. */
  emulatorUrl?: string;
  /** The runtime settings (settings page); without it `/api/settings` is not served. */
  settings?: SettingsStore;
  /** The swappable Spotify connection (first-run setup, disconnect); absent in bare app tests. */
  connection?: SpotifyConnection;
  /** The alarms' preflight readiness (`/readyz` answers 503 while one is failing). */
  alarmReadiness?: () => AlarmReadinessReport;
}
