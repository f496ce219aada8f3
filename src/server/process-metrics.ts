import perfHooks, { type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import gc from 'prom-client/lib/metrics/gc.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';

/**
 * prom-client's default metrics except its event-loop monitor: `collectDefaultMetrics` starts
 * `monitorEventLoopDelay` at 10 ms resolution, ~100 wake-ups a second for the life of the process,
 * most of an idle server's CPU on a Pi. Every other default metric is read at scrape time.
 */
const SCRAPE_TIME_METRICS = [
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  processResources,
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
  gc,
];

/** Resolution of the event-loop sampler: one wake-up a second, and only while scraped. */
export const EVENT_LOOP_SAMPLE_MS = 1000;
/** The sampler stops when no scrape came for this long (Prometheus scrapes every 15-60 s). */
export const EVENT_LOOP_IDLE_STOP_MS = 5 * 60_000;

/**
 * Event-loop delay sampled coarsely, and only while someone scrapes /metrics: the first scrape
 * starts a 1 s monitor, and five minutes without a scrape stop it, so a server nobody scrapes
 * never wakes up for it. Node records the interval between the monitor's ticks (resolution plus
 * delay), so the resolution is subtracted to report the delay itself.
 */
export class EventLoopDelaySampler {
  private histogram: IntervalHistogram | undefined;
  private stopTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolutionMs = EVENT_LOOP_SAMPLE_MS,
    private readonly idleStopMs = EVENT_LOOP_IDLE_STOP_MS,
  ) {}

  /** Whether the monitor runs now. */
  get active(): boolean {
    return this.histogram !== undefined;
  }

  /** A scrape happened: make sure the monitor runs, and keep it running for another idle window. */
  touch(): void {
    if (!this.histogram) {
      this.histogram = perfHooks.monitorEventLoopDelay({ resolution: this.resolutionMs });
      this.histogram.enable();
    }
    clearTimeout(this.stopTimer);
    this.stopTimer = setTimeout(() => this.stop(), this.idleStopMs);
    this.stopTimer.unref();
  }

  /** Delay figures in seconds since the last call (undefined before a sample), then starts afresh. */
  take(): Record<'min' | 'max' | 'mean' | 'p50' | 'p90' | 'p99', number> | undefined {
    const h = this.histogram;
    if (!h || h.count === 0) return undefined;
    const seconds = (ns: number) => Math.max(0, ns / 1e6 - this.resolutionMs) / 1000;
    const figures = {
      min: seconds(h.min),
      max: seconds(h.max),
      mean: seconds(h.mean),
      p50: seconds(h.percentile(50)),
      p90: seconds(h.percentile(90)),
      p99: seconds(h.percentile(99)),
    };
    h.reset();
    return figures;
  }

  /** Stops the monitor (idle, or the app closes). */
  stop(): void {
    clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
  }
}

/**
 * Registers the process metrics under `prefix`: prom-client's defaults read at scrape time, the
 * event-loop lag measured at scrape time (one setImmediate), and the sampled delay figures.
 */
export function registerProcessMetrics(
  registry: Registry,
  prefix: string,
  sampler: EventLoopDelaySampler,
): void {
  for (const register of SCRAPE_TIME_METRICS) register(registry, { prefix });
  const registers = [registry];
  const figures = ['min', 'max', 'mean', 'p50', 'p90', 'p99'] as const;
  const gauges = figures.map(
    (figure) =>
      new Gauge({
        name: `${prefix}nodejs_eventloop_lag_${figure}_seconds`,
        help: `Event-loop delay since the previous scrape, ${figure} (sampled every ${EVENT_LOOP_SAMPLE_MS / 1000} s while scraped)`,
        registers,
      }),
  );
  new Gauge({
    name: `${prefix}nodejs_eventloop_lag_seconds`,
    help: 'Lag of the event loop in seconds, measured at scrape time',
    registers,
    // One collect sets the sampled gauges too (prom-client's habit for grouped metrics).
    async collect() {
      sampler.touch();
      const taken = sampler.take();
      for (const [i, figure] of figures.entries()) gauges[i]?.set(taken?.[figure] ?? 0);
      const start = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });
}
