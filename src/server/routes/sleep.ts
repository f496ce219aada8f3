import type { FastifyPluginAsync } from 'fastify';
import * as z from 'zod';
import { fields, parseOrThrow } from '../../alarm/model.js';
import type { SleepTimer } from '../../alarm/sleep-timer.js';
import { ALARM_BODY_LIMIT } from './alarms.js';

/** Options of the sleep routes plugin. */
export interface SleepRoutesOptions {
  sleepTimer: SleepTimer;
}

const settingsSchema = z.strictObject({
  minutes: z.number().int().min(1, 'minutes is 1–720').max(720, 'minutes is 1–720').optional(),
  volume: z.number().int().min(0, 'volume is 0–100').max(100, 'volume is 0–100').optional(),
  context_uri: fields.context_uri.nullable().optional(),
  device: fields.device.optional(),
  shuffle: z.boolean().optional(),
  fade_out_seconds: z.number().int().min(0, 'fade_out_seconds must not be negative').max(600).optional(),
});

/**
 * `POST /api/sleep {minutes?, context_uri?, device?, volume?, fade_out_seconds?}` (omitted: the defaults), `GET /api/sleep`,
 * `DELETE /api/sleep`, and `GET/PUT /api/sleep/settings` for the defaults.
 */
export const sleepRoutes: FastifyPluginAsync<SleepRoutesOptions> = async (app, { sleepTimer }) => {
  const write = { bodyLimit: ALARM_BODY_LIMIT };

  app.get('/api/sleep', async () => sleepTimer.status());

  app.post('/api/sleep', write, async (request, reply) => {
    const status = await sleepTimer.begin(request.body);
    return reply.status(201).send(status);
  });

  app.delete('/api/sleep', async () => {
    const cancelled = await sleepTimer.cancel();
    return { cancelled, ...sleepTimer.status() };
  });

  app.get('/api/sleep/settings', async () => sleepTimer.defaults());

  app.put('/api/sleep/settings', write, async (request) => {
    const patch = parseOrThrow(settingsSchema, request.body);
    const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return sleepTimer.setDefaults(clean);
  });
};
