/**
 * Thin JSON client for the SpotiPi HTTP API. Every failure becomes an ApiError carrying the
 * server's `{"error":{status,message,field}}` details, so views can react by status.
 */

/** An HTTP or network failure, normalised. `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{field?: string, retryAfter?: number, loginUrl?: string, code?: string}} [extra]
   */
  constructor(status, message, extra = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = extra.field;
    this.retryAfter = extra.retryAfter;
    this.loginUrl = extra.loginUrl;
    this.code = extra.code;
  }
}

/** Listeners told about every failed request (for the global notice banner). */
const failureListeners = new Set();
/** Listeners told about every successful request (to clear stale notices). */
const successListeners = new Set();

/** Subscribes to request outcomes; returns an unsubscribe function. */
export function onApiOutcome(onFailure, onSuccess) {
  failureListeners.add(onFailure);
  if (onSuccess) successListeners.add(onSuccess);
  return () => {
    failureListeners.delete(onFailure);
    if (onSuccess) successListeners.delete(onSuccess);
  };
}

/** Requests sent and not yet answered, and who waits for there to be none. */
let inFlight = 0;
/** @type {(() => void)[]} */
let settledWaiters = [];

/**
 * Resolves once no request is in flight, looked at after the current task (so requests the page
 * starts in the same task count): the page's first round of data is in and its layout has settled,
 * the moment to see which cards are near the screen. At the latest after `maxWaitMs`: a slow
 * Spotify answer must not keep a card the user has reached from loading.
 * @param {number} [maxWaitMs]
 * @returns {Promise<void>}
 */
export function whenSettled(maxWaitMs = 3000) {
  return new Promise((resolve) => {
    setTimeout(resolve, maxWaitMs);
    setTimeout(() => {
      if (inFlight === 0) resolve();
      else settledWaiters.push(resolve);
    }, 0);
  });
}

/**
 * Sends one request and returns the parsed JSON body (or null for an empty body).
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body] sent as JSON when given
 * @param {{quiet?: boolean}} [options] quiet: do not notify the global listeners
 */
export async function request(method, path, body, options = {}) {
  inFlight++;
  try {
    return await send(method, path, body, options);
  } finally {
    inFlight--;
    if (inFlight === 0) {
      const waiters = settledWaiters;
      settledWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** One request, answered (see request). */
async function send(method, path, body, options) {
  /** @type {RequestInit} */
  // Server messages come back in the page's language (the same catalogue as the UI).
  const lang = globalThis.document?.documentElement?.lang || 'en';
  const init = {
    method,
    headers: { Accept: 'application/json', 'Accept-Language': lang },
    credentials: 'same-origin',
  };
  if (body !== undefined) {
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    const error = new ApiError(0, 'The SpotiPi server could not be reached.');
    if (!options.quiet) for (const listener of failureListeners) listener(error, path);
    throw error;
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) {
    const error = toApiError(response, json);
    if (!options.quiet) for (const listener of failureListeners) listener(error, path);
    throw error;
  }
  if (!options.quiet) for (const listener of successListeners) listener(path);
  return json;
}

/**
 * @param {Response} response
 * @param {any} json
 */
function toApiError(response, json) {
  const detail =
    json && typeof json === 'object' && json.error && typeof json.error === 'object' ? json.error : {};
  const message =
    typeof detail.message === 'string' ? detail.message : response.statusText || 'Request failed';
  const retryHeader = response.headers.get('Retry-After');
  const retryAfter = retryHeader ? Number.parseInt(retryHeader, 10) : Number(detail.retry_after_seconds);
  const loginUrl =
    typeof detail.login_url === 'string'
      ? detail.login_url
      : typeof json?.login_url === 'string'
        ? json.login_url
        : undefined;
  return new ApiError(response.status, message, {
    field: typeof detail.field === 'string' ? detail.field : undefined,
    retryAfter: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    loginUrl,
    code: typeof detail.code === 'string' ? detail.code : undefined,
  });
}

/** Shorthands. */
export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body, options) => request('POST', path, body, options),
  put: (path, body, options) => request('PUT', path, body, options),
  patch: (path, body, options) => request('PATCH', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};
