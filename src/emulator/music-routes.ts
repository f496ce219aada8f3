/**
 * The Web API routes behind SpotiPi's music views: queue, recently played, top items, the
 * artist page and the library's like/unlike, in Spotify's shapes (February 2026 reference).
 */
import {
  type ApiContext,
  type ApiHandler,
  badRequest,
  jsonBody,
  offsetPage,
  optionalDevice,
  pageParams,
  refuseInDevelopmentMode,
  requireUser,
} from './api-context.js';
import { TIME_RANGES, type TimeRange } from './catalog.js';
import { type Route, route, sendJson, sendNoContent } from './http.js';
import { PlayerError } from './playback.js';

/** Spotify answers the library writes with 200 and no body. */
function sendEmpty(ctx: ApiContext): void {
  if (ctx.res.writableEnded || ctx.res.destroyed) return;
  ctx.res.writeHead(200, { 'content-length': '0' });
  ctx.res.end();
}

const notFound = () => new PlayerError(404, 'Resource not found');

/** Spotify URIs of a `uris` query parameter (comma-separated, at most 40). */
function uriList(ctx: ApiContext): string[] {
  const raw = ctx.query.get('uris');
  if (!raw) throw badRequest('Missing required parameter: uris');
  const uris = raw.split(',').filter(Boolean);
  if (uris.length === 0) throw badRequest('Missing required parameter: uris');
  if (uris.length > 40) throw badRequest('Too many uris requested (maximum 40)');
  for (const uri of uris) {
    if (!/^spotify:(track|album|episode|show|audiobook|artist|user|playlist):[A-Za-z0-9]+$/.test(uri)) {
      throw badRequest(`Invalid URI: ${uri}`);
    }
  }
  return uris;
}

/** Whether the library holds `uri` (tracks, albums, followed artists, own playlists). */
function inLibrary(ctx: ApiContext, uri: string): boolean {
  const [, kind, id] = uri.split(':');
  const cat = ctx.catalog;
  switch (kind) {
    case 'track':
      return cat.savedTracks.some((s) => s.trackId === id);
    case 'album':
      return cat.savedAlbums.some((s) => s.albumId === id);
    case 'artist':
      return cat.followedArtistIds.includes(id ?? '');
    case 'playlist':
      return cat.playlistsById.has(id ?? '');
    default:
      return false;
  }
}

/** Saves or removes tracks and albums (the kinds the demo account has); others are refused. */
function changeLibrary(ctx: ApiContext, uris: string[], save: boolean): void {
  const cat = ctx.catalog;
  const now = new Date(ctx.playback.snapshot()?.timestamp ?? Date.now())
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');
  for (const uri of uris) {
    const [, kind, id = ''] = uri.split(':');
    if (kind === 'track') {
      if (!cat.tracks.has(id)) throw notFound();
      cat.savedTracks = cat.savedTracks.filter((s) => s.trackId !== id);
      if (save) cat.savedTracks.unshift({ trackId: id, addedAt: now });
    } else if (kind === 'album') {
      if (!cat.albums.has(id)) throw notFound();
      cat.savedAlbums = cat.savedAlbums.filter((s) => s.albumId !== id);
      if (save) cat.savedAlbums.unshift({ albumId: id, addedAt: now });
    } else {
      throw badRequest(`Unsupported URI type: ${kind}`);
    }
  }
}

/** Track ids from the old endpoints' `ids` (query, or a JSON body `{ids}`). */
function legacyTrackIds(ctx: ApiContext): string[] {
  const fromQuery = ctx.query.get('ids');
  const body = jsonBody(ctx);
  const ids = fromQuery ? fromQuery.split(',') : Array.isArray(body.ids) ? body.ids : [];
  if (ids.length === 0) throw badRequest('Missing required field: ids');
  if (ids.length > 50 || ids.some((id) => typeof id !== 'string')) throw badRequest('Invalid ids');
  return ids as string[];
}

function artistOr404(ctx: ApiContext) {
  const artist = ctx.catalog.artists.get(ctx.params.id ?? '');
  if (!artist) throw notFound();
  return artist;
}

/** Spotify counts a track as played after about 30 s of it. */
const COUNTS_AS_PLAYED_MS = 30_000;

/**
 * Adds what the player has played for long enough to the history, so the demo's "recently
 * played" follows what was played through SpotiPi (only forward in time: tests on a clock set
 * before the seeded history leave it as seeded).
 */
function notePlaying(ctx: ApiContext): void {
  const snap = ctx.playback.snapshot();
  if (!snap?.trackId || snap.progressMs < COUNTS_AS_PLAYED_MS) return;
  const startedAt = snap.timestamp - snap.progressMs;
  const history = ctx.catalog.recentlyPlayed;
  const newest = history[0];
  if (newest && Date.parse(newest.playedAt) >= startedAt) return;
  history.unshift({
    trackId: snap.trackId,
    playedAt: new Date(startedAt).toISOString(),
    contextUri: snap.contextUri,
  });
  history.length = Math.min(history.length, 50);
}

function parseCursor(ctx: ApiContext, name: 'after' | 'before'): number | undefined {
  const raw = ctx.query.get(name);
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid ${name} parameter`);
  return n;
}

/** Every route of this file. */
export const musicRoutes: Route<ApiHandler>[] = [
  route<ApiHandler>('GET', '/v1/me/player/queue', (ctx) => {
    requireUser(ctx);
    const { current, next } = ctx.playback.upNext(20);
    const track = (id: string) => ctx.wire.track(ctx.catalog.tracks.get(id)!);
    sendJson(ctx.res, 200, {
      currently_playing: current ? track(current) : null,
      queue: next.map(track),
    });
  }),
  route<ApiHandler>('POST', '/v1/me/player/queue', (ctx) => {
    requireUser(ctx);
    const uri = ctx.query.get('uri');
    if (!uri) throw badRequest('Missing required parameter: uri');
    ctx.playback.enqueue(uri, optionalDevice(ctx.query));
    sendNoContent(ctx.res);
  }),
  route<ApiHandler>('GET', '/v1/me/player/recently-played', (ctx) => {
    requireUser(ctx);
    notePlaying(ctx);
    const { limit } = pageParams(new URLSearchParams({ limit: ctx.query.get('limit') ?? '20' }));
    const after = parseCursor(ctx, 'after');
    const before = parseCursor(ctx, 'before');
    if (after !== undefined && before !== undefined) {
      throw badRequest('Only one of after and before may be given');
    }
    const history = ctx.catalog.recentlyPlayed.filter((p) => {
      const at = Date.parse(p.playedAt);
      return (after === undefined || at > after) && (before === undefined || at < before);
    });
    const page = after === undefined ? history.slice(0, limit) : history.slice(-limit);
    const newest = page[0];
    const oldest = page.at(-1);
    const link = (cursor: Record<string, string>) => {
      const url = new URL(ctx.selfUrl);
      url.searchParams.set('limit', String(limit));
      for (const [k, v] of Object.entries(cursor)) url.searchParams.set(k, v);
      return url.toString();
    };
    const more = oldest !== undefined && history.indexOf(oldest) < history.length - 1;
    sendJson(ctx.res, 200, {
      href: link(
        before !== undefined
          ? { before: String(before) }
          : after !== undefined
            ? { after: String(after) }
            : {},
      ),
      items: page.map((p) => ctx.wire.playHistory(p)),
      limit,
      next: more && oldest ? link({ before: String(Date.parse(oldest.playedAt)) }) : null,
      cursors: newest
        ? { after: String(Date.parse(newest.playedAt)), before: String(Date.parse(oldest!.playedAt)) }
        : null,
      total: history.length,
    });
  }),
  ...(['tracks', 'artists'] as const).map((type) =>
    route<ApiHandler>('GET', `/v1/me/top/${type}`, (ctx) => {
      requireUser(ctx);
      const range = (ctx.query.get('time_range') ?? 'medium_term') as TimeRange;
      if (!TIME_RANGES.includes(range)) throw badRequest('Invalid time range');
      const top = ctx.catalog.top[range];
      const page =
        type === 'tracks'
          ? offsetPage(ctx, top.trackIds, (id) => ctx.wire.track(ctx.catalog.tracks.get(id)!), {
              time_range: range,
            })
          : offsetPage(ctx, top.artistIds, (id) => ctx.wire.artist(ctx.catalog.artists.get(id)!), {
              time_range: range,
            });
      sendJson(ctx.res, 200, page);
    }),
  ),
  route<ApiHandler>('GET', '/v1/me/top/:type', (ctx) => {
    requireUser(ctx);
    throw badRequest('Unsupported type');
  }),
  route<ApiHandler>('GET', '/v1/artists/:id/albums', (ctx) => {
    const artist = artistOr404(ctx);
    const groups = (ctx.query.get('include_groups') ?? 'album,single,compilation,appears_on').split(',');
    const allowed = ['album', 'single', 'compilation', 'appears_on'];
    if (groups.some((g) => !allowed.includes(g))) throw badRequest('Invalid include_groups');
    const albums = [...ctx.catalog.albums.values()]
      .map((al) => {
        const own = al.artistId === artist.id;
        const featured =
          !own &&
          al.trackIds.some((id) => ctx.catalog.tracks.get(id)?.artistIds.includes(artist.id) === true);
        const group = own ? al.albumType : featured ? 'appears_on' : null;
        return { al, group };
      })
      .filter((x): x is { al: typeof x.al; group: NonNullable<typeof x.group> } =>
        x.group !== null ? groups.includes(x.group) : false,
      )
      .sort((a, b) => b.al.releaseDate.localeCompare(a.al.releaseDate));
    // The reference since February 2026: 5 by default, at most 10 a page.
    const page = offsetPage(
      ctx,
      albums,
      ({ al, group }) => ({ ...ctx.wire.simplifiedAlbum(al), album_group: group }),
      ctx.query.has('include_groups') ? { include_groups: groups.join(',') } : {},
      { defaultLimit: 5, maxLimit: 10 },
    );
    sendJson(ctx.res, 200, page);
  }),
  route<ApiHandler>('GET', '/v1/artists/:id/top-tracks', (ctx) => {
    // Removed for Development Mode apps in February 2026.
    refuseInDevelopmentMode(ctx);
    const artist = artistOr404(ctx);
    const tracks = [...ctx.catalog.tracks.values()]
      .filter((t) => t.artistIds.includes(artist.id))
      .sort((a, b) => b.popularity - a.popularity)
      .slice(0, 10);
    sendJson(ctx.res, 200, { tracks: tracks.map((t) => ctx.wire.track(t)) });
  }),
  route<ApiHandler>('GET', '/v1/me/library/contains', (ctx) => {
    requireUser(ctx);
    sendJson(
      ctx.res,
      200,
      uriList(ctx).map((uri) => inLibrary(ctx, uri)),
    );
  }),
  route<ApiHandler>('PUT', '/v1/me/library', (ctx) => {
    requireUser(ctx);
    changeLibrary(ctx, uriList(ctx), true);
    sendEmpty(ctx);
  }),
  route<ApiHandler>('DELETE', '/v1/me/library', (ctx) => {
    requireUser(ctx);
    changeLibrary(ctx, uriList(ctx), false);
    sendEmpty(ctx);
  }),
  // The per-type endpoints before February 2026; Development Mode apps get 403 since then.
  route<ApiHandler>('GET', '/v1/me/tracks/contains', (ctx) => {
    requireUser(ctx);
    refuseInDevelopmentMode(ctx);
    const ids = legacyTrackIds(ctx);
    sendJson(
      ctx.res,
      200,
      ids.map((id) => ctx.catalog.savedTracks.some((s) => s.trackId === id)),
    );
  }),
  ...(['PUT', 'DELETE'] as const).map((method) =>
    route<ApiHandler>(method, '/v1/me/tracks', (ctx) => {
      requireUser(ctx);
      refuseInDevelopmentMode(ctx);
      const ids = legacyTrackIds(ctx);
      changeLibrary(
        ctx,
        ids.map((id) => `spotify:track:${id}`),
        method === 'PUT',
      );
      sendEmpty(ctx);
    }),
  ),
];
