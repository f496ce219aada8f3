import { describe, expect, it } from 'vitest';
import {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyConfigError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from '../spotify/errors.js';
import { ReauthorizationRequiredError, TokenUnavailableError } from '../token/errors.js';
import { ACTIONS, actionFor, type ErrorKind, kindOf, NoDeviceError, type WakeStep } from './error-kinds.js';

const api = (status: number, reason?: string) =>
  new SpotifyApiError(`HTTP ${status}`, status, 'PUT /v1/me/player/volume', reason);

describe('Spotify error classes to kinds (instanceof, not name)', () => {
  const cases: [string, unknown, ErrorKind][] = [
    ['a dead grant', new ReauthorizationRequiredError('invalid_grant'), 'auth'],
    [
      'a 401 that survived a fresh token',
      new SpotifyUnauthorizedError('401', 401, 'GET /v1/me/player'),
      'auth',
    ],
    ['bad client settings', new SpotifyConfigError('invalid_client'), 'config'],
    [
      'no active device',
      new NoActiveDeviceError('404', 404, 'PUT /v1/me/player/play', 'NO_ACTIVE_DEVICE'),
      'no_device',
    ],
    ['our own "no device yet"', new NoDeviceError('none'), 'no_device'],
    ['403 VOLUME_CONTROL_DISALLOW', api(403, 'VOLUME_CONTROL_DISALLOW'), 'volume_locked'],
    ['another 403 (no Premium)', api(403, 'PREMIUM_REQUIRED'), 'forbidden'],
    ['a 400', api(400), 'bad_request'],
    ['a 404 device not found', api(404), 'no_device'],
    ['a 429', new SpotifyRateLimitedError('slow down', 30_000, 'GET /v1/me/player/devices'), 'rate_limited'],
    ['a 502 from the API', api(502), 'unavailable'],
    [
      'a network failure',
      new SpotifyUnavailableError('ECONNRESET', 'GET /v1/me/player/devices'),
      'unavailable',
    ],
    ['no token (token endpoint down)', new TokenUnavailableError('refresh failed'), 'unavailable'],
    ['anything else', new TypeError('fetch failed'), 'unavailable'],
  ];
  for (const [what, err, kind] of cases) {
    it(`${what} is ${kind}`, () => expect(kindOf(err)).toBe(kind));
  }

  it('does not trust a look-alike name: an Error named SpotifyApiError with status 403 is not permanent', () => {
    const fake = Object.assign(new Error('x'), { name: 'SpotifyApiError', status: 403 });
    expect(kindOf(fake)).toBe('unavailable');
  });
});

describe('kind x step to action', () => {
  const expected: Record<WakeStep, Record<ErrorKind, string>> = {
    resolve: {
      auth: 'give_up',
      config: 'give_up',
      bad_request: 'give_up',
      forbidden: 'give_up',
      no_device: 'retry',
      volume_locked: 'skip',
      rate_limited: 'wait',
      unavailable: 'retry',
    },
    transfer: {
      auth: 'give_up',
      config: 'give_up',
      bad_request: 'give_up',
      forbidden: 'give_up',
      no_device: 'retry',
      volume_locked: 'skip',
      rate_limited: 'wait',
      unavailable: 'retry',
    },
    volume: {
      auth: 'give_up',
      config: 'give_up',
      bad_request: 'skip',
      forbidden: 'skip',
      no_device: 'retry',
      volume_locked: 'skip',
      rate_limited: 'wait',
      unavailable: 'retry',
    },
    shuffle: {
      auth: 'skip',
      config: 'skip',
      bad_request: 'skip',
      forbidden: 'skip',
      no_device: 'skip',
      volume_locked: 'skip',
      rate_limited: 'skip',
      unavailable: 'skip',
    },
    play: {
      auth: 'give_up',
      config: 'give_up',
      bad_request: 'give_up',
      forbidden: 'give_up',
      no_device: 'retry',
      volume_locked: 'skip',
      rate_limited: 'wait',
      unavailable: 'retry',
    },
    fade: {
      auth: 'skip',
      config: 'skip',
      bad_request: 'skip',
      forbidden: 'end',
      no_device: 'skip',
      volume_locked: 'end',
      rate_limited: 'skip',
      unavailable: 'skip',
    },
    pause: {
      auth: 'skip',
      config: 'skip',
      bad_request: 'skip',
      forbidden: 'skip',
      no_device: 'skip',
      volume_locked: 'skip',
      rate_limited: 'skip',
      unavailable: 'skip',
    },
  };
  for (const step of Object.keys(expected) as WakeStep[]) {
    it(`at ${step}: ${JSON.stringify(expected[step])}`, () => expect(ACTIONS[step]).toEqual(expected[step]));
  }

  it('actionFor looks up the class, then the step', () => {
    expect(actionFor('volume', api(403, 'VOLUME_CONTROL_DISALLOW'))).toEqual({
      kind: 'volume_locked',
      action: 'skip',
    });
    expect(actionFor('play', new ReauthorizationRequiredError('x'))).toEqual({
      kind: 'auth',
      action: 'give_up',
    });
  });
});
