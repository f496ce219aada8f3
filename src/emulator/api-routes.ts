import type { SearchResults } from '../spotify/types.js';
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
import { type Route, route, sendJson, sendNoContent } from './http.js';
import { musicRoutes } from './music-routes.js';
import { PlayerError, type PlayRequest } from './playback.js';

export type { ApiContext, ApiHandler } from './api-context.js';

function playbackBody(ctx: ApiContext, full: boolean) {
  const snap = ctx.playback.snapshot();
  if (!snap) return null;
  const device = ctx.catalog.devices.find((d) => d.id === snap.deviceId)!;
  const track = snap.trackId ? ctx.catalog.tracks.get(snap.trackId) : undefined;
  const contextType = snap.contextUri?.split(':')[1];
  const context = snap.contextUri
    ? {
        type: contextType === 'user' ? 'collection' : contextType!,
        href:
          contextType === 'user'
            ? `${ctx.wire.origin}/v1/me/tracks`
            : `${ctx.wire.origin}/v1/${contextType}s/${snap.contextUri.split(':')[2]}`,
        external_urls: {
          spotify:
            contextType === 'user'
              ? 'https://open.spotify.com/collection/tracks'
              : `https://open.spotify.com/${contextType}/${snap.contextUri.split(':')[2]}`,
        },
        uri: snap.contextUri,
      }
    : null;
  const base = {
    timestamp: snap.timestamp,
    context,
    progress_ms: snap.progressMs,
    item: track ? ctx.wire.track(track) : null,
    currently_playing_type: 'track',
    actions: { disallows: snap.isPlaying ? { resuming: true } : { pausing: true } },
    is_playing: snap.isPlaying,
  };
  if (!full) return base;
  return {
    device: ctx.wire.device(device, snap.deviceId),
    shuffle_state: snap.shuffle,
    smart_shuffle: false,
    repeat_state: snap.repeat,
    ...base,
  };
}

function intParam(query: URLSearchParams, name: string, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') throw badRequest(`Required parameter ${name} missing`);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`Invalid ${name}`);
  return n;
}

const player =
  (handler: (ctx: ApiContext) => void): ApiHandler =>
  (ctx) => {
    requireUser(ctx);
    handler(ctx);
    sendNoContent(ctx.res);
  };

/** Every Web API route the emulator serves, with the route template used in stats. */
export const apiRoutes: Route<ApiHandler>[] = [
  route<ApiHandler>('GET', '/v1/me', (ctx) => {
    requireUser(ctx);
    sendJson(ctx.res, 200, ctx.wire.user());
  }),
  route<ApiHandler>('GET', '/v1/users/:user_id', (ctx) => {
    refuseInDevelopmentMode(ctx);
    if (ctx.params.user_id !== ctx.catalog.user.id) throw new PlayerError(404, 'Invalid username');
    const { email: _e, country: _c, product: _p, explicit_content: _x, ...pub } = ctx.wire.user();
    sendJson(ctx.res, 200, pub);
  }),
  route<ApiHandler>('GET', '/v1/me/player', (ctx) => {
    requireUser(ctx);
    const body = playbackBody(ctx, true);
    if (!body) sendNoContent(ctx.res);
    else sendJson(ctx.res, 200, body);
  }),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player',
    player((ctx) => {
      const body = jsonBody(ctx);
      const ids = body.device_ids;
      if (!Array.isArray(ids) || ids.length === 0) throw badRequest('Required field device_ids missing');
      if (ids.length > 1) throw badRequest('Only one device_id is supported');
      if (typeof ids[0] !== 'string') throw badRequest('Invalid device_ids');
      if (body.play !== undefined && typeof body.play !== 'boolean') throw badRequest('Invalid play');
      ctx.playback.transfer(ids[0], body.play as boolean | undefined);
    }),
  ),
  route<ApiHandler>('GET', '/v1/me/player/currently-playing', (ctx) => {
    requireUser(ctx);
    const body = playbackBody(ctx, false);
    if (!body) sendNoContent(ctx.res);
    else sendJson(ctx.res, 200, body);
  }),
  route<ApiHandler>('GET', '/v1/me/player/devices', (ctx) => {
    requireUser(ctx);
    const active = ctx.playback.activeDeviceId();
    const devices = ctx.catalog.devices.filter((d) => d.available).map((d) => ctx.wire.device(d, active));
    sendJson(ctx.res, 200, { devices });
  }),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/play',
    player((ctx) => {
      const body = jsonBody(ctx);
      const req: PlayRequest = {};
      const deviceId = optionalDevice(ctx.query);
      if (deviceId) req.deviceId = deviceId;
      if (body.context_uri !== undefined) {
        if (typeof body.context_uri !== 'string') throw badRequest('Invalid context uri');
        req.contextUri = body.context_uri;
      }
      if (body.uris !== undefined) {
        if (!Array.isArray(body.uris) || body.uris.some((u) => typeof u !== 'string')) {
          throw badRequest('Invalid uris');
        }
        if (req.contextUri) throw badRequest('Only one of context_uri and uris may be given');
        req.uris = body.uris as string[];
      }
      if (body.offset !== undefined) {
        const o = body.offset as { position?: unknown; uri?: unknown } | null;
        if (!o || typeof o !== 'object') throw badRequest('Invalid offset');
        if (o.position !== undefined && typeof o.position !== 'number') throw badRequest('Invalid offset');
        if (o.uri !== undefined && typeof o.uri !== 'string') throw badRequest('Invalid offset uri');
        req.offset = o as PlayRequest['offset'] & object;
      }
      if (body.position_ms !== undefined) {
        if (!Number.isInteger(body.position_ms) || (body.position_ms as number) < 0) {
          throw badRequest('Invalid position_ms');
        }
        req.positionMs = body.position_ms as number;
      }
      ctx.playback.play(req);
    }),
  ),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/pause',
    player((ctx) => ctx.playback.pause(optionalDevice(ctx.query))),
  ),
  route<ApiHandler>(
    'POST',
    '/v1/me/player/next',
    player((ctx) => ctx.playback.next(optionalDevice(ctx.query))),
  ),
  route<ApiHandler>(
    'POST',
    '/v1/me/player/previous',
    player((ctx) => ctx.playback.previous(optionalDevice(ctx.query))),
  ),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/seek',
    player((ctx) =>
      ctx.playback.seek(intParam(ctx.query, 'position_ms', 0, 86_400_000), optionalDevice(ctx.query)),
    ),
  ),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/volume',
    player((ctx) =>
      ctx.playback.setVolume(intParam(ctx.query, 'volume_percent', 0, 100), optionalDevice(ctx.query)),
    ),
  ),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/shuffle',
    player((ctx) => {
      const state = ctx.query.get('state');
      if (state === null) throw badRequest('Required parameter state missing');
      if (state !== 'true' && state !== 'false') throw badRequest('Invalid state');
      ctx.playback.setShuffle(state === 'true', optionalDevice(ctx.query));
    }),
  ),
  route<ApiHandler>(
    'PUT',
    '/v1/me/player/repeat',
    player((ctx) => {
      const state = ctx.query.get('state');
      if (state === null) throw badRequest('Required parameter state missing');
      if (state !== 'off' && state !== 'track' && state !== 'context') throw badRequest('Invalid state');
      ctx.playback.setRepeat(state, optionalDevice(ctx.query));
    }),
  ),
  route<ApiHandler>('GET', '/v1/me/playlists', (ctx) => {
    requireUser(ctx);
    sendJson(
      ctx.res,
      200,
      offsetPage(ctx, ctx.catalog.playlists, (p) => ctx.wire.simplifiedPlaylist(p)),
    );
  }),
  route<ApiHandler>('GET', '/v1/users/:user_id/playlists', (ctx) => {
    refuseInDevelopmentMode(ctx);
    const own = ctx.params.user_id === ctx.catalog.user.id;
    const records = own ? ctx.catalog.playlists.filter((p) => p.public || ctx.tokenKind === 'user') : [];
    if (!own) pageParams(ctx.query);
    sendJson(
      ctx.res,
      200,
      offsetPage(ctx, records, (p) => ctx.wire.simplifiedPlaylist(p)),
    );
  }),
  route<ApiHandler>('GET', '/v1/playlists/:id', (ctx) => {
    const p = ctx.catalog.playlistsById.get(ctx.params.id ?? '');
    if (!p) throw new PlayerError(404, 'Resource not found');
    sendJson(ctx.res, 200, ctx.wire.playlist(p));
  }),
  ...['/v1/playlists/:id/tracks', '/v1/playlists/:id/items'].map((path) =>
    route<ApiHandler>('GET', path, (ctx) => {
      if (path.endsWith('/tracks')) refuseInDevelopmentMode(ctx);
      const p = ctx.catalog.playlistsById.get(ctx.params.id ?? '');
      if (!p) throw new PlayerError(404, 'Resource not found');
      sendJson(
        ctx.res,
        200,
        offsetPage(ctx, p.items, (i) => ctx.wire.playlistItem(i)),
      );
    }),
  ),
  route<ApiHandler>('GET', '/v1/me/albums', (ctx) => {
    requireUser(ctx);
    const page = offsetPage(ctx, ctx.catalog.savedAlbums, (s) => ({
      added_at: s.addedAt,
      album: ctx.wire.album(ctx.catalog.albums.get(s.albumId)!),
    }));
    sendJson(ctx.res, 200, page);
  }),
  route<ApiHandler>('GET', '/v1/me/tracks', (ctx) => {
    requireUser(ctx);
    const page = offsetPage(ctx, ctx.catalog.savedTracks, (s) => ({
      added_at: s.addedAt,
      track: ctx.wire.track(ctx.catalog.tracks.get(s.trackId)!),
    }));
    sendJson(ctx.res, 200, page);
  }),
  route<ApiHandler>('GET', '/v1/me/following', (ctx) => {
    requireUser(ctx);
    const type = ctx.query.get('type');
    if (type === null) throw badRequest('Missing parameter type');
    if (type !== 'artist') throw badRequest('type must be artist');
    const { limit } = pageParams(ctx.query);
    const after = ctx.query.get('after');
    const ids = ctx.catalog.followedArtistIds;
    const start = after ? ids.findIndex((id) => id > after) : 0;
    const slice = start < 0 ? [] : ids.slice(start, start + limit);
    const last = slice.at(-1);
    const more = start >= 0 && start + limit < ids.length;
    const link = (cursor: string | null) => {
      const url = new URL(ctx.selfUrl);
      url.searchParams.set('type', 'artist');
      if (cursor) url.searchParams.set('after', cursor);
      url.searchParams.set('limit', String(limit));
      return url.toString();
    };
    sendJson(ctx.res, 200, {
      artists: {
        href: link(after),
        items: slice.map((id) => ctx.wire.artist(ctx.catalog.artists.get(id)!)),
        limit,
        next: more && last ? link(last) : null,
        cursors: { after: more && last ? last : null },
        total: ids.length,
      },
    });
  }),
  route<ApiHandler>('GET', '/v1/albums/:id', (ctx) => {
    const al = ctx.catalog.albums.get(ctx.params.id ?? '');
    if (!al) throw new PlayerError(404, 'Resource not found');
    sendJson(ctx.res, 200, ctx.wire.album(al));
  }),
  route<ApiHandler>('GET', '/v1/albums/:id/tracks', (ctx) => {
    const al = ctx.catalog.albums.get(ctx.params.id ?? '');
    if (!al) throw new PlayerError(404, 'Resource not found');
    sendJson(
      ctx.res,
      200,
      offsetPage(ctx, al.trackIds, (id) => ctx.wire.simplifiedTrack(ctx.catalog.tracks.get(id)!)),
    );
  }),
  route<ApiHandler>('GET', '/v1/tracks/:id', (ctx) => {
    const t = ctx.catalog.tracks.get(ctx.params.id ?? '');
    if (!t) throw new PlayerError(404, 'Resource not found');
    sendJson(ctx.res, 200, ctx.wire.track(t));
  }),
  route<ApiHandler>('GET', '/v1/artists/:id', (ctx) => {
    const a = ctx.catalog.artists.get(ctx.params.id ?? '');
    if (!a) throw new PlayerError(404, 'Resource not found');
    sendJson(ctx.res, 200, ctx.wire.artist(a));
  }),
  route<ApiHandler>('GET', '/v1/search', (ctx) => {
    const q = ctx.query.get('q');
    if (!q) throw badRequest('No search query');
    const typeParam = ctx.query.get('type');
    if (!typeParam) throw badRequest('Missing parameter type');
    const types = typeParam.split(',');
    const allowed = ['album', 'artist', 'playlist', 'track'];
    if (types.some((t) => !allowed.includes(t))) throw badRequest('Bad search type field');
    const match = searchMatcher(q);
    const cat = ctx.catalog;
    const artistNames = (ids: string[]) => ids.map((id) => cat.artists.get(id)?.name ?? '');
    const byPopularity = <T extends { popularity: number }>(a: T, b: T) => b.popularity - a.popularity;
    const extra = { query: q, type: typeParam };
    // Development Mode apps: default 5, at most 10 results per type since February 2026.
    const limits = ctx.developmentMode ? { defaultLimit: 5, maxLimit: 10 } : undefined;
    const out: SearchResults = {};
    if (types.includes('track')) {
      out.tracks = offsetPage(
        ctx,
        [...cat.tracks.values()]
          .filter((t) =>
            match({
              track: t.name,
              artist: artistNames(t.artistIds),
              album: cat.albums.get(t.albumId)?.name ?? '',
            }),
          )
          .sort(byPopularity),
        (t) => ctx.wire.track(t),
        extra,
        limits,
      );
    }
    if (types.includes('album')) {
      out.albums = offsetPage(
        ctx,
        [...cat.albums.values()]
          .filter((a) => match({ album: a.name, artist: artistNames([a.artistId]) }))
          .sort(byPopularity),
        (a) => ctx.wire.simplifiedAlbum(a),
        extra,
        limits,
      );
    }
    if (types.includes('artist')) {
      out.artists = offsetPage(
        ctx,
        [...cat.artists.values()].filter((a) => match({ artist: [a.name] })).sort(byPopularity),
        (a) => ctx.wire.artist(a),
        extra,
        limits,
      );
    }
    if (types.includes('playlist')) {
      out.playlists = offsetPage(
        ctx,
        cat.playlists.filter((p) => p.public && match({ playlist: p.name })),
        (p) => ctx.wire.simplifiedPlaylist(p),
        extra,
        limits,
      );
    }
    sendJson(ctx.res, 200, out);
  }),
  ...musicRoutes,
];

/**
 * Spotify's query syntax, as far as the demo needs it: `artist:`, `album:` and `track:` filters
 * (quoted or one word) and free words, each matching some field (case-insensitive).
 */
function searchMatcher(
  q: string,
): (fields: { track?: string; album?: string; artist?: string[]; playlist?: string }) => boolean {
  const filters: { field: 'artist' | 'album' | 'track'; value: string }[] = [];
  const free = q
    .replace(
      /\b(artist|album|track):(?:"([^"]*)"|(\S+))/gi,
      (_, field: string, quoted?: string, word?: string) => {
        filters.push({ field: field.toLowerCase() as 'artist', value: (quoted ?? word ?? '').toLowerCase() });
        return ' ';
      },
    )
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean);
  return (f) => {
    const values = (field: 'artist' | 'album' | 'track') =>
      (field === 'artist' ? (f.artist ?? []) : [f[field] ?? '']).map((v) => v.toLowerCase());
    for (const { field, value } of filters) {
      if (!values(field).some((v) => v.includes(value))) return false;
    }
    const all = [f.track, f.album, f.playlist, ...(f.artist ?? [])]
      .filter((v): v is string => Boolean(v))
      .map((v) => v.toLowerCase());
    return free.every((word) => all.some((v) => v.includes(word)));
  };
}
