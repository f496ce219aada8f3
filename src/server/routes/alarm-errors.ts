import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AlarmError, describeError } from '../../alarm/errors.js';
import { toHttpError } from '../errors.js';

/** Largest body the alarm and sleep routes accept; an alarm is a few hundred bytes. */
export const ALARM_BODY_LIMIT = 16 * 1024;

/** Sends `{"error":{"status","message","field?"}}`. */
export function sendError(
  reply: FastifyReply,
  status: number,
  message: string,
  field?: string,
): FastifyReply {
  return reply
    .status(status)
    .type('application/json')
    .send({ error: { status, message, ...(field === undefined ? {} : { field }) } });
}

/**
 * Error handler for the alarm and sleep plugins: the module's typed errors keep their status
 * and field; Fastify's framing errors (bad JSON, too large) get plain words; Spotify errors map
 * through the app's `toHttpError`; anything else is a 500 whose details stay in the log.
 */
export function installAlarmErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AlarmError) return sendError(reply, err.status, err.message, fieldOf(err));
    const fe = err as Partial<FastifyError>;
    switch (fe?.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'the request body is not valid JSON', 'body');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, `the request body is larger than ${ALARM_BODY_LIMIT} bytes`, 'body');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, 'send the body as application/json', 'body');
    }
    if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, fe.statusCode, fe.message ?? 'bad request');
    }
    // Spotify and token failures (no device, login needed, rate limited, down) map like every route's.
    const mapped = toHttpError(err);
    if (mapped.status >= 500 && mapped.status !== 502) {
      request.log.error({ err: describeError(err) }, 'alarm route failed');
    }
    if (mapped.extra.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(mapped.extra.retryAfterSeconds));
    }
    return reply.status(mapped.status).type('application/json').send(mapped.toBody());
  });
}

function fieldOf(err: AlarmError): string | undefined {
  const field = (err as { field?: unknown }).field;
  return typeof field === 'string' ? field : undefined;
}
