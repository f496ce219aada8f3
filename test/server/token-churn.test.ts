import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { expiredTokenTolerance } from '../helpers/stall-tolerance.js';
import { startTestApp, type TestApp } from './helpers.js';

let emulator: RunningEmulator | undefined;
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  await emulator?.close();
  t = undefined;
  emulator = undefined;
});

async function startPair(options: { tokenLifetimeSec: number; rotate: boolean; latencyMs?: number }) {
  emulator = await startEmulator({
    port: 0,
    tokenLifetimeSec: options.tokenLifetimeSec,
    rotateRefreshTokens: options.rotate,
    tokenLatencyMs: options.latencyMs ?? 0,
  });
  t = await startTestApp({
    spotifyUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
    seedRefreshToken: DEMO_REFRESH_TOKEN,
    // Waves of 150 concurrent requests from one client and one fetch pool: lift the connection
    // caps (a product limit for real clients) out of the way.
    env: { SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: '10000', SPOTIPI_MAX_CONNECTIONS: '10000' },
  });
  return { emulator, app: t };
}

describe('the server under token churn', () => {
  it('serves hundreds of concurrent requests while tokens expire every few seconds: one refresh per window, no failures, no systematic expired token', async () => {
    const lifetimeSec = 8;
    const { emulator: emu, app } = await startPair({
      tokenLifetimeSec: lifetimeSec,
      rotate: true,
      latencyMs: 50,
    });
    const started = performance.now();
    const statuses = new Map<number, number>();
    let requests = 0;
    // Waves of 150 concurrent requests for ~12 s: tokens turn over about three times.
    while (performance.now() - started < 12_000) {
      const wave = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          fetch(`${app.url}${i % 2 === 0 ? '/api/devices' : '/playback_status'}`).then((r) => r.status),
        ),
      );
      for (const s of wave) statuses.set(s, (statuses.get(s) ?? 0) + 1);
      requests += wave.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    const elapsedSec = (performance.now() - started) / 1000;
    const stats = emu.stats();

    const detail = JSON.stringify({ elapsedSec, stats });
    expect(Object.fromEntries(statuses), detail).toEqual({ 200: requests });
    // A stall on a loaded machine may let one token age out on its way (see expiredTokenTolerance).
    expect(stats.expiredTokensRejected, detail).toBeLessThanOrEqual(
      expiredTokenTolerance(elapsedSec * 1000, (lifetimeSec * 1000) / 2),
    );
    expect(stats.invalidTokensRejected, detail).toBe(0);
    expect(stats.maxRefreshesInFlight, detail).toBe(1);
    // Refresh-ahead starts at half the lifetime: about one refresh per 4 s window, never a burst.
    const refreshes = stats.tokenGrants.refresh_token;
    expect(refreshes, detail).toBeGreaterThanOrEqual(Math.floor(elapsedSec / lifetimeSec));
    expect(refreshes, detail).toBeLessThanOrEqual(Math.ceil(elapsedSec / (lifetimeSec / 2)) + 1);
    expect(stats.tokenErrors).toEqual({});
  }, 45_000);

  it('follows refresh-token rotation across forced refreshes; the old refresh token is never used again', async () => {
    const { emulator: emu, app } = await startPair({ tokenLifetimeSec: 3600, rotate: true });
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${app.url}/api/token-cache/refresh`, { method: 'POST' });
      expect(res.status).toBe(200);
      const status = (await res.json()) as { status: { refresh_token: { fingerprint: string } } };
      seen.add(status.status.refresh_token.fingerprint);
      expect(emu.validRefreshTokens()).toHaveLength(1);
    }
    expect(seen.size).toBe(4);
    expect((await fetch(`${app.url}/api/devices`)).status).toBe(200);
    expect(emu.stats().tokenErrors).toEqual({});
    expect(emu.stats().tokenGrants.refresh_token).toBe(4);
    expect(app.logs.text).not.toContain(emu.validRefreshTokens()[0] ?? 'none');
  });
});
