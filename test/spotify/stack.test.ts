/**
 * The whole Spotify stack over loopback: TokenCache -> AccountsClient -> emulator, and
 * SpotifyWebApi -> emulator, on one virtual clock shared by the cache and the emulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { MemoryStore } from '../../src/token/stores/memory-store.js';
import { TokenCache } from '../../src/token/token-cache.js';

let emu: RunningEmulator | undefined;
let cache: TokenCache | undefined;

afterEach(async () => {
  await cache?.close();
  await emu?.close();
});

async function stack(options: { rotate: boolean; lifetimeSec: number }) {
  const clock = new ManualClock();
  emu = await startEmulator({
    clock,
    rotateRefreshTokens: options.rotate,
    tokenLifetimeSec: options.lifetimeSec,
  });
  const accounts = new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });
  const store = new MemoryStore();
  cache = new TokenCache({
    refresh: accounts.refreshFn(),
    store,
    clock,
    seedRefreshToken: DEMO_REFRESH_TOKEN,
  });
  const api = new SpotifyWebApi({ baseUrl: emu.url, tokens: cache, clock });
  return { clock, emu, store, api };
}

describe('token cache + Spotify clients + emulator', () => {
  it('serves 200 concurrent calls on an empty cache with one token grant', async () => {
    const { emu, api } = await stack({ rotate: true, lifetimeSec: 3600 });
    const results = await Promise.all(Array.from({ length: 200 }, () => api.getDevices()));
    expect(results.every((d) => d.length === 3)).toBe(true);
    const stats = emu.stats();
    expect(stats.tokenGrants.refresh_token).toBe(1);
    expect(stats.apiCalls['GET /v1/me/player/devices']).toEqual({ '200': 200 });
  });

  it('keeps working through hours of short-lived tokens with rotation, never sending an expired token', async () => {
    const { clock, emu, store, api } = await stack({ rotate: true, lifetimeSec: 1200 });
    for (let minute = 0; minute < 180; minute += 2) {
      const state = await api.getPlaybackState();
      expect(state?.device.name).toBe('Bedroom Pi');
      await clock.advance(2 * 60_000);
    }
    const stats = emu.stats();
    expect(stats.expiredTokensRejected).toBe(0);
    expect(stats.invalidTokensRejected).toBe(0);
    // 20-minute tokens refreshed 5 minutes ahead, by the first call (every 2 min) after 15 minutes:
    // one grant per ~16 minutes over 3 hours, never more than one per window.
    expect(stats.tokenGrants.refresh_token).toBeGreaterThanOrEqual(9);
    expect(stats.tokenGrants.refresh_token).toBeLessThanOrEqual(13);
    expect(stats.tokenErrors).toEqual({});
    // The newest rotated refresh token is the one stored, and it is the only one Spotify still accepts.
    const record = await store.load();
    expect(emu.validRefreshTokens()).toEqual([record?.refreshToken]);
  });

  it('recovers from revoked access tokens with one refresh and one retried call', async () => {
    const { emu, api } = await stack({ rotate: false, lifetimeSec: 3600 });
    await api.getCurrentUser();
    emu.revokeAccessTokens();
    const me = await api.getCurrentUser();
    expect(me.id).toBe('spotipi-demo');
    const stats = emu.stats();
    expect(stats.tokenGrants.refresh_token).toBe(2);
    expect(stats.invalidTokensRejected).toBe(1);
    expect(stats.apiCalls['GET /v1/me']).toEqual({ '200': 2, '401': 1 });
  });
});
