import type { FastifyPluginAsync } from 'fastify';
import type { AlarmReadinessReport } from '../../alarm/preflight.js';
import type { AppDeps } from '../deps.js';
import { toHttpError } from '../errors.js';
import { VERSION } from '../version.js';

const READY_STATES = new Set(['valid', 'refreshing_ahead']);

/**
 * `/healthz` (the process is alive) and `/readyz` (a usable Spotify token exists and no enabled
 * alarm's preflight is failing, or why not).
 */
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
    const alarms = deps.alarmReadiness?.();
    const failing = alarms?.alarms.filter((a) => a.readiness?.status === 'failing') ?? [];
    if (failing.length > 0) {
      // An alarm that will not play is a real outage for an alarm clock, not just a warning.
      return reply.status(503).send({
        status: 'not_ready',
        mode: deps.config.mode,
        state: snap.state,
        reason: failing
          .map((a) => `Your ${a.time} alarm will fail: ${a.readiness?.reasons[0] ?? ''}`)
          .join('; '),
        alarms: failing.map((a) => ({ id: a.id, label: a.label, time: a.time, readiness: a.readiness })),
        ...(failing.some((a) => a.readiness?.needs_login) ? { login_url: '/login' } : {}),
      });
    }
    return {
      status: 'ready',
      mode: deps.config.mode,
      state: snap.state,
      time_until_expiry_minutes: snap.token_info?.time_until_expiry_minutes ?? null,
      ...(alarms ? { alarms: alarmCounts(alarms) } : {}),
    };
  });
};

/** How many enabled alarms are in each readiness state (`unchecked` = not checked yet). */
function alarmCounts(
  report: AlarmReadinessReport,
): Record<'ok' | 'warning' | 'failing' | 'unchecked', number> {
  const counts = { ok: 0, warning: 0, failing: 0, unchecked: 0 };
  for (const a of report.alarms) counts[a.readiness?.status ?? 'unchecked']++;
  return counts;
}

class TimeoutError extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('timeout')), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
