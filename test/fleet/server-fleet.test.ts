import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { fingerprint } from '../../src/token/fingerprint.js';
import { type RedisServerHandle, startRedisServer, waitFor } from '../helpers/redis-server.js';
import { expiredTokenTolerance } from '../helpers/stall-tolerance.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

// Five real `spotipi serve` processes, REDIS_URL pointing at one redis-server, Spotify URLs at one
// emulator issuing 4-second tokens; the test hammers their /playback_status over loopback.

const SERVERS = 5;
const WINDOW_MS = 3000; // 4 s tokens refreshed 1 s ahead
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

interface Status {
  store: { kind: string; health: { state: string; reason?: string } };
  refresh_token: { fingerprint: string | null };
  token_info: { fingerprint: string | null };
}

async function startFleet(emulator: RunningEmulator, redis: RedisServerHandle): Promise<ServerProcess[]> {
  const env = {
    SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
    SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
    SPOTIFY_ACCOUNTS_URL: emulator.url,
    SPOTIFY_API_URL: emulator.url,
    REDIS_URL: redis.url,
    TOKEN_REFRESH_AHEAD_SECONDS: '1',
    TOKEN_SAFETY_MARGIN_SECONDS: '0.3',
    TOKEN_REFRESH_TIMEOUT_SECONDS: '1',
  };
  const servers = await Promise.all(Array.from({ length: SERVERS }, () => startServerProcess(env)));
  cleanups.push(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  return servers;
}

async function status(server: ServerProcess): Promise<Status> {
  return (await (await fetch(`${server.url}/api/token-cache/status`)).json()) as Status;
}

/** The value of `spotipi_token_store_degraded{store="redis"}` on the server's /metrics. */
async function degradedGauge(server: ServerProcess): Promise<number | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = /^spotipi_token_store_degraded\{store="redis"\} (\d+)$/m.exec(text);
  return line ? Number(line[1]) : undefined;
}

/** Three loops per server calling GET /playback_status (which needs a token) back to back. */
function hammer(servers: ServerProcess[]) {
  let running = true;
  const tally = { ok: 0, failed: 0, samples: [] as string[] };
  const loops = servers.flatMap((s) =>
    Array.from({ length: 3 }, async () => {
      while (running) {
        try {
          const res = await fetch(`${s.url}/playback_status`);
          const body = await res.text();
          if (res.ok) tally.ok++;
          else {
            tally.failed++;
            if (tally.samples.length < 5) tally.samples.push(`${res.status} ${body.slice(0, 200)}`);
          }
        } catch (err) {
          tally.failed++;
          if (tally.samples.length < 5) tally.samples.push(String(err));
        }
        await delay(10);
      }
    }),
  );
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

async function setUp(options: { rotateRefreshTokens: boolean }) {
  const redis = await startRedisServer();
  cleanups.push(() => redis.dispose());
  const emulator = await startEmulator({ tokenLifetimeSec: 4, ...options });
  cleanups.push(() => emulator.close());
  const servers = await startFleet(emulator, redis);
  return { redis, emulator, servers };
}

const grants = (emulator: RunningEmulator) => emulator.stats().tokenGrants.refresh_token;

describe(`${SERVERS} spotipi servers with REDIS_URL`, () => {
  it('make one token request per window between them and keep the rotated refresh token', async () => {
    const { emulator, servers } = await setUp({ rotateRefreshTokens: true });
    const run = hammer(servers);
    await delay(1000);
    const before = grants(emulator);
    const from = Date.now();
    await delay(WINDOW_MS * 4);
    const made = grants(emulator) - before;
    const elapsed = Date.now() - from;
    const tally = await run.stop();

    expect(tally.samples).toEqual([]);
    expect(tally.failed).toBe(0);
    expect(tally.ok).toBeGreaterThan(500);
    expect(made).toBeGreaterThanOrEqual(3);
    expect(made).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 1);
    const stats = emulator.stats();
    expect(stats.tokenErrors).toEqual({});
    expect(stats.expiredTokensRejected).toBeLessThanOrEqual(expiredTokenTolerance(elapsed, WINDOW_MS));

    const valid = emulator.validRefreshTokens();
    expect(valid).toHaveLength(1);
    await waitFor(async () => {
      const all = await Promise.all(servers.map(status));
      return all.every(
        (s) => s.store.kind === 'redis' && s.refresh_token.fingerprint === fingerprint(valid[0]),
      );
    }, 'every server to hold the newest refresh token');
  }, 120_000);

  it('serve every request while Redis is down, show the store degraded, and share again when it returns', async () => {
    const { redis, emulator, servers } = await setUp({ rotateRefreshTokens: false });
    const run = hammer(servers);
    await delay(WINDOW_MS);

    await redis.stop();
    await waitFor(
      async () => (await Promise.all(servers.map(status))).every((s) => s.store.health.state === 'degraded'),
      'every server to report its token store degraded',
    );
    expect(await Promise.all(servers.map(degradedGauge))).toEqual(servers.map(() => 1));
    const downFrom = grants(emulator);
    // A server refreshes without the fleet lock only once Redis has failed for lockWaitMs (5 s).
    await delay(WINDOW_MS * 3);
    // On their own, each server keeps itself supplied (so more than one request per window).
    expect(grants(emulator) - downFrom).toBeGreaterThanOrEqual(SERVERS);
    expect(run.tally.failed).toBe(0);

    await redis.start();
    await waitFor(
      async () => (await Promise.all(servers.map(status))).every((s) => s.store.health.state === 'ok'),
      'every server to rejoin Redis',
      WINDOW_MS * 6,
    );
    expect(await Promise.all(servers.map(degradedGauge))).toEqual(servers.map(() => 0));
    await delay(WINDOW_MS);
    const before = grants(emulator);
    const from = Date.now();
    await delay(WINDOW_MS * 3);
    const made = grants(emulator) - before;
    const elapsed = Date.now() - from;
    const tally = await run.stop();

    expect(tally.samples).toEqual([]);
    expect(tally.failed).toBe(0);
    expect(made).toBeLessThanOrEqual(Math.ceil(elapsed / WINDOW_MS) + 1);
    expect(emulator.stats().expiredTokensRejected).toBeLessThanOrEqual(
      expiredTokenTolerance(WINDOW_MS * 8, WINDOW_MS),
    );
    for (const server of servers) {
      const logged = server.output();
      // One warning from the store and one from the cache for the whole outage: not a flood.
      const warnings = logged.split('\n').filter((line) => /"level":(40|50|60)/.test(line));
      expect(warnings.length).toBeLessThanOrEqual(3);
      expect(logged).not.toContain(DEMO_REFRESH_TOKEN);
    }
    const tokens = new Set((await Promise.all(servers.map(status))).map((s) => s.token_info.fingerprint));
    expect(tokens.size).toBe(1);
  }, 120_000);
});
