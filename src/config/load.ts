import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import envPaths from 'env-paths';
import { readSpotifyAppSync } from '../setup/spotify-app-file.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { machineTimeZone, type RawSettings, SECRET_KEYS, SETTING_KEYS, settingsSchema } from './settings.js';

/** Source name of settings saved by first-run setup in the state dir. */
export const SETUP_SOURCE = 'setup';

/** Spotify scopes SpotiPi asks for at login: playback control, library reading and liking, listening history, profile. */
export const DEFAULT_SCOPES = [
  'user-read-playback-state',
  'user-modify-playback-state',
  'user-read-currently-playing',
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-library-read',
  'user-library-modify',
  'user-follow-read',
  'user-read-recently-played',
  'user-top-read',
  'user-read-private',
];

export type LogLevel = RawSettings['LOG_LEVEL'];

/** SpotiPi's validated configuration; read once at start and passed down. */
export interface Config {
  port: number;
  host: string;
  /** 'demo' when no Spotify client id is configured (or SPOTIPI_DEMO=true): runs on the emulator. */
  mode: 'demo' | 'spotify';
  spotify: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    /** Seeds the token store only; a rotated stored token wins while this value is unchanged. */
    refreshToken: string | undefined;
    redirectUri: string;
    accountsUrl: string;
    apiUrl: string;
    scopes: string[];
    /** Longest Retry-After the Web API client waits out itself before reporting rate limiting. */
    maxRetryAfterMs: number;
  };
  stateDir: string;
  tokenCache: {
    refreshAheadMs: number;
    safetyMarginMs: number;
    nearExpiryWarningMs: number;
    refreshTimeoutMs: number;
    maxAttempts: number;
  };
  logLevel: LogLevel;
  access: {
    password: string | undefined;
    apiToken: string | undefined;
    /** Signs session cookies; when unset one is generated and kept in the state dir. */
    sessionSecret: string | undefined;
    /** Host names served besides loopback, IP literals and the bound address (DNS-rebinding guard). */
    allowedHosts: string[];
    /** Fastify's trustProxy: false, true (every hop) or the proxies' addresses/CIDR ranges. */
    trustProxy: boolean | string[];
  };
  /** Limits that keep slow or greedy clients from starving the server (and the alarm) of sockets. */
  limits: {
    /** Open connections at most, from all clients together. */
    maxConnections: number;
    /** Open connections at most from one client address. */
    maxConnectionsPerClient: number;
    /** Longest a request (headers and body) may take to arrive. */
    requestTimeoutMs: number;
  };
  redisUrl: string | undefined;
  /** Key that encrypts tokens at rest in Redis (validated; never logged). */
  redisEncryptionKey: string | undefined;
  demo: { tokenLifetimeSec: number };
  /** Default time zone for alarms. */
  timezone: string;
  /** Default snooze length of alarms. */
  snoozeMinutes: number;
  /** How late an alarm missed while the server was down may still fire (and how long a ring retries Spotify). */
  alarmGraceMs: number;
  /** The fallback chime: player command setting (undefined = aplay when present; "off") and delay. */
  fallback: { command: string | undefined; afterMs: number };
  /** How long an alarm keeps trying its configured (idle or absent) speaker before another device plays. */
  deviceFallbackMs: number;
  libraryCacheMs: number;
  /** SPOTIPI_LOW_POWER: the Pi Zero profile (small-heap V8 flags, slower UI polling). */
  lowPower: boolean;
  shutdownTimeoutMs: number;
  /** Where each setting's value came from, for diagnostics (never the values). */
  sources: Record<string, string>;
}

/** Where configuration is read from; everything is injectable for tests. */
export interface ConfigSources {
  /** The process environment (the CLI passes `process.env`). */
  env: Record<string, string | undefined>;
  /** Path of a JSON config file; otherwise `SPOTIPI_CONFIG` from env; otherwise none. */
  configPath?: string | undefined;
  /** Path of a .env file; otherwise `SPOTIPI_ENV_FILE`; otherwise `.env` in `cwd` if present. */
  envFile?: string | undefined;
  cwd?: string;
}

/**
 * Loads and validates configuration. Precedence: environment > .env file > config file > defaults.
 * Throws ConfigError listing every invalid or missing setting at once.
 */
export function loadConfig(sources: ConfigSources): Config {
  const cwd = sources.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const layers: { name: string; values: Record<string, string> }[] = [];

  const configPath = sources.configPath ?? nonEmpty(sources.env.SPOTIPI_CONFIG);
  if (configPath) {
    const values = readConfigFile(resolve(cwd, configPath), problems);
    if (values) layers.push({ name: 'config file', values });
  }

  const explicitEnvFile = sources.envFile ?? nonEmpty(sources.env.SPOTIPI_ENV_FILE);
  const envFilePath = resolve(cwd, explicitEnvFile ?? '.env');
  const envFileValues = readEnvFile(envFilePath, explicitEnvFile !== undefined, problems);
  if (envFileValues) layers.push({ name: '.env file', values: envFileValues });

  layers.push({ name: 'environment', values: pickKnown(sources.env) });

  const merged: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      // An empty value (`SPOTIFY_CLIENT_SECRET=` in a .env template) means "not set".
      if (value.trim() === '') continue;
      merged[key] = value;
      origin[key] = layer.name;
    }
  }

  // The app saved by first-run setup (web or `spotipi setup`) is the lowest layer, used only when
  // no other layer names a client id, so an id from one place never pairs with another's secret.
  if (merged.SPOTIFY_CLIENT_ID === undefined) {
    const stateDir = merged.SPOTIPI_STATE_DIR
      ? resolve(cwd, merged.SPOTIPI_STATE_DIR)
      : envPaths('spotipi', { suffix: '' }).data;
    const app = readSpotifyAppSync(stateDir);
    if (app) {
      merged.SPOTIFY_CLIENT_ID = app.client_id;
      origin.SPOTIFY_CLIENT_ID = SETUP_SOURCE;
      if (app.client_secret && merged.SPOTIFY_CLIENT_SECRET === undefined) {
        merged.SPOTIFY_CLIENT_SECRET = app.client_secret;
        origin.SPOTIFY_CLIENT_SECRET = SETUP_SOURCE;
      }
    }
  }

  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? '(root)');
      const value = merged[key];
      const shown = value !== undefined && !SECRET_KEYS.has(key) ? `, got ${JSON.stringify(value)}` : '';
      problems.push({ key, message: `${issue.message}${shown}`, source: origin[key] });
    }
  }
  const demoOff = /^(0|false|no|off)$/i.test(merged.SPOTIPI_DEMO?.trim() ?? '');
  if (demoOff && merged.SPOTIFY_CLIENT_ID === undefined) {
    problems.push({
      key: 'SPOTIFY_CLIENT_ID',
      message:
        'required when SPOTIPI_DEMO=false (register an app at https://developer.spotify.com/dashboard)',
    });
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const s = parsed.data;
  const demo = s.SPOTIPI_DEMO ?? s.SPOTIFY_CLIENT_ID === undefined;

  return {
    port: s.PORT,
    host: s.HOST,
    mode: demo ? 'demo' : 'spotify',
    spotify: {
      clientId: s.SPOTIFY_CLIENT_ID,
      clientSecret: s.SPOTIFY_CLIENT_SECRET,
      refreshToken: s.SPOTIFY_REFRESH_TOKEN,
      redirectUri: s.SPOTIFY_REDIRECT_URI ?? `http://127.0.0.1:${s.PORT}/callback`,
      accountsUrl: s.SPOTIFY_ACCOUNTS_URL,
      apiUrl: s.SPOTIFY_API_URL,
      scopes: s.SPOTIFY_SCOPES ? s.SPOTIFY_SCOPES.split(/[\s,]+/).filter(Boolean) : DEFAULT_SCOPES,
      maxRetryAfterMs: s.SPOTIFY_MAX_RETRY_AFTER_SECONDS * 1000,
    },
    stateDir: s.SPOTIPI_STATE_DIR
      ? resolve(cwd, s.SPOTIPI_STATE_DIR)
      : envPaths('spotipi', { suffix: '' }).data,
    tokenCache: {
      refreshAheadMs: s.TOKEN_REFRESH_AHEAD_SECONDS * 1000,
      safetyMarginMs: s.TOKEN_SAFETY_MARGIN_SECONDS * 1000,
      nearExpiryWarningMs: s.TOKEN_NEAR_EXPIRY_WARNING_SECONDS * 1000,
      refreshTimeoutMs: s.TOKEN_REFRESH_TIMEOUT_SECONDS * 1000,
      maxAttempts: s.TOKEN_REFRESH_MAX_ATTEMPTS,
    },
    logLevel: s.LOG_LEVEL,
    access: {
      password: s.SPOTIPI_PASSWORD,
      apiToken: s.SPOTIPI_API_TOKEN,
      sessionSecret: s.SPOTIPI_SESSION_SECRET,
      allowedHosts: (s.SPOTIPI_ALLOWED_HOSTS ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')),
      trustProxy: parseTrustProxy(s.SPOTIPI_TRUST_PROXY),
    },
    limits: {
      maxConnections: s.SPOTIPI_MAX_CONNECTIONS,
      maxConnectionsPerClient: s.SPOTIPI_MAX_CONNECTIONS_PER_CLIENT,
      requestTimeoutMs: s.SPOTIPI_REQUEST_TIMEOUT_SECONDS * 1000,
    },
    redisUrl: s.REDIS_URL,
    redisEncryptionKey: s.SPOTIPI_REDIS_KEY,
    demo: { tokenLifetimeSec: s.SPOTIPI_DEMO_TOKEN_LIFETIME_SECONDS },
    timezone: s.SPOTIPI_TIMEZONE ?? machineTimeZone(s.TZ),
    snoozeMinutes: s.SPOTIPI_SNOOZE_MINUTES,
    alarmGraceMs: s.SPOTIPI_ALARM_GRACE_MINUTES * 60_000,
    fallback: { command: s.SPOTIPI_FALLBACK_COMMAND, afterMs: s.SPOTIPI_FALLBACK_AFTER_SECONDS * 1000 },
    deviceFallbackMs: s.SPOTIPI_DEVICE_FALLBACK_SECONDS * 1000,
    libraryCacheMs: s.LIBRARY_CACHE_SECONDS * 1000,
    lowPower: s.SPOTIPI_LOW_POWER,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_SECONDS * 1000,
    sources: origin,
  };
}

function parseTrustProxy(v: string | undefined): boolean | string[] {
  if (v === undefined || /^(0|false|no|off)$/i.test(v)) return false;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  return v.split(/[\s,]+/).filter(Boolean);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.trim() !== '' ? v : undefined;
}

function pickKnown(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function readEnvFile(
  path: string,
  explicit: boolean,
  problems: ConfigProblem[],
): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    problems.push({ key: 'SPOTIPI_ENV_FILE', message: `cannot read ${path} (${code ?? 'error'})` });
    return undefined;
  }
  // Same grammar as `node --env-file` / process.loadEnvFile.
  return pickKnown(parseEnv(text) as Record<string, string>);
}

function readConfigFile(path: string, problems: ConfigProblem[]): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ key: 'SPOTIPI_CONFIG', message: `cannot read ${path} (${code ?? 'error'})` });
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    problems.push({
      key: 'SPOTIPI_CONFIG',
      message: `${path} is not valid JSON (${(err as Error).message})`,
    });
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push({ key: 'SPOTIPI_CONFIG', message: `${path} must hold a JSON object of settings` });
    return undefined;
  }
  const known = new Set<string>(SETTING_KEYS);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!known.has(key)) {
      problems.push({ key, message: 'unknown setting', source: 'config file' });
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = String(value);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      out[key] = value.join(' ');
    } else {
      problems.push({ key, message: 'expected a string, number or boolean', source: 'config file' });
    }
  }
  return out;
}

/** Joins a file name onto the state dir (one place that decides where state files live). */
export function statePath(config: Pick<Config, 'stateDir'>, name: string): string {
  return isAbsolute(name) ? name : join(config.stateDir, name);
}
