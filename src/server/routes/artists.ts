import type { FastifyPluginAsync } from 'fastify';
import type { AppDeps } from '../deps.js';
import { musicCacheLimits } from '../music/cache-limits.js';
import { albumItem, artistItem, trackItem } from '../music/items.js';
import { TtlCache } from '../music/ttl-cache.js';

const params = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9]{1,64}$' } },
  required: ['id'],
  additionalProperties: false,
} as const;

const query = {
  type: 'object',
  properties: {
    albums_offset: { type: 'string', pattern: '^[0-9]{1,4}$' },
    refresh: { type: 'string', enum: ['0', '1', 'true', 'false'] },
  },
  additionalProperties: false,
} as const;

/** Albums per page on the artist page: the reference's maximum since February 2026. */
const ALBUM_PAGE = 10;

/**
 * `GET /api/artists/:id[?albums_offset=]`: the artist, their top tracks and a page of their
 * albums (`albums.next_offset` for more); cached like the library.
 */
export const artistRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const spotify = deps.spotify;
  const cache = new TtlCache<unknown>(
    deps.clock,
    () => deps.config.libraryCacheMs,
    musicCacheLimits(deps.config.lowPower).artists,
  );

  app.get<{ Params: { id: string }; Querystring: { albums_offset?: string; refresh?: string } }>(
    '/api/artists/:id',
    { schema: { params, querystring: query } },
    async (request) => {
      const { id } = request.params;
      const offset = Number(request.query.albums_offset ?? 0);
      const force = request.query.refresh === '1' || request.query.refresh === 'true';
      const { value, cached } = await cache.get(
        `${id}:${offset}`,
        async () => {
          const artist = await spotify.getArtist(id);
          const [top, albums] = await Promise.all([
            offset === 0 ? spotify.getArtistTopTracks(artist) : Promise.resolve([]),
            spotify.getArtistAlbums(id, {
              includeGroups: ['album', 'single', 'compilation'],
              limit: ALBUM_PAGE,
              offset,
            }),
          ]);
          const end = offset + albums.items.length;
          return {
            artist: {
              ...artistItem(artist),
              genres: artist.genres ?? [],
              followers: artist.followers?.total ?? null,
            },
            top_tracks: top.filter(Boolean).map(trackItem),
            albums: {
              items: albums.items.filter(Boolean).map(albumItem),
              total: albums.total,
              offset,
              next_offset: albums.next && end < albums.total ? end : null,
            },
          };
        },
        force,
      );
      return { ...(value as object), cached };
    },
  );
};
