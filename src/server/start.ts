import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { EmulatorOptions, RunningEmulator } from '../emulator/types.js';
import { applyToConfig, SettingsStore } from '../settings/settings-store.js';
import type { SpotifyWebApi } from '../spotify/web-api-client.js';
import { systemClock } from '../token/clock.js';
import { fingerprint } from '../token/fingerprint.js';
import type { TokenCache } from '../token/token-cache.js';
import type { Clock, TokenStore } from '../token/types.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { accessControlEnabled } from './access.js';
import { type PreparedAlarms, prepareAlarms } from './alarm-wiring.js';
import { buildApp } from './app.js';
import type { AppDeps, RoutePlugin } from './deps.js';
import { exposedGc, IdleCollector } from './idle-collector.js';
import { createLogger, type PinoLogger } from './logger.js';
import { LoginFlow } from './login-flow.js';
import { AppMetrics } from './metrics.js';
import { type SpotifyApp, SpotifyConnection } from './spotify-connection.js';
import { connectSpotify } from './spotify-link.js';
import { acquireStateDirLock } from './state-dir-lock.js';

/** A running SpotiPi server. */
export interface RunningServer {
  /** Base URL it listens on, e.g. `http://127.0.0.1:5001`. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly tokenCache: TokenCache;
  readonly config: Config;
  /** The embedded emulator in demo mode (as started; first-run setup closes it). */
  readonly emulator: RunningEmulator | undefined;
  /** The swappable connection to Spotify (demo emulator or the user's app). */
  readonly connection: SpotifyConnection;
  /** The runtime settings. */
  readonly settings: SettingsStore;
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
  /** The runtime settings (settings.json); the scheduler applies their changes. */
  settings: SettingsStore;
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

    // Scraped only after the connection exists; built first so each link's refresh reports to it.
    const metrics = new AppMetrics(() => connection.tokenCache.snapshot());
    cleanups.push(() => metrics.close());
    const connect = (app: SpotifyApp | 'demo', store?: TokenStore) =>
      connectSpotify(config, app, {
        logger,
        clock,
        metrics,
        ...(store ? { store } : {}),
        ...(options.emulator ? { emulator: options.emulator } : {}),
      });
    const first = await connect(
      config.mode === 'demo'
        ? 'demo'
        : { clientId: config.spotify.clientId ?? '', clientSecret: config.spotify.clientSecret },
      options.store,
    );
    const connection: SpotifyConnection = new SpotifyConnection(first, (app) => connect(app));
    cleanups.push(() => connection.close());
    const emulator = first.emulator;
    const tokenCache = connection.tokenCache;
    const spotify = connection.spotify;
    const settings = await SettingsStore.open(config, logger.child({ module: 'settings' }));
    applyToConfig(config, settings.current());
    settings.onChange((current) => applyToConfig(config, current));

    let redirectUri = config.spotify.redirectUri;
    const login = new LoginFlow({
      accounts: connection.accounts,
      redirectUri: () => redirectUri,
      scopes: config.spotify.scopes,
      clock,
      // A login supersedes the configured seed: remember its fingerprint so a restart keeps the login.
      onAuthorized: (result) =>
        tokenCache.setRefreshToken(result.refreshToken, {
          seedFingerprint: fingerprint(connection.current.seedRefreshToken) ?? '',
        }),
    });

    const parts: ServerParts = { config, logger, clock, spotify, tokenCache, settings };
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
      settings,
      connection,
      ...(emulator ? { emulatorUrl: emulator.url } : {}),
      ...(alarms ? { alarmReadiness: alarms.readiness } : {}),
    };
    const app = await buildApp(deps);
    cleanups.push(() => closeApp(app, config.shutdownTimeoutMs, logger));
    const collector = idleCollector(app, clock);
    if (collector) cleanups.push(() => collector.close());

    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${formatHost(config.host)}:${port}`;
    if (config.port === 0 && config.sources.SPOTIFY_REDIRECT_URI === undefined) {
      redirectUri = `http://127.0.0.1:${port}/callback`;
    }

    warnIfExposed(config, logger);
    logger.info({ url, mode: config.mode, store: first.store.kind }, `SpotiPi listening on ${url}`);
    // Alarms fire only once the server is up: a start that fails (port taken) fires nothing.
    await alarms?.start();
    // Start-up leaves its garbage (schema compilation, module set-up): collect it soon.
    collector?.activity(START_COLLECT_MS);

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      app,
      tokenCache,
      config,
      emulator,
      connection,
      settings,
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

/** Quiet time after the last request before a full collection: longer than any polling interval of an open page. */
const IDLE_COLLECT_MS = 20_000;
/** The first collection, after the start. */
const START_COLLECT_MS = 2_000;

/** Under `--expose-gc` (the server's Node flags), one full collection whenever requests stop. */
function idleCollector(app: FastifyInstance, clock: Clock): IdleCollector | undefined {
  const collect = exposedGc();
  if (!collect) return undefined;
  const collector = new IdleCollector({ collect, quietMs: IDLE_COLLECT_MS, clock });
  app.addHook('onResponse', async () => collector.activity());
  return collector;
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
