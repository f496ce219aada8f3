import type { FastifyPluginAsync } from 'fastify';
import { ValidationError } from '../../alarm/errors.js';
import type { AlarmScheduler } from '../../alarm/scheduler.js';

/** Options of the alarm routes plugin. */
export interface AlarmRoutesOptions {
  scheduler: AlarmScheduler;
}

interface IdParams {
  id: string;
}

/** Reads the optional `{minutes}` body of a snooze. */
function snoozeMinutes(body: unknown): number | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('body must be a JSON object', 'body');
  const { minutes, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ValidationError(`unknown field "${unknown}"`, unknown);
  if (minutes === undefined) return undefined;
  if (typeof minutes !== 'number') throw new ValidationError('minutes must be a number', 'minutes');
  return minutes;
}

/** Largest body the alarm and sleep routes accept; an alarm is a few hundred bytes. */
export const ALARM_BODY_LIMIT = 16 * 1024;

/**
 * `GET/POST /api/alarms`, `GET/PUT/PATCH/DELETE /api/alarms/:id`, `POST /api/alarms/:id/snooze`,
 * `POST /api/alarms/:id/stop`, `POST /api/alarms/:id/test`, `GET /api/alarms/next`. Validation is the scheduler's (zod), so
 * the API and the CLI import share one set of rules.
 */
export const alarmRoutes: FastifyPluginAsync<AlarmRoutesOptions> = async (app, { scheduler }) => {
  const write = { bodyLimit: ALARM_BODY_LIMIT };

  app.get('/api/alarms', async () => ({ alarms: scheduler.list() }));

  app.get('/api/alarms/next', async () => {
    const next = scheduler.next();
    if (!next) return { alarm: null };
    // `fire_at` is when it sounds next: the alarm's occurrence or the end of a snooze.
    return { alarm: { ...next.alarm, fire_at: next.fire_at, kind: next.kind, in_seconds: next.in_seconds } };
  });

  app.post('/api/alarms', write, async (request, reply) => {
    const created = await scheduler.create(request.body);
    return reply.status(201).header('location', `/api/alarms/${created.id}`).send(created);
  });

  app.get<{ Params: IdParams }>('/api/alarms/:id', async (request) => scheduler.get(request.params.id));

  app.put<{ Params: IdParams }>('/api/alarms/:id', write, async (request) =>
    scheduler.replace(request.params.id, request.body),
  );

  app.patch<{ Params: IdParams }>('/api/alarms/:id', write, async (request) =>
    scheduler.update(request.params.id, request.body),
  );

  app.delete<{ Params: IdParams }>('/api/alarms/:id', async (request, reply) => {
    await scheduler.remove(request.params.id);
    return reply.status(204).send();
  });

  app.post<{ Params: IdParams }>('/api/alarms/:id/snooze', write, async (request) =>
    scheduler.snooze(request.params.id, snoozeMinutes(request.body)),
  );

  app.post<{ Params: IdParams }>('/api/alarms/:id/stop', write, async (request) => {
    if (snoozeMinutes(request.body) !== undefined) {
      throw new ValidationError('stop takes no minutes', 'minutes');
    }
    return scheduler.stop(request.params.id);
  });

  // Rings the alarm now through the real wake-up path for up to 60 s (or until stopped).
  app.post<{ Params: IdParams }>('/api/alarms/:id/test', write, async (request, reply) => {
    if (snoozeMinutes(request.body) !== undefined) {
      throw new ValidationError('test takes no minutes', 'minutes');
    }
    return reply.status(202).send(await scheduler.test(request.params.id));
  });
};
