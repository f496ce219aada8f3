import type { FastifyPluginAsync } from 'fastify';
import type { SavedAlbum, SimplifiedPlaylist, SpotifyImage } from '../../spotify/types.js';
import type { AppDeps } from '../deps.js';

/** The music library as the UI shows it: small objects, all pages collected. */
export interface MusicLibrary {
  playlists: LibraryItem[];
  albums: LibraryItem[];
  liked_songs: { total: number; uri: string | null };
  /** ISO time the data was fetched from Spotify. */
  fetched_at: string;
  /** True when served from the short-lived cache. */
  cached: boolean;
}

export interface LibraryItem {
  id: string;
  name: string;
  uri: string;
  image: string | null;
  /** Playlist owner or album artists. */
  subtitle: string;
  track_count: number | null;
}

const query = {
  type: 'object',
  properties: { refresh: { type: 'string', enum: ['0', '1', 'true', 'false'] } },
  additionalProperties: false,
} as const;

/** `GET /api/music-library`: playlists, saved albums, liked-songs count; cached briefly, `?refresh=1` bypasses. */
export const libraryRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  let cached: { library: Omit<MusicLibrary, 'cached'>; at: number } | undefined;
  let inFlight: Promise<Omit<MusicLibrary, 'cached'>> | undefined;

  const load = async (): Promise<Omit<MusicLibrary, 'cached'>> => {
    const [playlists, albums, likedTotal, user] = await Promise.all([
      deps.spotify.getAllMyPlaylists(),
      deps.spotify.getAllSavedAlbums(),
      deps.spotify.getSavedTracksCount(),
      deps.spotify.getCurrentUser().catch(() => undefined),
    ]);
    return {
      playlists: playlists.filter(Boolean).map(playlistItem),
      albums: albums.map(albumItem),
      liked_songs: { total: likedTotal, uri: user ? `spotify:user:${user.id}:collection` : null },
      fetched_at: new Date(deps.clock.now()).toISOString(),
    };
  };

  app.get('/api/music-library', { schema: { querystring: query } }, async (request) => {
    const { refresh } = request.query as { refresh?: string };
    const bypass = refresh === '1' || refresh === 'true';
    const fresh = cached && deps.clock.monotonic() - cached.at < deps.config.libraryCacheMs;
    if (cached && fresh && !bypass) return { ...cached.library, cached: true };
    // Concurrent page loads share one collection run.
    if (!inFlight) {
      inFlight = load().finally(() => {
        inFlight = undefined;
      });
      inFlight.then(
        (library) => {
          cached = { library, at: deps.clock.monotonic() };
        },
        () => {},
      );
    }
    return { ...(await inFlight), cached: false };
  });
};

function bestImage(images: SpotifyImage[] | null | undefined): string | null {
  if (!images || images.length === 0) return null;
  // Spotify lists the largest first; a phone list wants a mid-sized one.
  const sorted = [...images].sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  return (sorted.find((i) => (i.width ?? 0) >= 200) ?? sorted[sorted.length - 1])?.url ?? null;
}

function playlistItem(p: SimplifiedPlaylist): LibraryItem {
  return {
    id: p.id,
    name: p.name,
    uri: p.uri,
    image: bestImage(p.images),
    subtitle: p.owner.display_name ?? p.owner.id,
    // `items` since February 2026 (Development Mode apps get `tracks: null`), `tracks` before.
    track_count: p.items?.total ?? p.tracks?.total ?? null,
  };
}

function albumItem(saved: SavedAlbum): LibraryItem {
  const a = saved.album;
  return {
    id: a.id,
    name: a.name,
    uri: a.uri,
    image: bestImage(a.images),
    subtitle: a.artists.map((artist) => artist.name).join(', '),
    track_count: a.total_tracks,
  };
}
