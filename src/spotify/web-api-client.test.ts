import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../emulator/server.js';
import type { RunningEmulator } from '../emulator/types.js';
import { ManualClock } from '../token/manual-clock.js';
import type { Clock, TokenProvider } from '../token/types.js';
import {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyProtocolError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from './errors.js';
import { SpotifyWebApi, type SpotifyWebApiOptions } from './web-api-client.js';

/** A clock whose sleeps return at once and are recorded, so waits can be asserted without waiting. */
class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  private t = Date.UTC(2026, 0, 5, 6, 0, 0);
  now() {
    return this.t;
  }
  monotonic() {
    return this.t;
  }
  async sleep(ms: number) {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

/** A token provider over the emulator: hands out its current token, records invalidations. */
class EmulatorTokens implements TokenProvider {
  token: string;
  invalidated: string[] = [];
  constructor(private readonly emu: RunningEmulator) {
    this.token = emu.issueAccessToken().accessToken;
  }
  async getAccessToken() {
    return this.token;
  }
  invalidate(rejected?: string) {
    this.invalidated.push(rejected ?? '');
    if (rejected === this.token) this.token = this.emu.issueAccessToken().accessToken;
  }
}

let emu: RunningEmulator;
let tokens: EmulatorTokens;
let clock: RecordingClock;
let calls: { endpoint: string; status: number }[];

function client(options: Partial<SpotifyWebApiOptions> = {}): SpotifyWebApi {
  return new SpotifyWebApi({
    baseUrl: emu.url,
    tokens,
    clock,
    onCall: (endpoint, status) => calls.push({ endpoint, status }),
    ...options,
  });
}

async function catchError(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  // Emulated time stands still unless a test moves it, so progress figures are exact.
  emu = await startEmulator({ clock: new ManualClock() });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  tokens = new EmulatorTokens(emu);
  clock = new RecordingClock();
  calls = [];
});

describe('SpotifyWebApi reads', () => {
  it('reads the profile of the current user', async () => {
    const me = await client().getCurrentUser();
    expect(me).toMatchObject({ id: 'spotipi-demo', type: 'user', product: 'premium' });
  });

  it('reads the playback state with device, item and context', async () => {
    const state = await client().getPlaybackState();
    expect(state?.device.name).toBe('Bedroom Pi');
    expect(state?.is_playing).toBe(false);
    expect(state?.item?.uri).toMatch(/^spotify:track:/);
    expect(state?.context?.uri).toMatch(/^spotify:playlist:/);
  });

  it('returns null for the playback state when nothing is playing (204)', async () => {
    emu.stopPlayback();
    const api = client();
    expect(await api.getPlaybackState()).toBeNull();
    expect(await api.getCurrentlyPlaying()).toBeNull();
    expect(calls.map((c) => c.status)).toEqual([204, 204]);
  });

  it('lists the three devices with exactly one active', async () => {
    const devices = await client().getDevices();
    expect(devices.map((d) => d.name)).toEqual(['Bedroom Pi', 'Kitchen Speaker', 'Living Room TV']);
    expect(devices.filter((d) => d.is_active)).toHaveLength(1);
  });

  it('collects all playlists across pages with bounded concurrency', async () => {
    const api = client({ pageConcurrency: 2 });
    const all = await api.getAllMyPlaylists();
    expect(all).toHaveLength(62);
    expect(new Set(all.map((p) => p.id)).size).toBe(62);
    const firstPage = await api.getMyPlaylists({ limit: 50 });
    expect(all.slice(0, 50).map((p) => p.id)).toEqual(firstPage.items.map((p) => p.id));
    expect(emu.stats().apiCalls['GET /v1/me/playlists']).toEqual({ '200': 3 });
  });

  it('reads saved albums, saved tracks and their count', async () => {
    const api = client();
    expect(await api.getSavedTracksCount()).toBe(237);
    expect(await api.getAllSavedTracks()).toHaveLength(237);
    const albums = await api.getAllSavedAlbums();
    expect(albums).toHaveLength(34);
    expect(albums[0]?.album.tracks.items.length).toBeGreaterThan(0);
  });

  it('follows cursor paging through every followed artist', async () => {
    const api = client();
    const page = await api.getFollowedArtists({ limit: 10 });
    expect(page.items).toHaveLength(10);
    expect(page.cursors.after).toBe(page.items[9]?.id);
    const all = await api.getAllFollowedArtists();
    expect(all).toHaveLength(27);
    expect(new Set(all.map((a) => a.id)).size).toBe(27);
  });

  it('reads every item of a playlist', async () => {
    const api = client();
    const [playlist] = (await api.getMyPlaylists({ limit: 1 })).items;
    const items = await api.getAllPlaylistItems(playlist!.id);
    expect(items).toHaveLength(playlist!.tracks!.total);
    expect(items[0]?.track?.type).toBe('track');
  });

  it('searches the catalogue by type', async () => {
    const result = await client().search('morning', ['playlist', 'track'], { limit: 5 });
    expect(result.playlists?.items.map((p) => p?.name)).toContain('Morning Coffee');
    // A track matches by its name, its album's or an artist's, as on Spotify.
    const fields = (t: { name: string; album: { name: string }; artists: { name: string }[] }) =>
      [t.name, t.album.name, ...t.artists.map((a) => a.name)].map((v) => v.toLowerCase());
    expect(result.tracks?.items.length).toBeGreaterThan(0);
    expect(result.tracks?.items.every((t) => fields(t).some((v) => v.includes('morning')))).toBe(true);
    expect(result.albums).toBeUndefined();
  });

  it('reports a bad paging limit as SpotifyApiError 400 with Spotify message', async () => {
    const err = await catchError(client().getMyPlaylists({ limit: 51 }));
    expect(err).toBeInstanceOf(SpotifyApiError);
    expect((err as SpotifyApiError).status).toBe(400);
    expect((err as SpotifyApiError).spotifyMessage).toBe('Invalid limit');
  });
});

describe('SpotifyWebApi player commands', () => {
  it('plays a context with shuffle on a chosen device, then pauses, skips and seeks', async () => {
    const api = client();
    const [kitchen] = (await api.getDevices()).filter((d) => d.name === 'Kitchen Speaker');
    const [playlist] = (await api.getMyPlaylists({ limit: 1, offset: 3 })).items;
    await api.setShuffle(true, kitchen!.id!);
    await api.play({ deviceId: kitchen!.id!, contextUri: playlist!.uri });
    let state = await api.getPlaybackState();
    expect(state).toMatchObject({ is_playing: true, shuffle_state: true, context: { uri: playlist!.uri } });
    expect(state?.device.id).toBe(kitchen!.id);

    const first = state?.item?.id;
    await api.next();
    state = await api.getPlaybackState();
    expect(state?.item?.id).not.toBe(first);

    await api.seek(30_000);
    expect((await api.getPlaybackState())?.progress_ms).toBe(30_000);

    await api.pause();
    expect((await api.getPlaybackState())?.is_playing).toBe(false);
  });

  it('plays explicit track URIs from an offset and position', async () => {
    const api = client();
    const tracks = (await api.getSavedTracks({ limit: 3 })).items.map((s) => s.track.uri);
    await api.play({ uris: tracks, offset: { position: 2 }, positionMs: 5_000 });
    const state = await api.getPlaybackState();
    expect(state?.item?.uri).toBe(tracks[2]);
    expect(state?.progress_ms).toBe(5_000);
    expect(state?.context).toBeNull();
  });

  it('sets volume, repeat and transfers playback', async () => {
    const api = client();
    const devices = await api.getDevices();
    const kitchen = devices.find((d) => d.name === 'Kitchen Speaker')!;
    await api.transferPlayback(kitchen.id!, true);
    await api.setVolume(72);
    await api.setRepeat('context');
    const state = await api.getPlaybackState();
    expect(state).toMatchObject({ is_playing: true, repeat_state: 'context' });
    expect(state?.device).toMatchObject({ id: kitchen.id, volume_percent: 72, is_active: true });
    await api.previous();
    expect((await api.getPlaybackState())?.progress_ms).toBe(0);
  });

  it('throws NoActiveDeviceError for a command when no device is active', async () => {
    emu.stopPlayback();
    const err = await catchError(client().pause());
    expect(err).toBeInstanceOf(NoActiveDeviceError);
    expect((err as NoActiveDeviceError).reason).toBe('NO_ACTIVE_DEVICE');
    expect((err as NoActiveDeviceError).status).toBe(404);
    expect(err.message).toContain('No active device');
  });

  it('reports a device that cannot change volume as a 403 SpotifyApiError with the reason', async () => {
    const api = client();
    const tv = (await api.getDevices()).find((d) => !d.supports_volume)!;
    const err = await catchError(api.setVolume(30, tv.id!));
    expect(err).toBeInstanceOf(SpotifyApiError);
    expect((err as SpotifyApiError).status).toBe(403);
    expect((err as SpotifyApiError).reason).toBe('VOLUME_CONTROL_DISALLOW');
  });

  it('rejects a non-numeric volume before calling Spotify', async () => {
    await expect(client().setVolume(Number.NaN)).rejects.toBeInstanceOf(RangeError);
    expect(calls).toHaveLength(0);
  });
});

describe('SpotifyWebApi token handling', () => {
  it('on 401 invalidates exactly the rejected token and retries once with a fresh one', async () => {
    const stale = tokens.token;
    emu.revokeAccessTokens();
    const me = await client().getCurrentUser();
    expect(me.id).toBe('spotipi-demo');
    expect(tokens.invalidated).toEqual([stale]);
    expect(calls.map((c) => c.status)).toEqual([401, 200]);
    expect(emu.stats().invalidTokensRejected).toBe(1);
  });

  it('retries a command once after a 401 as well (it was not performed)', async () => {
    emu.revokeAccessTokens();
    await client().setVolume(10);
    expect(calls.map((c) => `${c.endpoint} ${c.status}`)).toEqual([
      'PUT /v1/me/player/volume 401',
      'PUT /v1/me/player/volume 204',
    ]);
  });

  it('gives up with SpotifyUnauthorizedError when the fresh token is rejected too', async () => {
    emu.injectFault({ target: 'api', kind: 'unauthorized', count: 2 });
    const err = await catchError(client().getCurrentUser());
    expect(err).toBeInstanceOf(SpotifyUnauthorizedError);
    expect(tokens.invalidated).toHaveLength(1);
    expect(calls).toHaveLength(2);
  });

  it('sends a token the emulator reports expired only once, then a fresh one', async () => {
    const manual = new ManualClock();
    const short = await startEmulator({ clock: manual, tokenLifetimeSec: 60 });
    try {
      const provider = new EmulatorTokens(short);
      const api = new SpotifyWebApi({ baseUrl: short.url, tokens: provider, clock });
      await manual.advance(61_000);
      await api.getDevices();
      expect(short.stats().expiredTokensRejected).toBe(1);
      expect(provider.invalidated).toHaveLength(1);
    } finally {
      await short.close();
    }
  });

  it('never puts the access token into an error message', async () => {
    emu.injectFault({ target: 'api', kind: 'unauthorized', count: 2 });
    const err = await catchError(client().getCurrentUser());
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(tokens.token);
  });
});

describe('SpotifyWebApi rate limits and failures', () => {
  it('waits out a short Retry-After on the injected clock and then succeeds', async () => {
    emu.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 2 });
    const devices = await client({ maxRetryAfterWaitMs: 5_000 }).getDevices();
    expect(devices).toHaveLength(3);
    expect(clock.sleeps).toEqual([2_000]);
  });

  it('throws SpotifyRateLimitedError with the wait when Retry-After is longer than the bound', async () => {
    emu.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 120 });
    const err = await catchError(client({ maxRetryAfterWaitMs: 5_000 }).getDevices());
    expect(err).toBeInstanceOf(SpotifyRateLimitedError);
    expect((err as SpotifyRateLimitedError).retryAfterMs).toBe(120_000);
    expect(clock.sleeps).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('retries a GET after 5xx with growing backoff', async () => {
    emu.injectFault({ target: 'api', kind: 'status', status: 503, count: 2 });
    const me = await client({ backoffBaseMs: 100 }).getCurrentUser();
    expect(me.id).toBe('spotipi-demo');
    expect(clock.sleeps).toEqual([100, 200]);
    expect(emu.stats().apiCalls['GET /v1/me']).toEqual({ '503': 2, '200': 1 });
  });

  it('gives up on a GET after the allowed retries with SpotifyUnavailableError', async () => {
    emu.injectFault({ target: 'api', kind: 'status', status: 500, count: 5 });
    const err = await catchError(client({ maxGetRetries: 2 }).getCurrentUser());
    expect(err).toBeInstanceOf(SpotifyUnavailableError);
    expect((err as SpotifyUnavailableError).status).toBe(500);
    expect(calls).toHaveLength(3);
  });

  it('does not repeat a command after a 5xx', async () => {
    emu.injectFault({ target: 'api', kind: 'status', status: 502, method: 'PUT' });
    const err = await catchError(client().pause());
    expect(err).toBeInstanceOf(SpotifyUnavailableError);
    expect(emu.stats().apiCalls['PUT /v1/me/player/pause']).toEqual({ '502': 1 });
    // The command was not performed, so playback is unchanged.
    expect(emu.playback()?.isPlaying).toBe(false);
  });

  it('retries a GET after a reset connection', async () => {
    emu.injectFault({ target: 'api', kind: 'reset' });
    const devices = await client().getDevices();
    expect(devices).toHaveLength(3);
    expect(calls.map((c) => c.status)).toEqual([0, 200]);
  });

  it('does not repeat a command after a reset connection', async () => {
    emu.injectFault({ target: 'api', kind: 'reset', method: 'PUT' });
    const err = await catchError(client().play());
    expect(err).toBeInstanceOf(SpotifyUnavailableError);
    expect(err.message).toMatch(/failed/);
    expect(calls).toHaveLength(1);
  });

  it('times out a slow call and reports Spotify unavailable', async () => {
    emu.injectFault({ target: 'api', kind: 'delay', delayMs: 2_000, count: 1 });
    const err = await catchError(client({ timeoutMs: 50, maxGetRetries: 0 }).getDevices());
    expect(err).toBeInstanceOf(SpotifyUnavailableError);
    expect(err.message).toContain('timed out');
    await vi.waitFor(() => expect(emu.stats().apiCallsTotal).toBe(1));
  });

  it('reports malformed JSON as a SpotifyProtocolError', async () => {
    emu.injectFault({ target: 'api', kind: 'malformed' });
    const err = await catchError(client().getPlaybackState());
    expect(err).toBeInstanceOf(SpotifyProtocolError);
    expect(err.message).toContain('malformed JSON');
  });

  it('reports Spotify unreachable as SpotifyUnavailableError', async () => {
    const closed = await startEmulator();
    const url = closed.url;
    await closed.close();
    const err = await catchError(client({ baseUrl: url, maxGetRetries: 1 }).getCurrentUser());
    expect(err).toBeInstanceOf(SpotifyUnavailableError);
    expect(clock.sleeps).toHaveLength(1);
  });

  it('reports every attempt to the onCall hook with the route template', async () => {
    const api = client();
    const [playlist] = (await api.getMyPlaylists({ limit: 1 })).items;
    await api.getPlaylistItems(playlist!.id, { limit: 5 });
    expect(calls).toEqual([
      { endpoint: 'GET /v1/me/playlists', status: 200 },
      { endpoint: 'GET /v1/playlists/{id}/items', status: 200 },
    ]);
  });
});

describe('SpotifyWebApi against the February 2026 Development Mode shapes', () => {
  let devEmu: RunningEmulator;
  beforeAll(async () => {
    devEmu = await startEmulator({ clock: new ManualClock(), developmentMode: true });
  });
  afterAll(async () => {
    await devEmu.close();
  });

  it('reads every playlist entry through /items, with the track under `item` handed back as `track`', async () => {
    tokens = new EmulatorTokens(devEmu);
    const api = client({ baseUrl: devEmu.url });
    const [playlist] = (await api.getMyPlaylists({ limit: 1 })).items;
    expect(playlist?.tracks).toBeNull();
    const items = await api.getAllPlaylistItems(playlist!.id);
    expect(items).toHaveLength(playlist!.items!.total);
    expect(items.every((entry) => entry.track?.type === 'track')).toBe(true);
    expect(items[0]?.track?.id).toBe(items[0]?.item?.id);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
  });

  it('reads a profile without the fields Development Mode apps no longer get', async () => {
    tokens = new EmulatorTokens(devEmu);
    const me = await client({ baseUrl: devEmu.url }).getCurrentUser();
    expect(me.id).toBeTruthy();
    expect(me).not.toHaveProperty('email');
    expect(me).not.toHaveProperty('product');
  });
});

describe('SpotifyWebApi for the music views', () => {
  it('adds a track to the queue and reads it back first in line', async () => {
    const api = client();
    const [track] = (await api.search('wake', ['track'], { limit: 1 })).tracks!.items;
    await api.addToQueue(track!.uri);
    const queue = await api.getQueue();
    expect(queue.currently_playing?.type).toBe('track');
    expect(queue.queue[0]?.uri).toBe(track!.uri);
    expect(calls.map((c) => `${c.endpoint} ${c.status}`)).toContain('POST /v1/me/player/queue 204');
  });

  it('pages recently played backwards with the before cursor', async () => {
    const api = client();
    const first = await api.getRecentlyPlayed({ limit: 5 });
    expect(first.items).toHaveLength(5);
    const before = Number(first.cursors?.before);
    const older = await api.getRecentlyPlayed({ limit: 5, before });
    expect(Date.parse(older.items[0]!.played_at)).toBeLessThan(before);
    expect(older.items.map((p) => p.played_at)).not.toContain(first.items[4]!.played_at);
  });

  it('reads top tracks and artists per time range, and refuses an unknown range with 400', async () => {
    const api = client();
    const short = await api.getTopTracks({ timeRange: 'short_term', limit: 5 });
    const long = await api.getTopTracks({ timeRange: 'long_term', limit: 5 });
    expect(short.items.map((t) => t.id)).not.toEqual(long.items.map((t) => t.id));
    expect((await api.getTopArtists({ limit: 3 })).items[0]?.type).toBe('artist');
    const err = await catchError(api.getTopTracks({ timeRange: 'forever' as never }));
    expect((err as SpotifyApiError).status).toBe(400);
  });

  it("reads an artist's albums at most 10 a page, as the reference now allows", async () => {
    const api = client();
    const [artist] = (await api.search('the', ['artist'], { limit: 1 })).artists!.items;
    const albums = await api.getArtistAlbums(artist!.id, { limit: 10 });
    expect(albums.items.every((a) => a.album_group !== undefined)).toBe(true);
    const err = await catchError(api.getArtistAlbums(artist!.id, { limit: 11 }));
    expect((err as SpotifyApiError).status).toBe(400);
  });

  it('does not fall back to a search when top-tracks fails for another reason than its removal', async () => {
    const api = client();
    const [artist] = (await api.search('the', ['artist'], { limit: 1 })).artists!.items;
    emu.injectFault({ target: 'api', kind: 'status', status: 400, pathPrefix: '/v1/artists/' });
    const err = await catchError(api.getArtistTopTracks(artist!));
    expect((err as SpotifyApiError).status).toBe(400);
    expect(calls.filter((c) => c.endpoint === 'GET /v1/search')).toHaveLength(1); // the lookup above
  });

  it('likes through /me/library and checks with /me/library/contains', async () => {
    const api = client();
    const [track] = (await api.search('wake', ['track'], { limit: 1 })).tracks!.items;
    await api.removeFromLibrary([track!.uri]);
    expect(await api.libraryContains([track!.uri])).toEqual([false]);
    await api.saveToLibrary([track!.uri]);
    expect(await api.libraryContains([track!.uri])).toEqual([true]);
    expect((await api.getSavedTracks({ limit: 1 })).items[0]?.track.uri).toBe(track!.uri);
    // The pre-2026 writes and checks were not needed.
    expect(
      calls.filter((c) => /^(PUT|DELETE) \/v1\/me\/tracks|\/v1\/me\/tracks\/contains/.test(c.endpoint)),
    ).toEqual([]);
  });

  it('reports the 404 of unknown items, not the old endpoint, when both answer 404', async () => {
    const api = client();
    const err = await catchError(api.saveToLibrary(['spotify:track:0000000000000000000000']));
    expect((err as SpotifyApiError).status).toBe(404);
    expect((err as SpotifyApiError).endpoint).toBe('PUT /v1/me/library');
  });
});
