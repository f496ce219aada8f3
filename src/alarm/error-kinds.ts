/**
 * The one table of what a Spotify error means to a wake-up: each error class (matched with
 * `instanceof`, subclasses first) maps to a kind, and each kind at each step of the wake-up maps
 * to an action. `wake-up.ts` and the fade only act on `actionFor`; nothing else inspects errors.
 */
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

/** Raised when no device can be addressed yet; retried, since a speaker may still be waking up. */
export class NoDeviceError extends Error {
  override name = 'NoDeviceError';
}

/** What kind of trouble an error is, as far as waking someone up is concerned. */
export type ErrorKind =
  /** The login is dead or refused (needs the person to log in again). */
  | 'auth'
  /** The app's settings are wrong (client id/secret) or Spotify answered nonsense. */
  | 'config'
  /** The request itself is wrong (bad URI, bad offset): repeats on every attempt. */
  | 'bad_request'
  /** Spotify refuses the command (e.g. no Premium, a restriction). */
  | 'forbidden'
  /** The device is not there (yet): idle speaker, no active device. */
  | 'no_device'
  /** `403 VOLUME_CONTROL_DISALLOW`: the device plays but its volume cannot be set. */
  | 'volume_locked'
  /** 429 with a Retry-After too long for the client to wait itself. */
  | 'rate_limited'
  /** Network trouble, timeouts, 5xx: another attempt may work. */
  | 'unavailable';

/** The steps of a wake-up in order, plus the fade while ringing and the pause that silences it. */
export type WakeStep = 'resolve' | 'transfer' | 'volume' | 'shuffle' | 'play' | 'fade' | 'pause';

/** What to do about an error at a step. */
export type ErrorAction =
  /** Start the sequence again after a back-off (still inside the retry window). */
  | 'retry'
  /** Start again after Spotify's Retry-After. */
  | 'wait'
  /** Carry on without this step (volume on a locked device, shuffle, one fade step). */
  | 'skip'
  /** Another attempt cannot help: record the failure now. */
  | 'give_up'
  /** Stop the current activity for good but keep the alarm ringing (a fade on a locked device). */
  | 'end';

const apiKind = (err: SpotifyApiError): ErrorKind => {
  if (err.reason === 'VOLUME_CONTROL_DISALLOW') return 'volume_locked';
  if (err.status === 400) return 'bad_request';
  if (err.status === 401) return 'auth';
  if (err.status === 403) return 'forbidden';
  if (err.status === 404) return 'no_device';
  if (err.status === 429) return 'rate_limited';
  return 'unavailable';
};

/** Error classes to kinds; the first `instanceof` match wins, so subclasses come first. */
const KINDS: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, (err: never) => ErrorKind]> = [
  [NoDeviceError, () => 'no_device'],
  [ReauthorizationRequiredError, () => 'auth'],
  [SpotifyUnauthorizedError, () => 'auth'],
  [NoActiveDeviceError, () => 'no_device'],
  [SpotifyApiError, apiKind],
  [SpotifyConfigError, () => 'config'],
  [SpotifyOAuthError, () => 'auth'],
  [SpotifyProtocolError, () => 'unavailable'],
  [SpotifyRateLimitedError, () => 'rate_limited'],
  [SpotifyUnavailableError, () => 'unavailable'],
  [RetryableRefreshError, () => 'unavailable'],
  [TokenUnavailableError, () => 'unavailable'],
];

/** The kind of any thrown value; anything unknown counts as `unavailable` (retrying is the safe bet). */
export function kindOf(err: unknown): ErrorKind {
  for (const [type, kind] of KINDS) {
    if (err instanceof type) return (kind as (e: unknown) => ErrorKind)(err);
  }
  return 'unavailable';
}

/** Starting steps: what cannot change on retry gives up; the rest retries. */
const starting = (
  overrides: Partial<Record<ErrorKind, ErrorAction>> = {},
): Record<ErrorKind, ErrorAction> => ({
  auth: 'give_up',
  config: 'give_up',
  bad_request: 'give_up',
  forbidden: 'give_up',
  no_device: 'retry',
  volume_locked: 'skip',
  rate_limited: 'wait',
  unavailable: 'retry',
  ...overrides,
});

/** Kind × step → action. Read it as "at this step, this kind of error means …". */
export const ACTIONS: Readonly<Record<WakeStep, Readonly<Record<ErrorKind, ErrorAction>>>> = {
  resolve: starting(),
  transfer: starting(),
  // Sound matters more than its level: any refusal to set the volume plays at the device's own.
  volume: starting({ bad_request: 'skip', forbidden: 'skip', volume_locked: 'skip' }),
  // Shuffle is a nicety: never let it keep the music off.
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
  play: starting(),
  // While ringing, one failed fade step is skipped; a locked volume ends the fade.
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
  // Pausing is best effort: the alarm's state changes whatever Spotify says.
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

/** What to do about `err` at `step`, with its kind (for logs and `last_result`). */
export function actionFor(step: WakeStep, err: unknown): { kind: ErrorKind; action: ErrorAction } {
  const kind = kindOf(err);
  return { kind, action: ACTIONS[step][kind] };
}
