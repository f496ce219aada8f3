import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../deps.js';
import { trackItem } from '../music/items.js';

const addBody = {
  type: 'object',
  properties: {
    uri: { type: 'string', maxLength: 128, pattern: '^spotify:(track|episode):[A-Za-z0-9]+$' },
    device_id: { type: 'string', minLength: 1, maxLength: 128 },
  },
  required: ['uri'],
  additionalProperties: false,
} as const;

interface AddBody {
  uri: string;
  device_id?: string;
}

/** `GET /api/queue` ("Up next": the current track and what follows) and `POST /api/queue {uri}`. */
export const queueRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/api/queue', async () => {
    const queue = await deps.spotify.getQueue();
    // Episodes and local files have no album; the item mapping copes, unknown kinds are dropped.
    const items = (queue.queue ?? []).filter((t) => t && t.type === 'track').map(trackItem);
    return {
      currently_playing:
        queue.currently_playing?.type === 'track' ? trackItem(queue.currently_playing) : null,
      queue: items,
    };
  });

  app.post<{ Body: AddBody }>('/api/queue', { schema: { body: addBody } }, async (request, reply) => {
    await deps.spotify.addToQueue(request.body.uri, request.body.device_id);
    return reply.status(204).send();
  });
};
