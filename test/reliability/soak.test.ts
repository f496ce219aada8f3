import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './server-harness.js';

/**
 * How long the soak runs. Two minutes keeps `npm test` modest while covering ~48 token windows;
 * raise it (e.g. SOAK_MS=3600000 in a local edit) for a long soak — the assertions scale with it.
 */
const SOAK_MS = 120_000;
/** Concurrent clients, each looping requests back to back. */
const CLIENTS = 200;
/** Token lifetime at the emulator: tokens expire every few seconds. */
const TOKEN_LIFETIME_S = 5;
/** Memory is sampled after this warm-up (JIT, pools, caches). */
const WARMUP_MS = 15_000;
/** Most the live heap may grow from warm-up to the end (MB). */
const HEAP_GROWTH_MB = 12;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { rssMb: number; heapMb: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssMb: m.rss / 2 ** 20, heapMb: m.heapUsed / 2 ** 20 };
}

let h: Harness | undefined;
afterAll(async () => {
  await h?.close();
});

describe('soak', () => {
  it(`serves ${CLIENTS} concurrent clients for ${SOAK_MS / 1000} s while tokens expire every ${TOKEN_LIFETIME_S} s: zero errors, one refresh per window, memory flat`, {
    timeout: SOAK_MS + 60_000,
  }, async () => {
    h = await startHarness(
      // All 200 clients share one address and one fetch pool, which opens more sockets than
      // clients under load: lift the connection caps (a product limit for real clients) out of the way.
      { LOG_LEVEL: 'warn', SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: '10000', SPOTIPI_MAX_CONNECTIONS: '10000' },
      { tokenLifetimeSec: TOKEN_LIFETIME_S },
      { realClock: true },
    );
    const harness = h;
    const started = Date.now();
    const deadline = started + SOAK_MS;
    const failures = new Map<string, number>();
    let requests = 0;
    let atWarmup: { rssMb: number; heapMb: number } | undefined;
    const routes = ['/playback_status', '/playback_status', '/playback_status', '/api/token-cache/status'];
    const client = async (id: number) => {
      for (let n = id; Date.now() < deadline; n++) {
        const route = routes[n % routes.length]!;
        try {
          const res = await harness.get(route);
          await res.arrayBuffer();
          if (res.status !== 200)
            failures.set(`${route} ${res.status}`, (failures.get(`${route} ${res.status}`) ?? 0) + 1);
        } catch (err) {
          const key = `${route} ${(err as Error).message}`;
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
        requests++;
      }
    };
    const sampler = setTimeout(() => {
      atWarmup = memory();
    }, WARMUP_MS);
    // Server, emulator and clients share this one event loop: how long it stalls decides whether a
    // token handed out inside its safety margin can still be queued past its expiry.
    const lag = monitorEventLoopDelay({ resolution: 20 });
    lag.enable();
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    lag.disable();
    clearTimeout(sampler);
    const p99LagMs = lag.percentile(99) / 1e6;
    const atEnd = memory();
    const stats = harness.emulator.stats();
    const windows = SOAK_MS / ((TOKEN_LIFETIME_S * 1000) / 2); // refresh-ahead is capped at half a lifetime
    console.log(
      `soak: ${requests} requests in ${Math.round((Date.now() - started) / 1000)} s by ${CLIENTS} clients; ` +
        `${stats.tokenGrants.refresh_token} token refreshes (~${Math.round(windows)} windows); ` +
        `expired tokens sent to Spotify: ${stats.expiredTokensRejected}; event-loop delay p99 ${p99LagMs.toFixed(0)} ms; ` +
        `memory after warm-up ${atWarmup?.rssMb.toFixed(1)} MB RSS / ${atWarmup?.heapMb.toFixed(1)} MB heap, ` +
        `at end ${atEnd.rssMb.toFixed(1)} MB RSS / ${atEnd.heapMb.toFixed(1)} MB heap`,
    );
    expect(Object.fromEntries(failures)).toEqual({});
    expect(requests).toBeGreaterThan(CLIENTS * 10);
    // With 5 s tokens the safety margin is 0.5 s: when this process stalls (a busy CI machine), a
    // token can age past expiry while its request waits in the queue (the 401 path then recovers;
    // no request fails). With a responsive loop, a few at most. On a loop stalling for a quarter of
    // the margin or more, fewer than one per window: a cache that serves each token until its
    // expiry (no margin, no refresh-ahead) sent 204 in 24 windows here (p99 delay 374 ms); ours
    // sent 29 in 48 windows on a machine at load 12, and 0 at CI's load.
    const responsive = p99LagMs < 125;
    expect(stats.expiredTokensRejected).toBeLessThanOrEqual(
      responsive ? Math.ceil(windows / 10) : Math.floor(windows),
    );
    expect(stats.invalidTokensRejected).toBe(0);
    expect(stats.maxRefreshesInFlight).toBe(1);
    // One refresh per window, with slack for timing at the edges and those rare 401 refreshes.
    expect(stats.tokenGrants.refresh_token).toBeLessThanOrEqual(Math.ceil(windows * 1.3) + 2);
    expect(stats.tokenGrants.refresh_token).toBeGreaterThanOrEqual(Math.floor(windows * 0.7));
    // Flat memory: the live heap after GC (server and clients) grows by less than 12 MB over
    // ~100k requests after warm-up, so a leak of ~100 bytes a request fails; RSS, which the
    // allocator keeps high after peaks, only has to stay bounded.
    expect(atWarmup).toBeDefined();
    expect(atEnd.heapMb - atWarmup!.heapMb).toBeLessThan(HEAP_GROWTH_MB);
    expect(atEnd.rssMb).toBeLessThan(atWarmup!.rssMb * 1.5 + 50);
  });
});
