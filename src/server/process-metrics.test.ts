import perfHooks from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TokenSnapshotView } from './deps.js';
import { AppMetrics } from './metrics.js';
import { EVENT_LOOP_SAMPLE_MS, EventLoopDelaySampler } from './process-metrics.js';

const snapshot = (): TokenSnapshotView =>
  ({
    state: 'empty',
    cache_metrics: {
      cache_hits: 0,
      cache_misses: 0,
      total_requests: 0,
      refresh_attempts: 0,
      refresh_successes: 0,
      refresh_failures: 0,
    },
    token_info: { time_until_expiry_seconds: null },
    store: { kind: 'memory', health: { state: 'ok' } },
  }) as unknown as TokenSnapshotView;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('process metrics', () => {
  it('start no event-loop monitor until /metrics is scraped, so an idle server never wakes up for them', async () => {
    const monitor = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    const metrics = new AppMetrics(snapshot);
    try {
      expect(monitor).not.toHaveBeenCalled();
      expect(metrics.eventLoop.active).toBe(false);

      const text = await metrics.registry.metrics();
      expect(monitor).toHaveBeenCalledTimes(1);
      expect(monitor).toHaveBeenCalledWith({ resolution: EVENT_LOOP_SAMPLE_MS });
      expect(metrics.eventLoop.active).toBe(true);
      // prom-client's default process metrics are all still there, under our prefix.
      for (const name of [
        'spotipi_process_cpu_user_seconds_total',
        'spotipi_process_start_time_seconds',
        'spotipi_process_resident_memory_bytes',
        'spotipi_nodejs_heap_size_used_bytes',
        'spotipi_nodejs_version_info',
        'spotipi_nodejs_eventloop_lag_seconds',
        'spotipi_nodejs_eventloop_lag_p99_seconds',
      ]) {
        expect(text).toMatch(new RegExp(`^${name}`, 'm'));
      }

      await metrics.registry.metrics();
      expect(monitor).toHaveBeenCalledTimes(1);
    } finally {
      metrics.close();
    }
    expect(metrics.eventLoop.active).toBe(false);
  });

  it('stop sampling when nobody has scraped for the idle window', async () => {
    const sampler = new EventLoopDelaySampler(50, 30);
    sampler.touch();
    expect(sampler.active).toBe(true);
    await vi.waitFor(() => expect(sampler.active).toBe(false), { timeout: 5_000, interval: 20 });
  });

  it('report the delay itself, without the sampling interval, and start afresh after each scrape', async () => {
    const sampler = new EventLoopDelaySampler(20, 60_000);
    try {
      expect(sampler.take()).toBeUndefined();
      sampler.touch();
      await vi.waitFor(
        () => {
          const figures = sampler.take();
          expect(figures).toBeDefined();
          // Well below the 20 ms interval: the interval is not counted as delay.
          expect(figures!.min).toBeLessThan(0.02);
          expect(figures!.min).toBeGreaterThanOrEqual(0);
          expect(figures!.max).toBeGreaterThanOrEqual(figures!.min);
        },
        { timeout: 5_000, interval: 50 },
      );
    } finally {
      sampler.stop();
    }
  });
});
