import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import type { ServerSpotify } from '../../src/server/deps.js';
import { SpotifyApiError } from '../../src/spotify/errors.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { startTestApp, type TestApp } from './helpers.js';

/** What Development Mode apps get (every self-registered SpotiPi app, and demo mode). */
let dev: RunningEmulator;
/** What Extended Quota apps get (the pre-2026 endpoints still answer). */
let extended: RunningEmulator;
let t: TestApp | undefined;

beforeAll(async () => {
  [dev, extended] = await Promise.all([
    startEmulator({ port: 0, developmentMode: true }),
    startEmulator({ port: 0 }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.close(), extended?.close()]);
});
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function startApp(emulator: RunningEmulator = dev, clock?: ManualClock): Promise<TestApp> {
  emulator.reset();
  t = await startTestApp({
    ...(clock ? { clock } : {}),
    spotifyUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
    seedRefreshToken: DEMO_REFRESH_TOKEN,
  });
  return t;
}

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${t!.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
}

async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await call(method, path, body);
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

async function errorOf(res: Response): Promise<{ status: number; message: string; field?: string }> {
  return ((await res.json()) as { error: { status: number; message: string; field?: string } }).error;
}

const calls = (emulator: RunningEmulator, endpoint: string) =>
  Object.values(emulator.stats().apiCalls[endpoint] ?? {}).reduce((a, b) => a + b, 0);

interface Item {
  kind: string;
  id: string;
  uri: string;
  name: string;
  subtitle: string;
  image: string | null;
  artists?: { id: string; name: string }[];
  album?: { uri: string };
  played_at?: string;
}
interface Group {
  items: Item[];
  total: number;
  offset: number;
  next_offset: number | null;
}

describe('search', () => {
  it('answers one box with tracks, albums, artists and playlists grouped by type, in small items', async () => {
    await startApp();
    const body = await json<Record<string, Group> & { cached: boolean }>('GET', '/api/search?q=the');
    for (const kind of ['tracks', 'albums', 'artists', 'playlists']) {
      expect(body[kind], kind).toBeDefined();
    }
    expect(body.artists!.items.length).toBeGreaterThan(0);
    expect(body.tracks!.items[0]).toMatchObject({
      kind: 'track',
      uri: expect.stringMatching(/^spotify:track:/),
    });
    expect(body.tracks!.items[0]!.album?.uri).toMatch(/^spotify:album:/);
    expect(body.artists!.items.every((a) => a.kind === 'artist' && a.uri.startsWith('spotify:artist:'))).toBe(
      true,
    );
    // Development Mode: 5 a group by default.
    expect(body.tracks!.items.length).toBeLessThanOrEqual(5);
    expect(body.cached).toBe(false);
  });

  it('pages a group with offset, and says where the next page starts', async () => {
    await startApp();
    const first = await json<{ tracks: Group }>('GET', '/api/search?q=the&type=track&limit=10');
    expect(first.tracks.items).toHaveLength(10);
    expect(first.tracks.next_offset).toBe(10);
    const second = await json<{ tracks: Group; albums?: Group }>(
      'GET',
      '/api/search?q=the&type=track&limit=10&offset=10',
    );
    expect(second.albums).toBeUndefined();
    expect(second.tracks.offset).toBe(10);
    const firstIds = new Set(first.tracks.items.map((i) => i.id));
    expect(second.tracks.items.some((i) => firstIds.has(i.id))).toBe(false);
  });

  it('finds an artist by name and their tracks by the artist', async () => {
    await startApp();
    const artists = await json<{ artists: Group }>('GET', '/api/search?q=the&type=artist');
    const artist = artists.artists.items[0]!;
    const tracks = await json<{ tracks: Group }>(
      'GET',
      `/api/search?q=${encodeURIComponent(artist.name)}&type=track`,
    );
    expect(tracks.tracks.items.length).toBeGreaterThan(0);
    expect(tracks.tracks.items.some((tr) => tr.artists?.some((a) => a.id === artist.id))).toBe(true);
  });

  it('answers the same words again from its short cache, without asking Spotify', async () => {
    await startApp();
    await json('GET', '/api/search?q=morning');
    const before = calls(dev, 'GET /v1/search');
    const again = await json<{ cached: boolean }>('GET', '/api/search?q=Morning');
    expect(again.cached).toBe(true);
    expect(calls(dev, 'GET /v1/search')).toBe(before);
  });

  it('refuses bad input naming the field', async () => {
    await startApp();
    const cases: [string, string][] = [
      ['/api/search', 'q'],
      ['/api/search?q=', 'q'],
      ['/api/search?q=%20%20', 'q'],
      [`/api/search?q=${'x'.repeat(201)}`, 'q'],
      ['/api/search?q=a&type=show', 'type'],
      ['/api/search?q=a&limit=11', 'limit'],
      ['/api/search?q=a&limit=0', 'limit'],
      ['/api/search?q=a&offset=-1', 'offset'],
      ['/api/search?q=a&sort=new', 'sort'],
    ];
    for (const [path, field] of cases) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(400);
      expect(await errorOf(res), path).toMatchObject({ status: 400, field });
    }
  });
});

describe('queue', () => {
  it('adds a track to the queue and "Up next" shows it first', async () => {
    await startApp();
    const found = await json<{ tracks: Group }>('GET', '/api/search?q=wake&type=track');
    const track = found.tracks.items[0]!;
    expect((await call('POST', '/api/queue', { uri: track.uri })).status).toBe(204);
    const queue = await json<{ currently_playing: Item | null; queue: Item[] }>('GET', '/api/queue');
    expect(queue.currently_playing?.kind).toBe('track');
    expect(queue.queue[0]).toMatchObject({ uri: track.uri, name: track.name });
    // A second addition plays after the first, before the rest of the context.
    const other = found.tracks.items[1]!;
    await call('POST', '/api/queue', { uri: other.uri });
    const after = await json<{ queue: Item[] }>('GET', '/api/queue');
    expect(after.queue.slice(0, 2).map((i) => i.uri)).toEqual([track.uri, other.uri]);
    // Skipping plays the queued track.
    await call('POST', '/api/playback/next');
    expect(dev.playback()?.queue[dev.playback()!.index]).toBe(track.uri);
  });

  it('refuses a bad uri naming it, and says what to do when no device is active', async () => {
    await startApp();
    for (const body of [{}, { uri: 'spotify:album:abc' }, { uri: 'x', device_id: '' }]) {
      const res = await call('POST', '/api/queue', body);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).field).toBe('uri');
    }
    dev.stopPlayback();
    const track = (await json<{ tracks: Group }>('GET', '/api/search?q=wake&type=track')).tracks.items[0]!;
    const res = await call('POST', '/api/queue', { uri: track.uri });
    expect(res.status).toBe(409);
  });
});

describe('library sections', () => {
  it('lists Liked Songs page by page with where the next page starts', async () => {
    await startApp();
    const first = await json<Group & { cached: boolean }>('GET', '/api/library/liked?limit=50');
    expect(first.items).toHaveLength(50);
    expect(first.total).toBeGreaterThan(50);
    expect(first.next_offset).toBe(50);
    expect(first.items[0]).toMatchObject({ kind: 'track', added_at: expect.any(String) });
    const last = await json<Group>('GET', `/api/library/liked?offset=${first.total - 3}`);
    expect(last.items).toHaveLength(3);
    expect(last.next_offset).toBeNull();
  });

  it('lists followed artists, recently played and top items, each fetched once and then cached', async () => {
    await startApp();
    const artists = await json<{ items: Item[]; total: number }>('GET', '/api/library/artists');
    expect(artists.total).toBe(27);
    expect(artists.items[0]?.kind).toBe('artist');

    const recent = await json<{ items: Item[]; cached: boolean }>('GET', '/api/library/recent');
    expect(recent.items.length).toBe(50);
    expect(Date.parse(recent.items[0]!.played_at!)).toBeGreaterThan(Date.parse(recent.items[1]!.played_at!));
    const again = await json<{ cached: boolean }>('GET', '/api/library/recent');
    expect(again.cached).toBe(true);
    expect(calls(dev, 'GET /v1/me/player/recently-played')).toBe(1);
    expect((await json<{ cached: boolean }>('GET', '/api/library/recent?refresh=1')).cached).toBe(false);

    const short = await json<{ items: Item[]; time_range: string }>(
      'GET',
      '/api/library/top?type=tracks&time_range=short_term',
    );
    const long = await json<{ items: Item[] }>('GET', '/api/library/top?type=tracks&time_range=long_term');
    expect(short.time_range).toBe('short_term');
    expect(short.items.map((i) => i.id)).not.toEqual(long.items.map((i) => i.id));
    const topArtists = await json<{ items: Item[]; type: string }>('GET', '/api/library/top?type=artists');
    expect(topArtists.type).toBe('artists');
    expect(topArtists.items[0]?.kind).toBe('artist');
  });

  it('likes and unlikes a track through /me/library, and Liked Songs shows it at once', async () => {
    await startApp();
    const track = (await json<{ tracks: Group }>('GET', '/api/search?q=wake&type=track&limit=10')).tracks
      .items[0]!;
    // Seen once so the liked page is cached: the like must not leave it stale.
    await json('GET', '/api/library/liked');
    const start = await json<{ saved: Record<string, boolean> }>(
      'GET',
      `/api/library/saved?uris=${track.uri}`,
    );
    if (start.saved[track.uri]) await json('PUT', '/api/library/saved', { uri: track.uri, saved: false });

    expect(await json('PUT', '/api/library/saved', { uri: track.uri, saved: true })).toEqual({
      uri: track.uri,
      saved: true,
    });
    expect(
      (await json<{ saved: Record<string, boolean> }>('GET', `/api/library/saved?uris=${track.uri}`)).saved,
    ).toEqual({ [track.uri]: true });
    const liked = await json<Group>('GET', '/api/library/liked');
    expect(liked.items[0]?.uri).toBe(track.uri);
    expect(calls(dev, 'PUT /v1/me/library')).toBe(1);

    await json('PUT', '/api/library/saved', { uri: track.uri, saved: false });
    expect(
      (await json<{ saved: Record<string, boolean> }>('GET', `/api/library/saved?uris=${track.uri}`)).saved[
        track.uri
      ],
    ).toBe(false);
  });

  it('refuses bad library input naming the field', async () => {
    await startApp();
    const cases: [string, string, unknown, string][] = [
      ['GET', '/api/library/liked?limit=51', undefined, 'limit'],
      ['GET', '/api/library/liked?offset=x', undefined, 'offset'],
      ['GET', '/api/library/top?type=albums', undefined, 'type'],
      ['GET', '/api/library/top?time_range=forever', undefined, 'time_range'],
      ['GET', '/api/library/recent?refresh=maybe', undefined, 'refresh'],
      ['GET', '/api/library/saved', undefined, 'uris'],
      ['GET', '/api/library/saved?uris=spotify:artist:abc', undefined, 'uris'],
      ['PUT', '/api/library/saved', { uri: 'spotify:track:abc' }, 'saved'],
      ['PUT', '/api/library/saved', { uri: 'abc', saved: true }, 'uri'],
      ['GET', '/api/artists/not-an-id!', undefined, 'id'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await call(method, path, body);
      expect(res.status, path).toBe(400);
      expect(await errorOf(res), path).toMatchObject({ status: 400, field });
    }
  });
});

describe('artist page', () => {
  interface ArtistPage {
    artist: Item & { genres: string[] };
    top_tracks: Item[];
    albums: Group;
  }

  it('shows an artist with top tracks (from search, since top-tracks is gone for Development Mode apps) and albums', async () => {
    await startApp();
    const artist = (await json<{ artists: Group }>('GET', '/api/search?q=the&type=artist')).artists.items[0]!;
    const page = await json<ArtistPage>('GET', `/api/artists/${artist.id}`);
    expect(page.artist).toMatchObject({ id: artist.id, name: artist.name, kind: 'artist' });
    expect(page.top_tracks.length).toBeGreaterThan(0);
    expect(page.top_tracks.every((tr) => tr.artists?.some((a) => a.id === artist.id))).toBe(true);
    expect(page.albums.items.length).toBeGreaterThan(0);
    expect(page.albums.items[0]?.kind).toBe('album');
    expect(dev.stats().apiCalls['GET /v1/artists/{id}/top-tracks']).toEqual({ '403': 1 });
  });

  it('uses top-tracks where it still answers', async () => {
    await startApp(extended);
    const artist = (await json<{ artists: Group }>('GET', '/api/search?q=the&type=artist')).artists.items[0]!;
    const page = await json<ArtistPage>('GET', `/api/artists/${artist.id}`);
    expect(page.top_tracks.length).toBeGreaterThan(0);
    expect(extended.stats().apiCalls['GET /v1/artists/{id}/top-tracks']).toEqual({ '200': 1 });
    expect(calls(extended, 'GET /v1/search')).toBe(1); // only the search above
  });

  it("answers 404 for an artist Spotify doesn't know", async () => {
    await startApp();
    const res = await call('GET', '/api/artists/0000000000000000000000');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toMatch(/Spotify could not find it/);
  });
});

describe('now playing: seek and repeat', () => {
  it('seeks to a position and sets the repeat mode', async () => {
    await startApp();
    expect((await call('PUT', '/api/playback/seek', { position_ms: 42_000 })).status).toBe(204);
    expect(dev.playback()?.progressMs).toBeGreaterThanOrEqual(42_000);
    expect(dev.playback()?.progressMs).toBeLessThan(60_000);
    expect((await call('PUT', '/api/playback/repeat', { state: 'track' })).status).toBe(204);
    expect(dev.playback()?.repeat).toBe('track');
  });

  it('refuses a bad seek or repeat naming the field', async () => {
    await startApp();
    const cases: [string, unknown, string][] = [
      ['/api/playback/seek', {}, 'position_ms'],
      ['/api/playback/seek', { position_ms: -1 }, 'position_ms'],
      ['/api/playback/seek', { position_ms: 1.5 }, 'position_ms'],
      ['/api/playback/repeat', { state: 'all' }, 'state'],
      ['/api/playback/repeat', { state: 'off', device_id: '' }, 'device_id'],
    ];
    for (const [path, body, field] of cases) {
      const res = await call('PUT', path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect((await errorOf(res)).field).toBe(field);
    }
  });
});

describe('Spotify failures on the music routes', () => {
  it('a long 429 becomes 503 with Retry-After (the slow-down notice), and a failing Spotify 502', async () => {
    await startApp();
    dev.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 40, pathPrefix: '/v1/search' });
    const limited = await call('GET', '/api/search?q=slow');
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('40');
    dev.injectFault({
      target: 'api',
      kind: 'status',
      status: 500,
      count: 3,
      pathPrefix: '/v1/me/player/queue',
    });
    expect((await call('GET', '/api/queue')).status).toBe(502);
  });

  it('falls back to the old /me/tracks where /me/library is unknown (404)', async () => {
    await startApp(extended);
    const track = (await json<{ tracks: Group }>('GET', '/api/search?q=wake&type=track')).tracks.items[0]!;
    extended.injectFault({
      target: 'api',
      kind: 'status',
      status: 404,
      count: 2,
      pathPrefix: '/v1/me/library',
    });
    await json('PUT', '/api/library/saved', { uri: track.uri, saved: true });
    const saved = await json<{ saved: Record<string, boolean> }>(
      'GET',
      `/api/library/saved?uris=${track.uri}`,
    );
    expect(saved.saved[track.uri]).toBe(true);
    expect(extended.stats().apiCalls['PUT /v1/me/tracks']).toEqual({ '200': 1 });
    expect(extended.stats().apiCalls['GET /v1/me/tracks/contains']).toEqual({ '200': 1 });
  });
});

describe('a login from before SpotiPi asked for the new permissions', () => {
  it('answers 403 with the login link when Spotify says the token lacks the scope', async () => {
    const insufficient = (endpoint: string) =>
      Promise.reject(new SpotifyApiError('HTTP 403', 403, endpoint, undefined, 'Insufficient client scope'));
    t = await startTestApp({
      spotify: {
        getRecentlyPlayed: () => insufficient('GET /v1/me/player/recently-played'),
        getTopTracks: () => insufficient('GET /v1/me/top/tracks'),
        saveToLibrary: () => insufficient('PUT /v1/me/library'),
      } as unknown as ServerSpotify,
    });
    for (const [method, path, body] of [
      ['GET', '/api/library/recent', undefined],
      ['GET', '/api/library/top', undefined],
      ['PUT', '/api/library/saved', { uri: 'spotify:track:abc', saved: true }],
    ] as const) {
      const res = await call(method, path, body);
      expect(res.status, path).toBe(403);
      const err = (await res.json()) as { error: { message: string; login_url?: string } };
      expect(err.error.login_url, path).toBe('/login');
      expect(err.error.message, path).toMatch(/log in again/);
    }
  });

  it('leaves other 403s as Spotify refusing the request', async () => {
    t = await startTestApp({
      spotify: {
        getRecentlyPlayed: () =>
          Promise.reject(
            new SpotifyApiError('HTTP 403', 403, 'GET /v1/me/player/recently-played', undefined, 'Forbidden'),
          ),
      } as unknown as ServerSpotify,
    });
    const res = await call('GET', '/api/library/recent');
    expect(res.status).toBe(403);
    const err = (await res.json()) as { error: { message: string; login_url?: string } };
    expect(err.error.login_url).toBeUndefined();
    expect(err.error.message).toMatch(/Spotify refused the request/);
  });
});

describe('cooldowns on what costs Spotify requests', () => {
  it('a client sending searches faster than a person types gets 429 with Retry-After, not a Spotify 429', async () => {
    // Time stands still, so the allowance does not grow back however slow the machine is.
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0));
    await startApp(dev, clock);
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await call('GET', `/api/search?q=word${i}&type=track`)).status);
    expect(statuses).toEqual([...Array(20).fill(200), 429]);
    const res = await call('GET', '/api/search?q=again');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    await clock.advance(250);
    expect((await call('GET', '/api/search?q=again')).status).toBe(200);
  });

  it('reloading a library section bypasses its cache at most five times in a row', async () => {
    await startApp(dev, new ManualClock(Date.UTC(2026, 10, 30, 12, 0)));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('GET', '/api/library/recent?refresh=1')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Reading from the cache stays free.
    expect((await call('GET', '/api/library/recent')).status).toBe(200);
  });
});

describe('the low-power profile keeps smaller music caches', () => {
  const TOP = ['tracks', 'artists'].flatMap((type) =>
    ['short_term', 'medium_term', 'long_term'].map(
      (range) => `/api/library/top?type=${type}&time_range=${range}`,
    ),
  );

  async function revisitFirst(env: Record<string, string>): Promise<boolean> {
    dev.reset();
    t = await startTestApp({
      env,
      spotifyUrl: dev.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      seedRefreshToken: DEMO_REFRESH_TOKEN,
    });
    for (const path of TOP) expect((await json<{ cached: boolean }>('GET', path)).cached).toBe(false);
    return (await json<{ cached: boolean }>('GET', TOP[0]!)).cached;
  }

  it('forgets the oldest of six library sections in low power, keeps it in the standard profile', async () => {
    expect(await revisitFirst({ SPOTIPI_LOW_POWER: '1' })).toBe(false);
    await t?.close();
    t = undefined;
    expect(await revisitFirst({})).toBe(true);
  });
});
