import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../deps.js';
import { toHttpError } from '../errors.js';
import { VERSION } from '../version.js';

const READY_STATES = new Set(['valid', 'refreshing_ahead']);

/** `/healthz` (the process is alive) and `/readyz` (a usable Spotify token exists, or why not). */
export const healthRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const startedAt = deps.clock.monotonic();

  app.get('/healthz', async () => ({
    status: 'ok',
    mode: deps.config.mode,
    version: VERSION,
    uptime_seconds: Math.round((deps.clock.monotonic() - startedAt) / 1000),
    // The page polls half as often in the low-power profile.
    low_power: deps.config.lowPower,
  }));

  app.get('/readyz', async (_request, reply) => {
    const before = deps.tokenCache.snapshot();
    if (before.state === 'reauthorization_required') {
      return reply.status(503).send({
        status: 'not_ready',
        mode: deps.config.mode,
        state: before.state,
        reason: 'Spotify needs you to log in: open /login or run `spotipi login`.',
        login_url: '/login',
      });
    }
    if (!READY_STATES.has(String(before.state))) {
      try {
        // Getting a token is the readiness check itself: it refreshes when none is cached.
        await withTimeout(deps.tokenCache.getAccessToken(), 5_000);
      } catch (err) {
        const httpErr = toHttpError(err);
        const after = deps.tokenCache.snapshot();
        return reply.status(503).send({
          status: 'not_ready',
          mode: deps.config.mode,
          state: after.state,
          reason: err instanceof TimeoutError ? 'Still waiting for a Spotify token.' : httpErr.message,
          ...(httpErr.extra.loginUrl ? { login_url: httpErr.extra.loginUrl } : {}),
        });
      }
    }
    const snap = deps.tokenCache.snapshot();
    return {
      status: 'ready',
      mode: deps.config.mode,
      state: snap.state,
      time_until_expiry_minutes: snap.token_info?.time_until_expiry_minutes ?? null,
    };
  });
};

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('timeout')), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
