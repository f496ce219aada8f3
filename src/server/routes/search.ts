import type { FastifyPluginAsync } from 'fastify';
import type { Paging, SearchType } from '../../spotify/types.js';
import type { AppDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { musicCacheLimits } from '../music/cache-limits.js';
import { albumItem, artistItem, type MusicItem, playlistItem, trackItem } from '../music/items.js';
import { TtlCache } from '../music/ttl-cache.js';

const TYPES: readonly SearchType[] = ['track', 'album', 'artist', 'playlist'];
/** Typing sends a search every few hundred ms at most; the same words within this time are answered from memory. */
const SEARCH_CACHE_MS = 60_000;

const searchQuery = {
  type: 'object',
  properties: {
    q: { type: 'string', minLength: 1, maxLength: 200 },
    type: { type: 'string', pattern: '^(track|album|artist|playlist)(,(track|album|artist|playlist))*$' },
    // Development Mode apps get at most 10 results per type and page since February 2026.
    limit: { type: 'string', pattern: '^([1-9]|10)$' },
    offset: { type: 'string', pattern: '^[0-9]{1,4}$' },
  },
  required: ['q'],
  additionalProperties: false,
} as const;

interface SearchQuery {
  q: string;
  type?: string;
  limit?: string;
  offset?: string;
}

/** One group of results: a page and where the next one starts (null at the end). */
export interface SearchGroup {
  items: MusicItem[];
  total: number;
  offset: number;
  next_offset: number | null;
}

/** `GET /api/search`'s body. */
export interface SearchAnswer {
  query: string;
  tracks?: SearchGroup;
  albums?: SearchGroup;
  artists?: SearchGroup;
  playlists?: SearchGroup;
  cached: boolean;
}

function group<T>(page: Paging<T | null> | undefined, map: (item: T) => MusicItem): SearchGroup | undefined {
  if (!page) return undefined;
  const offset = page.offset ?? 0;
  const items = (page.items ?? []).filter((i): i is T => i !== null && i !== undefined).map(map);
  const end = offset + (page.items?.length ?? 0);
  return { items, total: page.total, offset, next_offset: page.next && end < page.total ? end : null };
}

/** `GET /api/search?q=&type=&limit=&offset=`: tracks, albums, artists and playlists, grouped by type. */
export const searchRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const cache = new TtlCache<Omit<SearchAnswer, 'cached'>>(
    deps.clock,
    () => SEARCH_CACHE_MS,
    musicCacheLimits(deps.config.lowPower).search,
  );

  app.get<{ Querystring: SearchQuery }>(
    '/api/search',
    { schema: { querystring: searchQuery } },
    async (request) => {
      const q = request.query.q.trim();
      if (!q) throw badRequest('q must contain more than spaces.', 'q');
      const types = request.query.type
        ? TYPES.filter((t) => request.query.type!.split(',').includes(t))
        : [...TYPES];
      const limit = Number(request.query.limit ?? 5);
      const offset = Number(request.query.offset ?? 0);
      const key = JSON.stringify([q.toLowerCase(), types, limit, offset]);
      const { value, cached } = await cache.get(key, async () => {
        const found = await deps.spotify.search(q, types, { limit, offset });
        return {
          query: q,
          tracks: group(found.tracks, trackItem),
          albums: group(found.albums, albumItem),
          artists: group(found.artists, artistItem),
          playlists: group(found.playlists, playlistItem),
        };
      });
      return { ...value, cached };
    },
  );
};
