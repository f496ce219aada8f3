import { readlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import * as z from 'zod';
import { parseEncryptionKeyList } from '../token/stores/redis-crypto.js';

/**
 * Every setting SpotiPi reads, by its environment name. Values arrive as strings (from the
 * environment, a `.env` file, or a JSON config file normalised to strings) and are validated here.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z.string().min(1).optional();

const boolish = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'], { error: 'expected true or false' }))
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

function integer(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { error: `expected a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `expected a whole number between ${min} and ${max}` })
        .max(max, { error: `expected a whole number between ${min} and ${max}` }),
    );
}

function seconds(min: number, max: number) {
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { error: `expected a number of seconds between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `expected a number of seconds between ${min} and ${max}` })
        .max(max, { error: `expected a number of seconds between ${min} and ${max}` }),
    );
}

const httpBaseUrl = z
  .string()
  .trim()
  .refine((v) => isHttpUrl(v), { error: 'expected an http:// or https:// URL' })
  .transform((v) => v.replace(/\/+$/, ''));

/** Spotify accepts HTTPS redirect URIs, or plain HTTP only on a loopback IP literal (not `localhost`). */
const redirectUri = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    if (!isHttpUrl(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL' });
      return;
    }
    const url = new URL(v);
    if (url.protocol === 'http:' && url.hostname === 'localhost') {
      ctx.addIssue({
        code: 'custom',
        message: 'Spotify refuses "localhost" redirect URIs; use http://127.0.0.1:PORT/callback',
      });
    } else if (url.protocol === 'http:' && !['127.0.0.1', '[::1]'].includes(url.hostname)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'Spotify accepts plain http:// only for loopback (http://127.0.0.1:PORT/callback); use https://',
      });
    }
  });

const timeZone = z
  .string()
  .trim()
  .refine(isTimeZone, { error: 'expected an IANA time zone name such as Europe/Berlin' });

/** The raw (string-valued) settings schema. Keys are the environment variable names. */
export const settingsSchema = z.object({
  PORT: integer(0, 65535).default(5001),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  SPOTIFY_CLIENT_ID: optionalString,
  SPOTIFY_CLIENT_SECRET: optionalString,
  SPOTIFY_REFRESH_TOKEN: optionalString,
  SPOTIFY_REDIRECT_URI: redirectUri.optional(),
  SPOTIFY_ACCOUNTS_URL: httpBaseUrl.default('https://accounts.spotify.com'),
  SPOTIFY_API_URL: httpBaseUrl.default('https://api.spotify.com'),
  SPOTIFY_SCOPES: z.string().trim().min(1).optional(),
  SPOTIFY_MAX_RETRY_AFTER_SECONDS: seconds(0, 600).default(5),
  SPOTIPI_STATE_DIR: optionalString,
  TOKEN_REFRESH_AHEAD_SECONDS: seconds(0, 86_400).default(300),
  TOKEN_SAFETY_MARGIN_SECONDS: seconds(0, 3600).default(30),
  TOKEN_NEAR_EXPIRY_WARNING_SECONDS: seconds(0, 86_400).default(600),
  TOKEN_REFRESH_TIMEOUT_SECONDS: seconds(0.1, 600).default(10),
  TOKEN_REFRESH_MAX_ATTEMPTS: integer(1, 20).default(4),
  LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }))
    .default('info'),
  SPOTIPI_PASSWORD: z.string().min(8, { error: 'expected at least 8 characters' }).optional(),
  SPOTIPI_API_TOKEN: z.string().min(16, { error: 'expected at least 16 characters' }).optional(),
  SPOTIPI_SESSION_SECRET: z.string().min(32, { error: 'expected at least 32 characters' }).optional(),
  SPOTIPI_ALLOWED_HOSTS: z
    .string()
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .pipe(
      z.array(z.string().refine(isHostName, { error: 'expected host names such as pi.local,spotipi.home' })),
    )
    .optional(),
  SPOTIPI_TRUST_PROXY: z
    .string()
    .trim()
    .refine(isTrustProxy, {
      error: 'expected true, false, or the proxy addresses (e.g. 127.0.0.1 or 10.0.0.0/8), comma-separated',
    })
    .optional(),
  SPOTIPI_MAX_CONNECTIONS: integer(8, 10_000).default(256),
  SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: integer(1, 10_000).default(64),
  SPOTIPI_REQUEST_TIMEOUT_SECONDS: seconds(1, 600).default(30),
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => /^rediss?:\/\//.test(v) && URL.canParse(v), {
      error: 'expected a redis:// or rediss:// URL',
    })
    .optional(),
  SPOTIPI_REDIS_KEY: z
    .string()
    .trim()
    .refine(isEncryptionKey, {
      error:
        'expected 32 bytes as 64 hex characters or base64 (openssl rand -base64 32), or a comma-separated list of them (the first writes, all read; "plaintext" for none)',
    })
    .optional(),
  SPOTIPI_DEMO: boolish.optional(),
  SPOTIPI_DEMO_TOKEN_LIFETIME_SECONDS: integer(10, 86_400).default(3600),
  SPOTIPI_TIMEZONE: timeZone.optional(),
  SPOTIPI_SNOOZE_MINUTES: integer(1, 120).default(9),
  SPOTIPI_ALARM_GRACE_MINUTES: integer(0, 720).default(10),
  SPOTIPI_FALLBACK_COMMAND: optionalString,
  SPOTIPI_FALLBACK_AFTER_SECONDS: integer(10, 3600).default(120),
  SPOTIPI_DEVICE_FALLBACK_SECONDS: integer(0, 3600).default(120),
  TZ: z.string().optional(),
  LIBRARY_CACHE_SECONDS: seconds(0, 86_400).default(60),
  SPOTIPI_LOW_POWER: boolish.default(false),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(0, 300).default(10),
});

export type RawSettings = z.output<typeof settingsSchema>;

/** Names of every known setting. */
export const SETTING_KEYS = Object.keys(settingsSchema.shape) as (keyof typeof settingsSchema.shape)[];

/** Settings whose values must never be echoed in messages. */
export const SECRET_KEYS = new Set([
  'SPOTIFY_CLIENT_SECRET',
  'SPOTIFY_REFRESH_TOKEN',
  'SPOTIPI_PASSWORD',
  'SPOTIPI_API_TOKEN',
  'SPOTIPI_SESSION_SECRET',
  'REDIS_URL',
  'SPOTIPI_REDIS_KEY',
]);

/** A DNS name (letters, digits, hyphens, dots) or an IP literal; ports do not belong here. */
function isHostName(v: string): boolean {
  const host = v.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return (
    isIP(host) !== 0 ||
    /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/.test(host)
  );
}

/** `true`/`false`, or a comma list of proxy addresses or CIDR ranges (what Fastify's trustProxy takes). */
function isTrustProxy(v: string): boolean {
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(v)) return true;
  return v
    .split(/[\s,]+/)
    .filter(Boolean)
    .every((part) => {
      const [address = '', bits, ...rest] = part.split('/');
      if (rest.length > 0 || isIP(address) === 0) return false;
      return (
        bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 4 ? 32 : 128))
      );
    });
}

function isEncryptionKey(v: string): boolean {
  try {
    parseEncryptionKeyList(v);
    return true;
  } catch {
    return false;
  }
}

function isHttpUrl(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const { protocol } = new URL(v);
  return protocol === 'http:' || protocol === 'https:';
}

function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}

/**
 * The machine's time zone, or UTC when it cannot be told. Without TZ it is read from the
 * /etc/localtime link (where ICU reads it too) before asking Intl: ICU's first time-zone lookup
 * touches ~6 MB of the Node binary and ~2 MB of private memory, which a server waits for until
 * an alarm needs a time zone.
 */
export function machineTimeZone(
  tzEnv: string | undefined,
  localtimeLink: () => string | undefined = readLocaltimeLink,
): string {
  const named = tzEnv?.replace(/^:/, '');
  if (named && isTimeZone(named)) return named;
  if (!named) {
    const linked = zoneOfLink(localtimeLink());
    if (linked) return linked;
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** `Europe/Berlin` from a link target such as `/usr/share/zoneinfo/Europe/Berlin`; undefined if it is not one. */
export function zoneOfLink(target: string | undefined): string | undefined {
  const zone = target && /\/zoneinfo\/(?:posix\/|right\/)?([A-Za-z][\w+-]*(?:\/[\w+-]+)*)$/.exec(target)?.[1];
  return zone || undefined;
}

function readLocaltimeLink(): string | undefined {
  try {
    return readlinkSync('/etc/localtime');
  } catch {
    return undefined; // not a link (a copied file) or absent: Intl decides
  }
}
