import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps, TokenSnapshotView } from '../deps.js';

/** `/api/token-cache/status`, `/performance` and `/refresh`: the seed's monitoring endpoints. */
export const tokenCacheRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const status = () => tokenCacheStatus(deps);

  app.get('/api/token-cache/status', async () => status());

  app.get('/api/token-cache/performance', async (request) => {
    const snap = deps.tokenCache.snapshot();
    const summary = performanceSummary(snap);
    request.log.info({ tokenCache: { state: snap.state } }, summary);
    return {
      summary,
      state: snap.state,
      cache_metrics: snap.cache_metrics,
      performance: snap.performance,
      token_info: snap.token_info,
    };
  });

  app.post('/api/token-cache/refresh', async (request) => {
    await deps.tokenCache.forceRefresh();
    request.log.info('token refreshed on request');
    return { refreshed: true, status: status() };
  });
};

/** The cache snapshot plus what the server knows: mode and the configured refresh-ahead figures. */
export function tokenCacheStatus(deps: AppDeps) {
  const snap = deps.tokenCache.snapshot();
  return {
    ...snap,
    mode: deps.config.mode,
    settings: {
      refresh_ahead_seconds: deps.config.tokenCache.refreshAheadMs / 1000,
      safety_margin_seconds: deps.config.tokenCache.safetyMarginMs / 1000,
      near_expiry_warning_seconds: deps.config.tokenCache.nearExpiryWarningMs / 1000,
      refresh_timeout_seconds: deps.config.tokenCache.refreshTimeoutMs / 1000,
      max_attempts: deps.config.tokenCache.maxAttempts,
    },
  };
}

/** One line like the seed's summary: requests, hits, misses, refreshes, rates, expiry. */
export function performanceSummary(snap: TokenSnapshotView): string {
  const m = snap.cache_metrics;
  const p = snap.performance;
  const t = snap.token_info;
  const num = (v: number) => (Number.isFinite(v) ? v : 0);
  const expiry =
    typeof t.time_until_expiry_minutes === 'number'
      ? `expires in ${t.time_until_expiry_minutes} min`
      : 'no token';
  return (
    `Token cache: ${num(m.total_requests)} requests, ${num(m.cache_hits)} hits, ${num(m.cache_misses)} misses ` +
    `(hit rate ${num(p.cache_hit_rate_percent).toFixed(1)}%), ` +
    `${num(m.refresh_successes)}/${num(m.refresh_attempts)} refreshes succeeded ` +
    `(${num(p.refresh_success_rate_percent).toFixed(1)}%), ${num(m.refresh_failures)} failed, ` +
    `state ${snap.state}, ${expiry}`
  );
}
