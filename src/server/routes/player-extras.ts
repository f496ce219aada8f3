import type { FastifyPluginAsync } from 'fastify';
import type { RepeatState } from '../../spotify/types.js';
import type { AppDeps } from '../deps.js';

const deviceId = { type: 'string', minLength: 1, maxLength: 128 } as const;

const seekBody = {
  type: 'object',
  properties: { position_ms: { type: 'integer', minimum: 0, maximum: 86_400_000 }, device_id: deviceId },
  required: ['position_ms'],
  additionalProperties: false,
} as const;

const repeatBody = {
  type: 'object',
  properties: { state: { type: 'string', enum: ['off', 'track', 'context'] }, device_id: deviceId },
  required: ['state'],
  additionalProperties: false,
} as const;

/** `PUT /api/playback/seek {position_ms}` and `PUT /api/playback/repeat {state}`; both answer 204. */
export const playerExtraRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.put<{ Body: { position_ms: number; device_id?: string } }>(
    '/api/playback/seek',
    { schema: { body: seekBody } },
    async (request, reply) => {
      await deps.spotify.seek(request.body.position_ms, request.body.device_id);
      return reply.status(204).send();
    },
  );

  app.put<{ Body: { state: RepeatState; device_id?: string } }>(
    '/api/playback/repeat',
    { schema: { body: repeatBody } },
    async (request, reply) => {
      await deps.spotify.setRepeat(request.body.state, request.body.device_id);
      return reply.status(204).send();
    },
  );
};
