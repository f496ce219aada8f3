import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/index.js';

/** Placeholder written instead of a secret. */
export const REDACTED = '[redacted]';

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'clientSecret',
  'client_secret',
  'code',
  'code_verifier',
  'codeVerifier',
  'password',
  'apiToken',
  'sessionSecret',
  'token',
  'redirect_url',
];

/**
 * Paths pino removes from every log line: the secret fields at the top level and one or two
 * levels down, plus request/response headers that carry credentials.
 */
export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers["set-cookie"]',
];

/** Query parameters whose values never reach a log line (`/callback?code=...`). */
const SECRET_QUERY = /([?&](?:code|state|access_token|refresh_token|token|password)=)[^&#]*/gi;

/** Replaces secret query values in a URL with a placeholder. */
export function scrubUrl(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

interface ReplyLike {
  statusCode?: number;
}

/** SpotiPi's pino logger, with secrets redacted by path and scrubbed from logged URLs. */
export function createLogger(level: LogLevel, destination?: DestinationStream): PinoLogger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req: (req: RequestLike) => ({
        method: req.method,
        url: scrubUrl(req.url ?? ''),
        remoteAddress: req.ip,
      }),
      res: (res: ReplyLike) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { PinoLogger };
