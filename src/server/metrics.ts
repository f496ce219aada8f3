import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AlarmReadinessReport } from '../alarm/preflight.js';
import { readinessLevel } from '../alarm/readiness.js';
import type { Clock, RefreshFn } from '../token/types.js';
import type { TokenSnapshotView } from './deps.js';
import { EventLoopDelaySampler, registerProcessMetrics } from './process-metrics.js';

/** The cache counters exported as Prometheus counters, by their snapshot name. */
const CACHE_COUNTERS = [
  ['cache_hits', 'Token requests served from the cache'],
  ['cache_misses', 'Token requests that waited for a refresh'],
  ['total_requests', 'Token requests'],
  ['refresh_attempts', 'Upstream token requests made'],
  ['refresh_successes', 'Upstream token requests that succeeded'],
  ['refresh_failures', 'Upstream token requests that failed'],
] as const;

/** Prometheus metrics of one app instance, on its own registry (so tests can build many apps). */
export class AppMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly spotifyCalls: Counter<'endpoint' | 'status'>;
  readonly spotifyDuration: Histogram<'endpoint'>;
  readonly refreshDuration: Histogram<'outcome'>;
  /** Event-loop delay, sampled only while /metrics is scraped (no idle wake-ups). */
  readonly eventLoop = new EventLoopDelaySampler();

  constructor(snapshot: () => TokenSnapshotView, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) registerProcessMetrics(this.registry, 'spotipi_', this.eventLoop);

    this.httpDuration = new Histogram({
      name: 'spotipi_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.spotifyCalls = new Counter({
      name: 'spotipi_spotify_api_calls_total',
      help: 'Spotify Web API calls by endpoint and HTTP status (0 = no response)',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.spotifyDuration = new Histogram({
      name: 'spotipi_spotify_api_call_duration_seconds',
      help: 'Spotify Web API call duration by endpoint',
      labelNames: ['endpoint'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.refreshDuration = new Histogram({
      name: 'spotipi_token_refresh_duration_seconds',
      help: 'Duration of token refreshes (with their retries) by outcome',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });

    for (const [name, help] of CACHE_COUNTERS) {
      new Counter({
        name: `spotipi_token_${name}_total`,
        help,
        registers,
        collect() {
          // The cache owns the counts; mirror them at scrape time.
          this.reset();
          this.inc(snapshot().cache_metrics[name]);
        },
      });
    }
    new Gauge({
      name: 'spotipi_token_time_until_expiry_seconds',
      help: 'Seconds until the cached access token expires (0 when none)',
      registers,
      collect() {
        this.set(snapshot().token_info.time_until_expiry_seconds ?? 0);
      },
    });
    new Gauge({
      name: 'spotipi_login_expires_in_seconds',
      help: 'Seconds until the Spotify login (refresh-token grant) expires; 0 once expired, NaN when unknown',
      registers,
      collect() {
        this.set(snapshot().login?.expires_in_seconds ?? Number.NaN);
      },
    });
    new Gauge({
      name: 'spotipi_token_store_degraded',
      help: 'Whether the token store is degraded (1: e.g. Redis unreachable, serving from the local cache)',
      labelNames: ['store'],
      registers,
      collect() {
        const { store } = snapshot();
        this.reset();
        this.set({ store: store.kind }, store.health.state === 'degraded' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'spotipi_token_cache_state',
      help: 'Token cache state (1 for the current state)',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        this.set({ state: snapshot().state }, 1);
      },
    });
  }

  /** Hook for the Web API client's `onCall`. */
  readonly onSpotifyCall = (endpoint: string, status: number, durationMs: number): void => {
    this.spotifyCalls.inc({ endpoint, status: String(status) });
    this.spotifyDuration.observe({ endpoint }, durationMs / 1000);
  };

  /** Stops the event-loop sampler (the app closes). */
  close(): void {
    this.eventLoop.stop();
  }

  /**
   * Exports each enabled alarm's preflight readiness as `spotipi_alarm_readiness{alarm}`:
   * 0 ok, 1 warning, 2 failing (alarms not checked yet are left out).
   */
  watchAlarmReadiness(report: () => AlarmReadinessReport): void {
    new Gauge({
      name: 'spotipi_alarm_readiness',
      help: 'Alarm preflight readiness by alarm id: 0 ok, 1 warning (may not play as set), 2 failing (will not play)',
      labelNames: ['alarm'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const alarm of report().alarms) {
          if (alarm.readiness) this.set({ alarm: alarm.id }, readinessLevel(alarm.readiness));
        }
      },
    });
  }

  /** Records one token refresh. */
  observeRefresh(durationMs: number, outcome: 'success' | 'failure'): void {
    this.refreshDuration.observe({ outcome }, durationMs / 1000);
  }
}

/**
 * Times token refreshes that fail: `wrap` notes when a refresh's first attempt starts, and
 * `failed` (on the cache's `refresh_failed`, after its retries) observes the whole duration.
 * Successes come from the cache's `refreshed` event, which carries its own duration.
 */
export class RefreshFailureTimer {
  private startedAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly observe: (durationMs: number) => void,
  ) {}

  /** The refresh function to give the cache. */
  wrap(refresh: RefreshFn): RefreshFn {
    return (ctx) => {
      if (ctx.attempt === 1 || this.startedAt === undefined) this.startedAt = this.clock.monotonic();
      return refresh(ctx);
    };
  }

  /** A refresh ended in failure: observe it once. */
  failed(): void {
    if (this.startedAt === undefined) return;
    this.observe(this.clock.monotonic() - this.startedAt);
    this.startedAt = undefined;
  }

  /** A refresh succeeded: forget its start. */
  succeeded(): void {
    this.startedAt = undefined;
  }
}
