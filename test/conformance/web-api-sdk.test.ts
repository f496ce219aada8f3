/**
 * Drives the emulator with Spotify's official TypeScript SDK. The SDK only knows
 * https://api.spotify.com; a fetch wrapper sends its requests to the emulator instead.
 * If the emulator's wire format drifted from Spotify's, these typed reads would break.
 */
import { type AccessToken, SpotifyApi } from '@spotify/web-api-ts-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { ManualClock } from '../../src/token/manual-clock.js';

let emu: RunningEmulator;
let sdk: SpotifyApi;
const requested: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({ clock: new ManualClock() });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  requested.length = 0;
  const issued = emu.issueAccessToken();
  const token: AccessToken = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    refresh_token: issued.refreshToken,
  };
  sdk = SpotifyApi.withAccessToken(DEMO_CLIENT_ID, token, {
    fetch: (input, init) => {
      const url = String(input).replace('https://api.spotify.com', emu.url);
      requested.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
      return fetch(url, init);
    },
  });
});

describe('the official Spotify SDK against the emulator', () => {
  it('reads the current user profile', async () => {
    const me = await sdk.currentUser.profile();
    expect(me).toMatchObject({
      id: 'spotipi-demo',
      display_name: 'SpotiPi Demo',
      type: 'user',
      product: 'premium',
    });
    expect(me.images[0]?.url).toContain(emu.url);
    expect(requested).toEqual(['GET /v1/me']);
  });

  it('reads the playback state with its device and track', async () => {
    const state = await sdk.player.getPlaybackState();
    expect(state.device.name).toBe('Bedroom Pi');
    expect(typeof state.device.volume_percent).toBe('number');
    expect(state.is_playing).toBe(false);
    expect(state.item.type).toBe('track');
    expect(state.item.name.length).toBeGreaterThan(0);
    expect(state.context?.type).toBe('playlist');
    expect(['off', 'track', 'context']).toContain(state.repeat_state);
  });

  it('gets null playback state when nothing plays (204)', async () => {
    emu.stopPlayback();
    expect(await sdk.player.getPlaybackState()).toBeNull();
  });

  it('lists the available devices', async () => {
    const { devices } = await sdk.player.getAvailableDevices();
    expect(devices).toHaveLength(3);
    for (const d of devices) {
      expect(d).toMatchObject({ is_private_session: false, is_restricted: false });
      expect(typeof d.id).toBe('string');
    }
  });

  it('pages through every playlist by following offset and total', async () => {
    const ids: string[] = [];
    let offset = 0;
    let total = Number.POSITIVE_INFINITY;
    while (offset < total) {
      const page = await sdk.currentUser.playlists.playlists(20, offset);
      expect(page.offset).toBe(offset);
      expect(page.limit).toBe(20);
      ids.push(...page.items.map((p) => p.id));
      total = page.total;
      offset += page.limit;
      if (offset < total) expect(page.next).toContain(`offset=${offset}`);
      else expect(page.next).toBeNull();
    }
    expect(ids).toHaveLength(62);
    expect(new Set(ids).size).toBe(62);
    expect(requested).toHaveLength(4);
  });

  it('reads saved tracks, saved albums, followed artists and playlist items', async () => {
    const tracks = await sdk.currentUser.tracks.savedTracks(50, 0);
    expect(tracks.total).toBe(237);
    expect(tracks.items[0]?.track.album.images).toHaveLength(3);
    const albums = await sdk.currentUser.albums.savedAlbums(10, 0);
    expect(albums.items[0]?.album.tracks.items.length).toBeGreaterThan(0);
    const followed = await sdk.currentUser.followedArtists(undefined, 10);
    expect(followed.artists.items).toHaveLength(10);
    // The SDK types this as an offset Page, but Spotify (and the emulator) send cursor paging.
    const cursors = (followed.artists as unknown as { cursors: { after: string | null } }).cursors;
    expect(cursors.after).toBe(followed.artists.items[9]?.id);
    const playlist = (await sdk.currentUser.playlists.playlists(1, 0)).items[0]!;
    const items = await sdk.playlists.getPlaylistItems(playlist.id, undefined, undefined, 50, 0);
    expect(items.total).toBe(playlist.tracks?.total);
  });

  it('starts a playlist on a device, then pauses it', async () => {
    const { devices } = await sdk.player.getAvailableDevices();
    const kitchen = devices.find((d) => d.name === 'Kitchen Speaker')!;
    const playlist = (await sdk.currentUser.playlists.playlists(5, 5)).items[2]!;

    await sdk.player.startResumePlayback(kitchen.id!, playlist.uri);
    let state = await sdk.player.getPlaybackState();
    expect(state.is_playing).toBe(true);
    expect(state.device.id).toBe(kitchen.id);
    expect(state.context?.uri).toBe(playlist.uri);

    await sdk.player.pausePlayback(kitchen.id!);
    state = await sdk.player.getPlaybackState();
    expect(state.is_playing).toBe(false);
    expect(requested.filter((r) => r.startsWith('PUT'))).toEqual([
      'PUT /v1/me/player/play',
      'PUT /v1/me/player/pause',
    ]);
  });

  it('searches', async () => {
    const result = await sdk.search('light', ['track', 'artist'], undefined, 5);
    expect(result.tracks.items.length).toBeGreaterThan(0);
    expect(result.tracks.limit).toBe(5);
    expect(result.artists).toBeDefined();
  });

  it('surfaces emulator errors the way the SDK reports Spotify errors', async () => {
    emu.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 3 });
    await expect(sdk.currentUser.profile()).rejects.toThrow('exceeded its rate limits');
    emu.revokeAccessTokens();
    await expect(sdk.currentUser.profile()).rejects.toThrow('Bad or expired token');
  });
});
