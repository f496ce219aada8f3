import type { Config } from '../config/index.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../emulator/demo-credentials.js';
import type { EmulatorOptions, RunningEmulator } from '../emulator/types.js';
import { AccountsClient, isRetryableRefreshError } from '../spotify/accounts-client.js';
import { createHttpFetch } from '../spotify/http-fetch.js';
import { SpotifyWebApi } from '../spotify/web-api-client.js';
import { TokenCache } from '../token/token-cache.js';
import type { Clock, TokenStore } from '../token/types.js';
import type { PinoLogger } from './logger.js';
import { type AppMetrics, RefreshFailureTimer } from './metrics.js';
import type { SpotifyApp, SpotifyLink } from './spotify-connection.js';
import { chooseTokenStore } from './token-store.js';

/** What building a link needs besides the configuration. */
export interface LinkParts {
  logger: PinoLogger;
  clock: Clock;
  metrics: AppMetrics;
  /** A given token store instead of the default choice (tests). */
  store?: TokenStore;
  /** Options of the demo emulator. */
  emulator?: EmulatorOptions;
}

/**
 * Builds the Spotify parts for `app`: for 'demo' the embedded emulator (Development Mode shapes)
 * and a memory store; otherwise the configured accounts and API URLs and the configured store.
 * The token cache is seeded from SPOTIFY_REFRESH_TOKEN unless the store holds a newer rotated one.
 */
export async function connectSpotify(
  config: Config,
  app: SpotifyApp | 'demo',
  parts: LinkParts,
): Promise<SpotifyLink> {
  const { logger, clock, metrics } = parts;
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const fn of closers.reverse()) await fn();
  };
  try {
    let emulator: RunningEmulator | undefined;
    let accountsUrl = config.spotify.accountsUrl;
    let apiUrl = config.spotify.apiUrl;
    let spotifyApp: SpotifyApp;
    let seedRefreshToken = config.spotify.refreshToken;
    if (app === 'demo') {
      // Loaded only in demo mode.
      const { startEmulator } = await import('../emulator/server.js');
      // Development Mode: the API shapes every self-registered Spotify app (so every user) gets.
      emulator = await startEmulator({
        port: 0,
        host: '127.0.0.1',
        developmentMode: true,
        tokenLifetimeSec: config.demo.tokenLifetimeSec,
        ...parts.emulator,
      });
      const running = emulator;
      closers.push(() => running.close());
      accountsUrl = apiUrl = emulator.url;
      spotifyApp = { clientId: DEMO_CLIENT_ID, clientSecret: DEMO_CLIENT_SECRET };
      seedRefreshToken = DEMO_REFRESH_TOKEN;
      logger.warn(
        { emulator: emulator.url },
        'DEMO MODE: no SPOTIFY_CLIENT_ID configured, running on the built-in Spotify emulator',
      );
    } else {
      spotifyApp = app;
    }

    const store =
      parts.store ??
      (await chooseTokenStore(
        { ...config, mode: app === 'demo' ? 'demo' : 'spotify' },
        { clientId: spotifyApp.clientId, logger: logger.child({ module: 'token-store' }) },
      ));
    closers.push(() => store.close?.());

    // Node's http modules rather than the global fetch: see createHttpFetch for the memory it saves.
    const fetch = createHttpFetch();
    closers.push(() => fetch.close());
    const accounts = new AccountsClient({
      fetch,
      baseUrl: accountsUrl,
      clientId: spotifyApp.clientId,
      ...(spotifyApp.clientSecret ? { clientSecret: spotifyApp.clientSecret } : {}),
      timeoutMs: config.tokenCache.refreshTimeoutMs,
    });
    const failureTimer = new RefreshFailureTimer(clock, (ms) => metrics.observeRefresh(ms, 'failure'));
    const tokenCache = new TokenCache({
      refresh: failureTimer.wrap(accounts.refreshFn()),
      isRetryable: isRetryableRefreshError,
      store,
      clock,
      logger: logger.child({ module: 'token-cache' }),
      name: 'spotify',
      refreshAheadMs: config.tokenCache.refreshAheadMs,
      safetyMarginMs: config.tokenCache.safetyMarginMs,
      nearExpiryWarningMs: config.tokenCache.nearExpiryWarningMs,
      attemptTimeoutMs: config.tokenCache.refreshTimeoutMs,
      maxAttempts: config.tokenCache.maxAttempts,
      ...(seedRefreshToken ? { seedRefreshToken } : {}),
    });
    closers.push(() => tokenCache.close());
    tokenCache.on('refreshed', (e) => {
      failureTimer.succeeded();
      if (e.source === 'upstream') metrics.observeRefresh(e.durationMs, 'success');
    });
    tokenCache.on('refresh_failed', () => failureTimer.failed());
    await tokenCache.init();

    const spotify = new SpotifyWebApi({
      fetch,
      baseUrl: apiUrl,
      tokens: tokenCache,
      clock,
      logger: logger.child({ module: 'spotify' }),
      maxRetryAfterWaitMs: config.spotify.maxRetryAfterMs,
      onCall: metrics.onSpotifyCall,
    });
    return {
      mode: app === 'demo' ? 'demo' : 'spotify',
      app: spotifyApp,
      accounts,
      store,
      tokenCache,
      spotify,
      emulator,
      seedRefreshToken,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
