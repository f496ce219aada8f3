import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../deps.js';

/** `GET /metrics` in Prometheus text format. */
export const metricsRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });
};
