import type { FastifyPluginAsync } from 'fastify';
import type { TimeRange } from '../../spotify/types.js';
import type { AppDeps } from '../deps.js';
import { musicCacheLimits } from '../music/cache-limits.js';
import { artistItem, type MusicItem, playHistoryItem, trackItem } from '../music/items.js';
import { withScopeHint } from '../music/scope-hint.js';
import { TtlCache } from '../music/ttl-cache.js';

const refresh = { type: 'string', enum: ['0', '1', 'true', 'false'] } as const;
const pageLimit = { type: 'string', pattern: '^([1-9]|[1-4][0-9]|50)$' } as const;

const likedQuery = {
  type: 'object',
  properties: { offset: { type: 'string', pattern: '^[0-9]{1,5}$' }, limit: pageLimit, refresh },
  additionalProperties: false,
} as const;

const plainQuery = {
  type: 'object',
  properties: { refresh },
  additionalProperties: false,
} as const;

const topQuery = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['tracks', 'artists'] },
    time_range: { type: 'string', enum: ['short_term', 'medium_term', 'long_term'] },
    refresh,
  },
  additionalProperties: false,
} as const;

const uriPattern = '^spotify:(track|album):[A-Za-z0-9]+$';
const savedQuery = {
  type: 'object',
  properties: {
    uris: {
      type: 'string',
      minLength: 1,
      maxLength: 2000,
      pattern: `^spotify:(track|album):[A-Za-z0-9]+(,spotify:(track|album):[A-Za-z0-9]+){0,39}$`,
    },
  },
  required: ['uris'],
  additionalProperties: false,
} as const;

const savedBody = {
  type: 'object',
  properties: { uri: { type: 'string', maxLength: 128, pattern: uriPattern }, saved: { type: 'boolean' } },
  required: ['uri', 'saved'],
  additionalProperties: false,
} as const;

const bypass = (value: string | undefined) => value === '1' || value === 'true';

/**
 * The library's sections beside playlists and albums, each fetched on first view and cached like
 * the library (`LIBRARY_CACHE_SECONDS`, `?refresh=1` bypasses):
 * `GET /api/library/liked` (a page of Liked Songs), `/artists` (followed), `/recent` (recently
 * played), `/top?type=&time_range=`, and like/unlike: `GET /api/library/saved?uris=`,
 * `PUT /api/library/saved {uri, saved}`.
 */
export const librarySectionRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const spotify = deps.spotify;
  const cache = new TtlCache<unknown>(
    deps.clock,
    () => deps.config.libraryCacheMs,
    musicCacheLimits(deps.config.lowPower).sections,
  );
  const cached = <T>(key: string, load: () => Promise<T>, force: string | undefined) =>
    cache.get(key, load, bypass(force)) as Promise<{ value: T; cached: boolean }>;

  app.get<{ Querystring: { offset?: string; limit?: string; refresh?: string } }>(
    '/api/library/liked',
    { schema: { querystring: likedQuery } },
    async (request) => {
      const offset = Number(request.query.offset ?? 0);
      const limit = Number(request.query.limit ?? 50);
      const { value, cached: hit } = await cached(
        `liked:${offset}:${limit}`,
        async () => {
          const page = await spotify.getSavedTracks({ offset, limit });
          const items: MusicItem[] = page.items
            .filter((s) => s?.track)
            .map((s) => ({ ...trackItem(s.track), added_at: s.added_at }));
          const end = offset + page.items.length;
          return {
            items,
            total: page.total,
            offset,
            next_offset: page.next && end < page.total ? end : null,
          };
        },
        request.query.refresh,
      );
      return { ...value, cached: hit };
    },
  );

  app.get<{ Querystring: { refresh?: string } }>(
    '/api/library/artists',
    { schema: { querystring: plainQuery } },
    async (request) => {
      const { value, cached: hit } = await cached(
        'artists',
        async () => (await spotify.getAllFollowedArtists()).filter(Boolean).map(artistItem),
        request.query.refresh,
      );
      return { items: value, total: value.length, cached: hit };
    },
  );

  app.get<{ Querystring: { refresh?: string } }>(
    '/api/library/recent',
    { schema: { querystring: plainQuery } },
    async (request) => {
      const { value, cached: hit } = await cached(
        'recent',
        async () => {
          const page = await withScopeHint(
            spotify.getRecentlyPlayed({ limit: 50 }),
            'read what you played recently',
          );
          return page.items.filter((p) => p?.track).map(playHistoryItem);
        },
        request.query.refresh,
      );
      return { items: value, cached: hit };
    },
  );

  app.get<{ Querystring: { type?: 'tracks' | 'artists'; time_range?: TimeRange; refresh?: string } }>(
    '/api/library/top',
    { schema: { querystring: topQuery } },
    async (request) => {
      const type = request.query.type ?? 'tracks';
      const timeRange = request.query.time_range ?? 'medium_term';
      const { value, cached: hit } = await cached(
        `top:${type}:${timeRange}`,
        async () =>
          type === 'tracks'
            ? (
                await withScopeHint(spotify.getTopTracks({ timeRange, limit: 50 }), 'read your top items')
              ).items
                .filter(Boolean)
                .map(trackItem)
            : (
                await withScopeHint(spotify.getTopArtists({ timeRange, limit: 50 }), 'read your top items')
              ).items
                .filter(Boolean)
                .map(artistItem),
        request.query.refresh,
      );
      return { type, time_range: timeRange, items: value, cached: hit };
    },
  );

  app.get<{ Querystring: { uris: string } }>(
    '/api/library/saved',
    { schema: { querystring: savedQuery } },
    async (request) => {
      const uris = request.query.uris.split(',');
      const answers = await spotify.libraryContains(uris);
      return { saved: Object.fromEntries(uris.map((uri, i) => [uri, answers[i] === true])) };
    },
  );

  app.put<{ Body: { uri: string; saved: boolean } }>(
    '/api/library/saved',
    { schema: { body: savedBody } },
    async (request) => {
      const { uri, saved } = request.body;
      const change = saved ? spotify.saveToLibrary([uri]) : spotify.removeFromLibrary([uri]);
      await withScopeHint(change, 'change your liked songs');
      // Liked Songs changed: its pages (and the library's count) are read afresh on the next view.
      cache.invalidate('liked:');
      return { uri, saved };
    },
  );
};
