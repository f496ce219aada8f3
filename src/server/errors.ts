import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AlarmError, ConflictError, NotFoundError, ValidationError } from '../alarm/errors.js';
import { SettingLockedError, SettingsValidationError } from '../settings/settings-store.js';
import {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyConfigError,
  SpotifyError,
  SpotifyOAuthError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from '../spotify/errors.js';
import { ReauthorizationRequiredError, TokenUnavailableError } from '../token/errors.js';
import { type MessageKey, requestLanguage, type ServerLanguage, translate } from './i18n.js';

/** The JSON error body every route answers with. */
export interface ErrorBody {
  error: {
    status: number;
    message: string;
    field?: string;
    /** Where to log in again (401 from Spotify). */
    login_url?: string;
    retry_after_seconds?: number;
  };
}

/** An error with an HTTP status and a message safe to show the user. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: {
      field?: string;
      loginUrl?: string;
      retryAfterSeconds?: number;
      /** Catalogue key of the message, for answers in the user's language. */
      i18n?: MessageKey;
    } = {},
  ) {
    super(message);
  }

  /** The JSON body for this error, its message in `lang` when the catalogue has it. */
  toBody(lang: ServerLanguage = 'en'): ErrorBody {
    const message = this.extra.i18n ? translate(this.extra.i18n, lang, this.message) : this.message;
    const body: ErrorBody = { error: { status: this.status, message } };
    if (this.extra.field !== undefined) body.error.field = this.extra.field;
    if (this.extra.loginUrl !== undefined) body.error.login_url = this.extra.loginUrl;
    if (this.extra.retryAfterSeconds !== undefined)
      body.error.retry_after_seconds = this.extra.retryAfterSeconds;
    return body;
  }
}

/** 400: bad input, naming the field. */
export const badRequest = (message: string, field?: string, i18n?: MessageKey) =>
  new HttpError(400, message, { ...(field === undefined ? {} : { field }), ...(i18n ? { i18n } : {}) });
/** 401: SpotiPi's own password or API token is missing or wrong. */
export const unauthenticated = (message?: string) =>
  new HttpError(401, message ?? 'Log in to SpotiPi first (password or API token).', {
    ...(message === undefined ? { i18n: { key: 'error.unauthenticated' } } : {}),
  });
/** 401: Spotify needs the user to log in again. */
export const reauthorizationRequired = () =>
  new HttpError(401, 'Spotify needs you to log in again: open /login (or run `spotipi login`).', {
    loginUrl: '/login',
    i18n: { key: 'error.reauth' },
  });
/** 403: refused (cross-site request). */
export const forbidden = (message: string, i18n?: MessageKey) =>
  new HttpError(403, message, i18n ? { i18n } : {});
/** 403 for a request another site's page made. */
export const crossSite = () => forbidden('Cross-site request refused.', { key: 'error.crossSite' });
/** 421: the request names a host SpotiPi does not answer to (the DNS-rebinding guard). */
export const misdirectedHost = (host: string) => {
  const shown = host.slice(0, 100);
  const example = /^[a-z0-9.-]+$/.test(shown) ? shown : 'pi.local';
  return new HttpError(
    421,
    `SpotiPi does not answer to the name "${shown}". If you reach it by this name, add it to SPOTIPI_ALLOWED_HOSTS (e.g. SPOTIPI_ALLOWED_HOSTS=${example}) and restart.`,
    { field: 'host', i18n: { key: 'error.host', params: { host: shown, example } } },
  );
};
/** 429 with Retry-After: this client asked too often. */
export const tooManyRequests = (message: string, retryAfterSeconds: number, i18n?: MessageKey) =>
  new HttpError(429, message, { retryAfterSeconds, ...(i18n ? { i18n } : {}) });
/** 404. */
export const notFound = (message?: string) =>
  new HttpError(
    404,
    message ?? 'Not found',
    message === undefined ? { i18n: { key: 'error.notFound' } } : {},
  );
/** 409: no active Spotify device. */
export const noActiveDevice = () =>
  new HttpError(
    409,
    'No active Spotify device. Open Spotify on your phone, computer or speaker, or choose a device (PUT /api/playback/device), then try again.',
    { i18n: { key: 'error.noDevice' } },
  );
/** 503 with Retry-After: Spotify is rate limiting us. */
export const rateLimited = (retryAfterSeconds: number) =>
  new HttpError(503, `Spotify is rate limiting requests; try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
    i18n: { key: 'error.rateLimited', params: { seconds: retryAfterSeconds } },
  });
/** 502: Spotify could not be reached or answered badly. */
export const spotifyUnavailable = (detail?: string) =>
  new HttpError(
    502,
    `Spotify is not answering right now${detail ? ` (${detail})` : ''}; try again shortly.`,
    {
      i18n: { key: 'error.spotifyUnavailable', params: { detail: detail ? ` (${detail})` : '' } },
    },
  );

/** Maps any thrown value to an HttpError whose message is safe to send (no secrets, no stack). */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof NoActiveDeviceError) return noActiveDevice();
  if (err instanceof ReauthorizationRequiredError || err instanceof SpotifyUnauthorizedError) {
    return reauthorizationRequired();
  }
  if (err instanceof TokenUnavailableError) {
    if (err.cause instanceof ReauthorizationRequiredError) return reauthorizationRequired();
    if (err.cause instanceof SpotifyConfigError) return configProblem(err.cause);
    // The token endpoint said Retry-After: rate limited, not down.
    if (err.retryAfterMs !== undefined) return rateLimited(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    return spotifyUnavailable('no access token could be obtained');
  }
  if (err instanceof SpotifyRateLimitedError)
    return rateLimited(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  if (err instanceof SpotifyUnavailableError)
    return spotifyUnavailable(err.status ? `HTTP ${err.status}` : undefined);
  if (err instanceof SpotifyConfigError) return configProblem(err);
  if (err instanceof SpotifyOAuthError) {
    return new HttpError(400, `Spotify refused the login (${err.oauthError}); start again at /login.`, {
      i18n: { key: 'error.login.refused', params: { error: err.oauthError } },
    });
  }
  if (err instanceof SpotifyApiError) {
    const said = err.spotifyMessage ? `: ${err.spotifyMessage}` : '';
    const i18n = (key: string) => ({ i18n: { key, params: { said } } });
    if (err.status === 400)
      return new HttpError(400, `Spotify rejected the request${said}`, i18n('error.spotify.rejected'));
    if (err.status === 403)
      return new HttpError(403, `Spotify refused the request${said}`, i18n('error.spotify.refused'));
    if (err.status === 404)
      return new HttpError(404, `Spotify could not find it${said}`, i18n('error.spotify.notFound'));
    return spotifyUnavailable(`HTTP ${err.status}`);
  }
  if (err instanceof SpotifyError) return spotifyUnavailable();
  if (err instanceof AlarmError) return alarmError(err);
  if (err instanceof SettingsValidationError) {
    return badRequest(err.message, err.field, {
      key: err.key,
      params: { ...err.params, field: err.field },
    });
  }
  if (err instanceof SettingLockedError) {
    return new HttpError(409, err.message, {
      field: err.field,
      i18n: { key: 'error.settings.locked', params: { field: err.field, env: err.env, source: err.source } },
    });
  }
  const fastifyErr = err as Partial<FastifyError> | undefined;
  if (fastifyErr && typeof fastifyErr === 'object' && fastifyErr.validation) {
    return validationError(fastifyErr as FastifyError);
  }
  const status = fastifyErr?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [message, key] = clientErrorMessage(fastifyErr as FastifyError);
    // A body that cannot be parsed (bad JSON, too large, wrong type) is the field at fault.
    const field = fastifyErr?.code?.startsWith('FST_ERR_CTP_') ? { field: 'body' } : {};
    return new HttpError(status, message, { ...field, ...(key ? { i18n: { key } } : {}) });
  }
  return new HttpError(500, 'Internal error; the details are in the server log.', {
    i18n: { key: 'error.internal' },
  });
}

/** The alarm module's errors keep their status, message and field; other languages get the catalogue's words. */
function alarmError(err: AlarmError): HttpError {
  if (err instanceof ValidationError) {
    const field = err.field;
    if (field === undefined) return badRequest(err.message);
    return badRequest(err.message, field, { key: 'error.invalidField', params: { field } });
  }
  if (err instanceof NotFoundError)
    return new HttpError(404, err.message, { i18n: { key: 'error.notFound' } });
  if (err instanceof ConflictError) {
    return new HttpError(409, err.message, { i18n: { key: `error.alarm.${err.reason}` } });
  }
  return new HttpError(err.status, err.message);
}

function configProblem(err: SpotifyConfigError): HttpError {
  const settings = err.settings.join(' and ');
  return new HttpError(500, `Spotify rejected SpotiPi's app credentials: check ${settings}.`, {
    i18n: { key: 'error.appCredentials', params: { settings: err.settings.join(', ') } },
  });
}

function clientErrorMessage(err: FastifyError): [string, string | undefined] {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ['The request body is not valid JSON.', 'error.invalidJson'];
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ['The request body is too large.', 'error.bodyTooLarge'];
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ['Unsupported content type; send application/json.', 'error.mediaType'];
    default:
      // Fastify's 4xx messages describe the request, not server internals.
      return [err.message, undefined];
  }
}

function validationError(err: FastifyError): HttpError {
  const first = err.validation?.[0];
  const context = err.validationContext ?? 'body';
  let field = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.') ?? '';
  const params = (first?.params ?? {}) as Record<string, unknown>;
  if (typeof params.missingProperty === 'string')
    field = field ? `${field}.${params.missingProperty}` : params.missingProperty;
  if (typeof params.additionalProperty === 'string') {
    field = field ? `${field}.${params.additionalProperty}` : params.additionalProperty;
    return badRequest(`Unknown field "${field}" in ${context}.`, field, {
      key: 'error.unknownField',
      params: { field },
    });
  }
  if (!field) field = context;
  const what = first?.message ?? 'is invalid';
  return badRequest(`${context === 'body' ? '' : `${context} `}${field} ${what}`.trim(), field, {
    key: 'error.invalidField',
    params: { field },
  });
}

/** Fastify error handler: every failure becomes the JSON error shape; only 5xx are logged with detail. */
export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const httpErr = toHttpError(err);
  if (httpErr.status >= 500 && !(err instanceof HttpError)) {
    request.log.error({ err: sanitizeForLog(err) }, 'request failed');
  } else if (httpErr.status >= 500) {
    request.log.warn({ status: httpErr.status, reason: httpErr.message }, 'request failed');
  }
  if (httpErr.extra.retryAfterSeconds !== undefined) {
    void reply.header('retry-after', String(httpErr.extra.retryAfterSeconds));
  }
  const lang = requestLanguage(request.query, request.headers['accept-language']);
  void reply.status(httpErr.status).type('application/json').send(httpErr.toBody(lang));
}

/** Keeps name/message/stack of an error for the log; messages of our errors never carry secrets. */
function sanitizeForLog(err: unknown): unknown {
  if (err instanceof Error) return { type: err.name, message: err.message, stack: err.stack };
  return { type: typeof err };
}
