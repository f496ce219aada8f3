/**
 * Errors raised by the Spotify clients. Messages carry status codes and Spotify's own messages,
 * never a token, secret or authorization code.
 */

/** Base of every Spotify client error. */
export class SpotifyError extends Error {
  override name = 'SpotifyError';
}

/**
 * The app is misconfigured (Spotify answered `invalid_client`, or a required option is missing).
 * `settings` names the configuration keys to check.
 */
export class SpotifyConfigError extends SpotifyError {
  override name = 'SpotifyConfigError';
  constructor(
    message: string,
    readonly settings: string[] = ['SPOTIFY_CLIENT_ID', 'SPOTIFY_CLIENT_SECRET'],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Spotify answered with something that is not the documented shape (malformed JSON, a token
 * response without `access_token` or `expires_in`). Not retryable: a retry would see the same.
 */
export class SpotifyProtocolError extends SpotifyError {
  override name = 'SpotifyProtocolError';
  constructor(
    message: string,
    readonly endpoint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Spotify rejected an authorization-code exchange or similar OAuth request (`error` from the body). */
export class SpotifyOAuthError extends SpotifyError {
  override name = 'SpotifyOAuthError';
  constructor(
    message: string,
    readonly status: number,
    readonly oauthError: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A Web API call failed with an HTTP error. `message` includes Spotify's own message. */
export class SpotifyApiError extends SpotifyError {
  override name = 'SpotifyApiError';
  constructor(
    message: string,
    /** HTTP status Spotify answered with. */
    readonly status: number,
    /** Route template, e.g. `PUT /v1/me/player/play`. */
    readonly endpoint: string,
    /** Spotify's `error.reason` when given (player errors), e.g. `NO_ACTIVE_DEVICE`. */
    readonly reason?: string,
    /** Spotify's `error.message` as sent. */
    readonly spotifyMessage?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 404 from a player command: there is no active device to control (start Spotify somewhere, or transfer). */
export class NoActiveDeviceError extends SpotifyApiError {
  override name = 'NoActiveDeviceError';
}

/** 401 even after invalidating the token and retrying once with a fresh one. */
export class SpotifyUnauthorizedError extends SpotifyApiError {
  override name = 'SpotifyUnauthorizedError';
}

/** 429 with a Retry-After longer than the client is willing to wait. */
export class SpotifyRateLimitedError extends SpotifyError {
  override name = 'SpotifyRateLimitedError';
  constructor(
    message: string,
    /** How long Spotify asked us to wait, in ms. */
    readonly retryAfterMs: number,
    readonly endpoint: string,
  ) {
    super(message);
  }
}

/**
 * Spotify could not be reached or kept failing (network error, timeout, 5xx after the retries
 * allowed). For commands (PUT/POST) it is raised after the first failure: they are not repeated blindly.
 */
export class SpotifyUnavailableError extends SpotifyError {
  override name = 'SpotifyUnavailableError';
  constructor(
    message: string,
    readonly endpoint: string,
    /** Last HTTP status seen, undefined for network errors and timeouts. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
