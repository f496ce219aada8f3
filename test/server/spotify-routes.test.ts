import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { startTestApp, type TestApp } from './helpers.js';

let emulator: RunningEmulator;
let t: TestApp;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});

async function startApp(): Promise<TestApp> {
  emulator.reset();
  t = await startTestApp({
    spotifyUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
    seedRefreshToken: DEMO_REFRESH_TOKEN,
  });
  return t;
}
afterEach(async () => {
  await t?.close();
});

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

async function errorOf(res: Response): Promise<{ status: number; message: string; field?: string }> {
  return ((await res.json()) as { error: { status: number; message: string; field?: string } }).error;
}

describe('playback and device routes against the emulator', () => {
  it("passes the playback state through in Spotify's shape", async () => {
    await startApp();
    const res = await call('GET', '/playback_status');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      is_playing: boolean;
      item: { uri: string };
      device: { name: string };
    };
    expect(typeof body.is_playing).toBe('boolean');
    expect(body.item.uri).toMatch(/^spotify:track:/);
    expect(body.device.name).toBeTruthy();
  });

  it('says with ?saved=1 whether the current track is liked (and only then), so the page needs no second request', async () => {
    await startApp();
    const plain = (await (await call('GET', '/playback_status')).json()) as { item: { uri: string } };
    expect(plain).not.toHaveProperty('item_saved');
    const uri = plain.item.uri;
    await call('PUT', '/api/library/saved', { uri, saved: false });
    const before = (await (await call('GET', '/playback_status?saved=1')).json()) as {
      item: { uri: string };
      item_saved: boolean;
    };
    expect(before.item.uri).toBe(uri);
    expect(before.item_saved).toBe(false);
    await call('PUT', '/api/library/saved', { uri, saved: true });
    expect(
      ((await (await call('GET', '/playback_status?saved=1')).json()) as { item_saved: boolean }).item_saved,
    ).toBe(true);
    // Spotify refusing the library check (no scope yet) costs the player's state nothing.
    emulator.injectFault({
      target: 'api',
      kind: 'status',
      status: 403,
      count: 1,
      pathPrefix: '/v1/me/library',
    });
    const refused = await call('GET', '/playback_status?saved=1');
    expect(refused.status).toBe(200);
    expect(((await refused.json()) as { item_saved: unknown }).item_saved).toBeNull();
    const bad = await call('GET', '/playback_status?saved=yes');
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe('saved');
  });

  it('answers /playback_status with nothing_playing when no device plays', async () => {
    await startApp();
    emulator.stopPlayback();
    const res = await call('GET', '/playback_status');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ is_playing: false, item: null, nothing_playing: true });
  });

  it('lists the devices', async () => {
    await startApp();
    const body = (await (await call('GET', '/api/devices')).json()) as { devices: { name: string }[] };
    expect(body.devices.map((d) => d.name).sort()).toEqual([
      'Bedroom Pi',
      'Kitchen Speaker',
      'Living Room TV',
    ]);
  });

  it('plays a playlist, pauses, skips, sets volume and shuffle, and transfers', async () => {
    await startApp();
    const library = (await (await call('GET', '/api/music-library')).json()) as {
      playlists: { uri: string }[];
    };
    const playlist = library.playlists[3]!.uri;

    expect((await call('POST', '/api/playback/play', { context_uri: playlist })).status).toBe(204);
    expect(emulator.playback()).toMatchObject({ contextUri: playlist, isPlaying: true, index: 0 });

    expect((await call('POST', '/api/playback/next')).status).toBe(204);
    expect(emulator.playback()?.index).toBe(1);
    expect((await call('POST', '/api/playback/previous', {})).status).toBe(204);
    expect(emulator.playback()?.index).toBe(0);

    expect((await call('POST', '/api/playback/pause')).status).toBe(204);
    expect(emulator.playback()?.isPlaying).toBe(false);

    expect((await call('PUT', '/api/playback/shuffle', { state: true })).status).toBe(204);
    expect(emulator.playback()?.shuffle).toBe(true);

    const kitchen = emulator.devices().find((d) => d.name === 'Kitchen Speaker')!;
    expect((await call('PUT', '/api/playback/device', { device_id: kitchen.id, play: true })).status).toBe(
      204,
    );
    expect(emulator.playback()).toMatchObject({ deviceId: kitchen.id, isPlaying: true });

    expect((await call('PUT', '/api/playback/volume', { volume: 23 })).status).toBe(204);
    const devices = (await (await call('GET', '/api/devices')).json()) as {
      devices: { id: string; volume_percent: number }[];
    };
    expect(devices.devices.find((d) => d.id === kitchen.id)?.volume_percent).toBe(23);
  });

  it('plays tracks on a device chosen by name', async () => {
    await startApp();
    const state = (await (await call('GET', '/playback_status')).json()) as { item: { uri: string } };
    const res = await call('POST', '/api/playback/play', { uris: [state.item.uri], device: 'bedroom pi' });
    expect(res.status).toBe(204);
    const bedroom = emulator.devices().find((d) => d.name === 'Bedroom Pi')!;
    expect(emulator.playback()).toMatchObject({
      deviceId: bedroom.id,
      queue: [state.item.uri],
      isPlaying: true,
    });
  });

  it('rejects bad playback input with 400 naming the field', async () => {
    await startApp();
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/api/playback/volume', { volume: 120 }, 'volume'],
      ['PUT', '/api/playback/volume', { volume: 'loud' }, 'volume'],
      ['PUT', '/api/playback/volume', {}, 'volume'],
      ['PUT', '/api/playback/volume', { volume: 5, extra: 1 }, 'extra'],
      ['PUT', '/api/playback/shuffle', { state: 'yes' }, 'state'],
      ['PUT', '/api/playback/device', {}, 'device_id'],
      ['POST', '/api/playback/play', { context_uri: 'https://open.spotify.com/x' }, 'context_uri'],
      [
        'POST',
        '/api/playback/play',
        { uris: ['spotify:track:abc'], context_uri: 'spotify:album:abc' },
        'uris',
      ],
      ['POST', '/api/playback/play', { uris: ['nope'] }, 'uris.0'],
      ['POST', '/api/playback/play', { device: 'Toaster' }, 'device'],
      ['POST', '/api/playback/pause', { device_id: 5 }, 'device_id'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await call(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      const err = await errorOf(res);
      expect(err, `${method} ${path} ${JSON.stringify(body)}`).toMatchObject({ status: 400, field });
      expect(err.message).toBeTruthy();
    }
  });
});

describe('music library', () => {
  it('collects every page of playlists and saved albums plus the liked songs count', async () => {
    await startApp();
    const res = await call('GET', '/api/music-library');
    const body = (await res.json()) as {
      playlists: { uri: string; name: string; image: string }[];
      albums: { uri: string; subtitle: string }[];
      liked_songs: { total: number; uri: string };
      cached: boolean;
    };
    expect(body.cached).toBe(false);
    // The emulator seeds more playlists than one page holds (limit 50).
    expect(body.playlists.length).toBeGreaterThan(50);
    expect(new Set(body.playlists.map((p) => p.uri)).size).toBe(body.playlists.length);
    expect(body.albums.length).toBeGreaterThan(0);
    expect(body.albums[0]?.subtitle).toBeTruthy();
    expect(body.liked_songs.total).toBeGreaterThan(0);
    expect(body.liked_songs.uri).toBe('spotify:user:spotipi-demo:collection');
    const stats = emulator.stats().apiCalls;
    expect(stats['GET /v1/me/playlists']?.['200']).toBeGreaterThanOrEqual(2);
  });

  it('serves a second load from the cache and bypasses it with ?refresh=1', async () => {
    await startApp();
    await call('GET', '/api/music-library');
    const before = emulator.stats().apiCallsTotal;
    const cached = (await (await call('GET', '/api/music-library')).json()) as { cached: boolean };
    expect(cached.cached).toBe(true);
    expect(emulator.stats().apiCallsTotal).toBe(before);
    const fresh = (await (await call('GET', '/api/music-library?refresh=1')).json()) as { cached: boolean };
    expect(fresh.cached).toBe(false);
    expect(emulator.stats().apiCallsTotal).toBeGreaterThan(before);
    expect((await call('GET', '/api/music-library?refresh=maybe')).status).toBe(400);
  });
});

describe('Spotify failures become helpful answers', () => {
  it('answers 409 with what to do when no device is active', async () => {
    await startApp();
    emulator.stopPlayback();
    const res = await call('POST', '/api/playback/pause');
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toMatch(/No active Spotify device.*Open Spotify/);
  });

  it('answers 503 with Retry-After when Spotify rate-limits for long', async () => {
    await startApp();
    await call('GET', '/api/devices');
    emulator.injectFault({
      target: 'api',
      kind: 'rate_limit',
      retryAfterSec: 42,
      pathPrefix: '/v1/me/player/devices',
    });
    const res = await call('GET', '/api/devices');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('42');
    expect(await errorOf(res)).toMatchObject({ status: 503 });
  });

  it('answers 502 when Spotify keeps failing', async () => {
    await startApp();
    await call('GET', '/api/devices');
    emulator.injectFault({ target: 'api', kind: 'status', status: 503, count: 10 });
    const res = await call('GET', '/api/devices');
    expect(res.status).toBe(502);
    expect((await errorOf(res)).message).toMatch(/Spotify is not answering/);
    emulator.clearFaults();
  });

  it('answers 401 with the login link when the grant is revoked', async () => {
    await startApp();
    emulator.revokeRefreshTokens();
    const res = await call('GET', '/api/devices');
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ status: 401, login_url: '/login' });
    const status = (await (await call('GET', '/api/token-cache/status')).json()) as { state: string };
    expect(status.state).toBe('reauthorization_required');
  });

  it('still answers after Spotify revokes the access token, with exactly one refresh', async () => {
    await startApp();
    expect((await call('GET', '/api/devices')).status).toBe(200);
    const grants = emulator.stats().tokenGrants.refresh_token;
    emulator.revokeAccessTokens();
    const results = await Promise.all(Array.from({ length: 20 }, () => call('GET', '/api/devices')));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(emulator.stats().tokenGrants.refresh_token).toBe(grants + 1);
  });

  it('never puts a token, refresh token or client secret in a log line or response', async () => {
    await startApp();
    const bodies: string[] = [];
    for (const [method, path] of [
      ['GET', '/playback_status'],
      ['GET', '/api/devices'],
      ['GET', '/api/music-library'],
      ['POST', '/api/token-cache/refresh'],
      ['GET', '/api/token-cache/status'],
      ['GET', '/api/token-cache/performance'],
      ['GET', '/readyz'],
      ['GET', '/metrics'],
    ] as const) {
      bodies.push(await (await call(method, path)).text());
    }
    emulator.revokeAccessTokens();
    bodies.push(await (await call('GET', '/api/devices')).text());
    const accessToken = await t.tokenCache.getAccessToken();
    const secrets = [accessToken, DEMO_REFRESH_TOKEN, DEMO_CLIENT_SECRET, ...emulator.validRefreshTokens()];
    expect(t.logs.lines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(t.logs.text).not.toContain(secret);
      for (const body of bodies) expect(body).not.toContain(secret);
    }
  });

  it('counts Spotify calls by endpoint and status in /metrics', async () => {
    await startApp();
    await call('GET', '/api/devices');
    const text = await (await call('GET', '/metrics')).text();
    expect(text).toMatch(
      /spotipi_spotify_api_calls_total\{endpoint="GET \/v1\/me\/player\/devices",status="200"\} 1/,
    );
  });
});
