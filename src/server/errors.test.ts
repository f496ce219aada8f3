import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../alarm/errors.js';
import {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyConfigError,
  SpotifyOAuthError,
  SpotifyProtocolError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from '../spotify/errors.js';
import {
  ReauthorizationRequiredError,
  RetryableRefreshError,
  TokenUnavailableError,
} from '../token/errors.js';
import { crossSite, HttpError, misdirectedHost, toHttpError, tooManyRequests } from './errors.js';

describe('toHttpError', () => {
  const cases: [string, unknown, number, Record<string, unknown>?][] = [
    [
      'no active device',
      new NoActiveDeviceError('404', 404, 'PUT /v1/me/player/pause', 'NO_ACTIVE_DEVICE'),
      409,
    ],
    ['a dead grant', new ReauthorizationRequiredError('invalid_grant'), 401, { login_url: '/login' }],
    [
      'a 401 after the retry',
      new SpotifyUnauthorizedError('401', 401, 'GET /v1/me'),
      401,
      { login_url: '/login' },
    ],
    [
      'no token because the grant died',
      new TokenUnavailableError('x', { cause: new ReauthorizationRequiredError('invalid_grant') }),
      401,
    ],
    [
      'no token because Spotify is down',
      new TokenUnavailableError('x', { cause: new RetryableRefreshError('503') }),
      502,
    ],
    [
      'rate limiting',
      new SpotifyRateLimitedError('429', 41_200, 'GET /v1/me'),
      503,
      { retry_after_seconds: 42 },
    ],
    ['Spotify unavailable', new SpotifyUnavailableError('down', 'GET /v1/me', 503), 502],
    ['a bad client id', new SpotifyConfigError('invalid_client'), 500],
    ['a refused code exchange', new SpotifyOAuthError('bad code', 400, 'invalid_grant'), 400],
    [
      'a Spotify 400',
      new SpotifyApiError('400', 400, 'PUT /v1/me/player/play', undefined, 'Invalid context uri'),
      400,
    ],
    ['a Spotify 403', new SpotifyApiError('403', 403, 'PUT /v1/me/player/play', 'PREMIUM_REQUIRED'), 403],
    ['a Spotify 500', new SpotifyApiError('500', 500, 'GET /v1/me'), 502],
    ['malformed Spotify JSON', new SpotifyProtocolError('bad json', 'GET /v1/me'), 502],
  ];
  for (const [what, err, status, extra] of cases) {
    it(`maps ${what} to ${status}`, () => {
      const mapped = toHttpError(err);
      expect(mapped.status).toBe(status);
      expect(mapped.toBody().error).toMatchObject({ status, ...(extra ?? {}) });
      expect(mapped.message.length).toBeGreaterThan(10);
    });
  }

  it('hides the message of an unexpected error behind a generic 500', () => {
    const mapped = toHttpError(new TypeError('secret internals at /srv/app.ts:12'));
    expect(mapped.status).toBe(500);
    expect(mapped.message).not.toContain('internals');
  });

  it('names the settings to check when Spotify refuses the client', () => {
    expect(toHttpError(new SpotifyConfigError('invalid_client')).message).toContain('SPOTIFY_CLIENT_ID');
  });

  it("keeps an alarm error's status, message and field, and says it in German from the catalogue", () => {
    const invalid = toHttpError(new ValidationError('volume must be at most 100', 'volume'));
    expect(invalid.toBody()).toEqual({
      error: { status: 400, message: 'volume must be at most 100', field: 'volume' },
    });
    expect(invalid.toBody('de').error).toEqual({
      status: 400,
      message: 'volume ist ungültig.',
      field: 'volume',
    });
    expect(toHttpError(new NotFoundError('no alarm with id "x"')).toBody('de').error).toEqual({
      status: 404,
      message: 'Nicht gefunden',
    });
    expect(toHttpError(new ConflictError('alarm x is not ringing', 'notRinging')).status).toBe(409);
  });

  it('says every error a user can meet in German for a German page, with its parameters filled in', () => {
    const errors = [
      toHttpError(new ConflictError('alarm x is not ringing', 'notRinging')),
      toHttpError(new ConflictError('alarm x is not ringing or snoozed', 'notRingingOrSnoozed')),
      toHttpError(new ConflictError('alarm x is ringing or snoozed; stop it first', 'busy')),
      toHttpError(new SpotifyOAuthError('bad code', 400, 'invalid_grant')),
      toHttpError(new SpotifyApiError('GET /v1/x failed', 404, 'GET /v1/x', undefined, 'Not found.')),
      toHttpError(new SpotifyApiError('PUT /v1/x failed', 403, 'PUT /v1/x', undefined, 'Restricted device')),
      toHttpError(new SpotifyApiError('PUT /v1/x failed', 400, 'PUT /v1/x', undefined, 'Bad thing')),
      toHttpError(new SpotifyConfigError('invalid_client')),
      crossSite(),
      misdirectedHost('evil.example'),
      tooManyRequests('Too many requests; try again in 7 s.', 7, {
        key: 'error.tooManyRequests',
        params: { seconds: 7 },
      }),
    ];
    for (const err of errors) {
      const german = err.toBody('de').error.message;
      expect(german, err.message).not.toBe(err.message);
      expect(german, err.message).not.toMatch(/\{\w+\}/);
    }
    expect(errors[3]!.toBody('de').error.message).toContain('invalid_grant');
    expect(errors[9]!.toBody('de').error.message).toContain('SPOTIPI_ALLOWED_HOSTS=evil.example');
    expect(errors[10]!.toBody('de').error.message).toContain('7 s');
  });

  it('keeps an HttpError as it is', () => {
    const err = new HttpError(418, 'short and stout', { field: 'pot' });
    expect(toHttpError(err)).toBe(err);
    expect(err.toBody()).toEqual({ error: { status: 418, message: 'short and stout', field: 'pot' } });
  });
});
