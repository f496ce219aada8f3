import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../emulator/demo-credentials.js';
import type { EmulatorOptions, RunningEmulator } from '../emulator/types.js';
import { AccountsClient, isRetryableRefreshError } from '../spotify/accounts-client.js';
import { SpotifyWebApi } from '../spotify/web-api-client.js';
import { systemClock } from '../token/clock.js';
import { fingerprint } from '../token/fingerprint.js';
import { TokenCache } from '../token/token-cache.js';
import type { Clock, TokenStore } from '../token/types.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { accessControlEnabled } from './access.js';
import { type PreparedAlarms, prepareAlarms } from './alarm-wiring.js';
import { buildApp } from './app.js';
import type { AppDeps, RoutePlugin } from './deps.js';
import { createLogger, type PinoLogger } from './logger.js';
import { LoginFlow } from './login-flow.js';
import { AppMetrics, RefreshFailureTimer } from './metrics.js';
import { acquireStateDirLock } from './state-dir-lock.js';
import { chooseTokenStore } from './token-store.js';

/** A running SpotiPi server. */
export interface RunningServer {
  /** Base URL it listens on, e.g. `http://127.0.0.1:5001`. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly tokenCache: TokenCache;
  readonly config: Config;
  /** The embedded emulator in demo mode. */
  readonly emulator: RunningEmulator | undefined;
  /**
   * Stops accepting, lets in-flight requests finish (bounded by SHUTDOWN_TIMEOUT_SECONDS, then
   * cuts connections), stops the cache and closes the store and the emulator. Idempotent.
   */
  close(): Promise<void>;
}

/** Optional parts for `startServer`; everything has a production default. */
export interface StartOptions {
  logger?: PinoLogger;
  clock?: Clock;
  /** Directory of the web UI; default `web/` of the installed package. */
  webRoot?: string;
  /** Builds the token store instead of the default choice (tests). */
  store?: TokenStore;
  /**
   * Route plugins for alarms and the sleep timer. Default: the real scheduler and sleep timer on
   * the state dir (`prepareAlarms`); given, these replace them (tests with a virtual alarm clock).
   */
  plugins?: RoutePlugin[] | ((parts: ServerParts) => RoutePlugin[] | Promise<RoutePlugin[]>);
  /** Called before close() tears the rest down (stop schedulers). */
  onClose?: () => Promise<void> | void;
  /** Options for the demo emulator (tests shorten token lifetimes). */
  emulator?: EmulatorOptions;
}

/** What the server built, for wiring plugins (the alarm scheduler needs the Spotify client and cache). */
export interface ServerParts {
  config: Config;
  logger: PinoLogger;
  clock: Clock;
  spotify: SpotifyWebApi;
  tokenCache: TokenCache;
}

/**
 * Default location of the web UI's static files: the build's `dist/web/` (bundled, hashed,
 * precompressed) when this code runs from `dist/` and it exists, else the package's `web/`
 * sources (running from `src/` under tsx, or before a build).
 */
export const DEFAULT_WEB_ROOT = existsSync(fileURLToPath(new URL('../web/index.html', import.meta.url)))
  ? fileURLToPath(new URL('../web', import.meta.url))
  : fileURLToPath(new URL('../../web', import.meta.url));

/**
 * Starts SpotiPi: in demo mode the embedded emulator first, then the token cache (seeded from
 * SPOTIFY_REFRESH_TOKEN unless the store holds a newer rotated one), the Spotify clients and the
 * HTTP app, listening on config.host:config.port. Resolves once it accepts connections.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const cleanups: (() => Promise<void> | void)[] = [];
  const runCleanups = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn(
          { err: { type: (err as Error).name, message: (err as Error).message } },
          'cleanup failed',
        );
      }
    }
  };

  try {
    ensurePrivateDir(config.stateDir);
    // One server per state dir: a second one would overwrite the first's alarms and tokens.
    const lock = await acquireStateDirLock(config.stateDir);
    cleanups.push(() => lock.release());
    if (lock.tookOverFrom !== undefined) {
      logger.warn(
        { pid: lock.tookOverFrom },
        'took over the state dir lock of a server that is no longer running',
      );
    }

    let emulator: RunningEmulator | undefined;
    let spotifyConfig = config.spotify;
    let clientId = config.spotify.clientId ?? '';
    let clientSecret = config.spotify.clientSecret;
    let seedRefreshToken = config.spotify.refreshToken;
    if (config.mode === 'demo') {
      // Loaded only in demo mode.
      const { startEmulator } = await import('../emulator/server.js');
      // Development Mode: the API shapes every self-registered Spotify app (so every user) gets.
      emulator = await startEmulator({
        port: 0,
        host: '127.0.0.1',
        developmentMode: true,
        tokenLifetimeSec: config.demo.tokenLifetimeSec,
        ...options.emulator,
      });
      const running = emulator;
      cleanups.push(() => running.close());
      spotifyConfig = { ...config.spotify, accountsUrl: emulator.url, apiUrl: emulator.url };
      clientId = DEMO_CLIENT_ID;
      clientSecret = DEMO_CLIENT_SECRET;
      seedRefreshToken = DEMO_REFRESH_TOKEN;
      logger.warn(
        { emulator: emulator.url },
        'DEMO MODE: no SPOTIFY_CLIENT_ID configured, running on the built-in Spotify emulator',
      );
    }

    const store =
      options.store ??
      (await chooseTokenStore(config, {
        clientId,
        logger: logger.child({ module: 'token-store' }),
      }));
    cleanups.push(() => store.close?.());

    const accounts = new AccountsClient({
      baseUrl: spotifyConfig.accountsUrl,
      clientId,
      ...(clientSecret ? { clientSecret } : {}),
      timeoutMs: config.tokenCache.refreshTimeoutMs,
    });
    // Scraped only after the cache exists; built first so the refresh function can report to it.
    const metrics = new AppMetrics(() => tokenCache.snapshot());
    cleanups.push(() => metrics.close());
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
    cleanups.push(() => tokenCache.close());
    tokenCache.on('refreshed', (e) => {
      failureTimer.succeeded();
      if (e.source === 'upstream') metrics.observeRefresh(e.durationMs, 'success');
    });
    tokenCache.on('refresh_failed', () => failureTimer.failed());
    await tokenCache.init();

    const spotify = new SpotifyWebApi({
      baseUrl: spotifyConfig.apiUrl,
      tokens: tokenCache,
      clock,
      logger: logger.child({ module: 'spotify' }),
      maxRetryAfterWaitMs: config.spotify.maxRetryAfterMs,
      onCall: metrics.onSpotifyCall,
    });

    let redirectUri = spotifyConfig.redirectUri;
    const login = new LoginFlow({
      accounts,
      redirectUri: () => redirectUri,
      scopes: spotifyConfig.scopes,
      clock,
      // A login supersedes the configured seed: remember its fingerprint so a restart keeps the login.
      onAuthorized: (result) =>
        tokenCache.setRefreshToken(result.refreshToken, {
          seedFingerprint: fingerprint(seedRefreshToken) ?? '',
        }),
    });

    const parts: ServerParts = { config, logger, clock, spotify, tokenCache };
    let plugins: RoutePlugin[];
    let alarms: PreparedAlarms | undefined;
    if (options.plugins === undefined) {
      alarms = await prepareAlarms(parts);
      const prepared = alarms;
      cleanups.push(() => prepared.stop());
      plugins = alarms.plugins;
      metrics.watchAlarmReadiness(prepared.readiness);
    } else {
      plugins = typeof options.plugins === 'function' ? await options.plugins(parts) : options.plugins;
    }
    if (options.onClose) cleanups.push(options.onClose);

    const deps: AppDeps = {
      config,
      logger,
      clock,
      tokenCache,
      spotify,
      login,
      metrics: metrics,
      plugins,
      webRoot: options.webRoot ?? DEFAULT_WEB_ROOT,
      sessionSecret: await sessionSecret(config, logger),
      ...(emulator ? { emulatorUrl: emulator.url } : {}),
      ...(alarms ? { alarmReadiness: alarms.readiness } : {}),
    };
    const app = await buildApp(deps);
    cleanups.push(() => closeApp(app, config.shutdownTimeoutMs, logger));

    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${formatHost(config.host)}:${port}`;
    if (config.port === 0 && config.sources.SPOTIFY_REDIRECT_URI === undefined) {
      redirectUri = `http://127.0.0.1:${port}/callback`;
    }

    warnIfExposed(config, logger);
    logger.info({ url, mode: config.mode, store: store.kind }, `SpotiPi listening on ${url}`);
    // Alarms fire only once the server is up: a start that fails (port taken) fires nothing.
    await alarms?.start();

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      app,
      tokenCache,
      config,
      emulator,
      close: () => {
        closing ??= (async () => {
          logger.info('shutting down');
          await runCleanups();
          logger.info('stopped');
        })();
        return closing;
      },
    };
  } catch (err) {
    await runCleanups();
    throw err;
  }
}

/** Closes the app: stop accepting, wait for in-flight requests up to `timeoutMs`, then cut them. */
async function closeApp(app: FastifyInstance, timeoutMs: number, logger: PinoLogger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  // Keep-alive connections turn idle as their last response goes out; close them as they do.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (outcome === 'timeout') {
    logger.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
    app.server.closeAllConnections();
    await app.close();
  }
}

function warnIfExposed(config: Config, logger: PinoLogger): void {
  const loopback =
    ['127.0.0.1', '::1', 'localhost', '[::1]'].includes(config.host) || config.host.startsWith('127.');
  if (!loopback && !accessControlEnabled(config.access)) {
    logger.warn(
      { host: config.host },
      `SpotiPi listens on ${config.host} without a password: anyone on the network can control playback and alarms. Set SPOTIPI_PASSWORD (or SPOTIPI_API_TOKEN).`,
    );
  }
}

function formatHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The cookie-signing secret: configured, else kept in the state dir (so sessions survive restarts). */
async function sessionSecret(config: Config, logger: PinoLogger): Promise<string> {
  if (config.access.sessionSecret) return config.access.sessionSecret;
  // Without access control, sessions are never issued: no need to touch the disk.
  if (!accessControlEnabled(config.access)) return randomBytes(32).toString('hex');
  const path = join(config.stateDir, 'session-secret');
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warn({ path }, 'session secret unreadable; generating a new one (browsers will log in again)');
    }
  }
  const secret = randomBytes(32).toString('hex');
  await writeFileAtomic(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}
