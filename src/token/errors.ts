/** Base of every error the token cache raises or understands. Messages never contain tokens. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/**
 * The grant is dead (OAuth2 `invalid_grant`: revoked or expired refresh token). Not retried;
 * the cache stays in `reauthorization_required` until a new refresh token is set.
 */
export class ReauthorizationRequiredError extends TokenError {
  override name = 'ReauthorizationRequiredError';
}

/** A transient failure (network, timeout, 5xx, 429). `retryAfterMs` is honoured when set. */
export class RetryableRefreshError extends TokenError {
  override name = 'RetryableRefreshError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A refresh attempt exceeded its timeout. */
export class RefreshTimeoutError extends RetryableRefreshError {
  override name = 'RefreshTimeoutError';
}

/** No usable token could be obtained; every waiter of that refresh gets this same instance. */
export class TokenUnavailableError extends TokenError {
  override name = 'TokenUnavailableError';
  /**
   * Set when the token endpoint asked to wait (a 429's Retry-After longer than the cache waits
   * itself): no refresh is attempted for this long, so a server can answer 503 + Retry-After.
   */
  readonly retryAfterMs?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * A versioned save was refused: the store holds a newer record than the one the save replaces
 * (another process or cache wrote meanwhile). The cache re-reads and adopts it; never retried blindly.
 */
export class StaleWriteError extends TokenError {
  override name = 'StaleWriteError';
  constructor(
    message: string,
    /** The stored version that the save found instead of the expected one (when known). */
    readonly storedVersion?: number,
  ) {
    super(message);
  }
}

/**
 * A record exists but cannot be read: a file the process may not open (EACCES, EIO), a format
 * from a newer version, or a Redis record sealed with a key this process does not have. Unlike
 * "no record", nothing may be written over it; the cache serves from memory and reports why.
 */
export class StoreReadError extends TokenError {
  override name = 'StoreReadError';
}

/** A store call did not settle within the cache's `storeTimeoutMs`; counted as a store failure. */
export class StoreTimeoutError extends TokenError {
  override name = 'StoreTimeoutError';
}

/**
 * The refresh failed for a reason a retry cannot fix (`invalid_client`, another 4xx, a malformed
 * answer). Not retried; no refresh starts for `permanentErrorGateMs` after it.
 */
export class PermanentRefreshError extends TokenError {
  override name = 'PermanentRefreshError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
