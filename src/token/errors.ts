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
