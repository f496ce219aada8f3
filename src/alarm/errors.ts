/** Errors the alarm module raises; `status` is the HTTP status a route should answer with. */
export class AlarmError extends Error {
  override name = 'AlarmError';
  readonly status: number = 500;
}

/** Input that failed validation; `field` names the first offending field. */
export class ValidationError extends AlarmError {
  override name = 'ValidationError';
  override readonly status = 400;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** No alarm with that id. */
export class NotFoundError extends AlarmError {
  override name = 'NotFoundError';
  override readonly status = 404;
}

/** Why a request does not fit an alarm's state; the UI's catalogue has `error.alarm.<reason>`. */
export type ConflictReason = 'notRinging' | 'notRingingOrSnoozed' | 'busy';

/** The request does not fit the current state (e.g. snoozing an alarm that is not ringing). */
export class ConflictError extends AlarmError {
  override name = 'ConflictError';
  override readonly status = 409;
  constructor(
    message: string,
    readonly reason: ConflictReason,
  ) {
    super(message);
  }
}

/** A short, log-safe description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    return typeof status === 'number' && !err.message.includes(String(status))
      ? `${err.name}: ${err.message} (HTTP ${status})`
      : `${err.name}: ${err.message}`;
  }
  return String(err);
}
