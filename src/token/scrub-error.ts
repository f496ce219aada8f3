/**
 * Returns `err` itself when `redact` changes nothing in its message, stack or causes; otherwise a
 * copy of the same class (so `instanceof` and extra fields such as `retryAfterMs` still work) whose
 * message, stack and causes are redacted. Used on errors a refresh function threw, before they
 * reach callers: a careless one may put a token into its message.
 */
export function scrubError<T>(err: T, redact: (text: string) => string, depth = 0): T {
  if (!(err instanceof Error) || depth > 4) return err;
  const message = redact(err.message);
  const stack = err.stack === undefined ? undefined : redact(err.stack);
  const hasCause = 'cause' in err;
  const cause = hasCause ? scrubError(err.cause, redact, depth + 1) : undefined;
  if (message === err.message && stack === err.stack && cause === err.cause) return err;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err)) as Error, err);
  const define = (key: string, value: unknown) =>
    Object.defineProperty(copy, key, { value, writable: true, configurable: true, enumerable: false });
  define('message', message);
  if (stack !== undefined) define('stack', stack);
  if (hasCause) define('cause', cause);
  return copy as T;
}
