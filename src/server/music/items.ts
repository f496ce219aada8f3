import type {
  Artist,
  ArtistAlbum,
  PlayHistory,
  SimplifiedAlbum,
  SimplifiedArtist,
  SimplifiedPlaylist,
  SpotifyImage,
  Track,
} from '../../spotify/types.js';

/** One playable thing as the UI lists it: small, the same shape for every kind. */
export interface MusicItem {
  kind: 'track' | 'album' | 'artist' | 'playlist';
  id: string;
  uri: string;
  name: string;
  /** Artists (tracks, albums), owner (playlists) or genres (artists). */
  subtitle: string;
  image: string | null;
  /** Tracks: length; the album it is on (to play the track within it); its artists (links). */
  duration_ms?: number;
  album?: { name: string; uri: string };
  artists?: { id: string; name: string }[];
  /** Albums: the year; on an artist page also how the artist relates to it. */
  year?: string;
  album_group?: string;
  /** Playlists and albums: how many tracks. */
  track_count?: number | null;
  /** Recently played: when, and from which context. */
  played_at?: string;
  context_uri?: string | null;
  /** Liked songs: when it was liked. */
  added_at?: string;
}

/** A list row wants a ~300 px image: the smallest of at least 200 px, else the largest. */
export function pickImage(images: SpotifyImage[] | null | undefined): string | null {
  if (!images || images.length === 0) return null;
  const sorted = [...images].sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  return (sorted.find((i) => (i.width ?? 0) >= 200) ?? sorted[sorted.length - 1])?.url ?? null;
}

const artistNames = (artists: SimplifiedArtist[] | undefined) =>
  (artists ?? []).map((a) => a.name).join(', ');

/** A track (full object). */
export function trackItem(t: Track): MusicItem {
  return {
    kind: 'track',
    id: t.id,
    uri: t.uri,
    name: t.name,
    subtitle: artistNames(t.artists),
    image: pickImage(t.album?.images),
    duration_ms: t.duration_ms,
    album: t.album ? { name: t.album.name, uri: t.album.uri } : undefined,
    artists: (t.artists ?? []).map((a) => ({ id: a.id, name: a.name })),
  };
}

/** An album (simplified object, or an artist page's album with its group). */
export function albumItem(a: SimplifiedAlbum | ArtistAlbum): MusicItem {
  return {
    kind: 'album',
    id: a.id,
    uri: a.uri,
    name: a.name,
    subtitle: artistNames(a.artists),
    image: pickImage(a.images),
    year: a.release_date?.slice(0, 4),
    track_count: a.total_tracks ?? null,
    ...('album_group' in a && a.album_group ? { album_group: a.album_group } : {}),
  };
}

/** An artist (full object; Development Mode apps may get it without genres). */
export function artistItem(a: Artist): MusicItem {
  return {
    kind: 'artist',
    id: a.id,
    uri: a.uri,
    name: a.name,
    subtitle: (a.genres ?? []).slice(0, 2).join(', '),
    image: pickImage(a.images),
  };
}

/** A playlist (simplified object). */
export function playlistItem(p: SimplifiedPlaylist): MusicItem {
  return {
    kind: 'playlist',
    id: p.id,
    uri: p.uri,
    name: p.name,
    subtitle: p.owner?.display_name ?? p.owner?.id ?? '',
    image: pickImage(p.images),
    // `items` since February 2026 (Development Mode apps get `tracks: null`), `tracks` before.
    track_count: p.items?.total ?? p.tracks?.total ?? null,
  };
}

/** A recently played entry: the track, when, and from where. */
export function playHistoryItem(p: PlayHistory): MusicItem {
  return { ...trackItem(p.track), played_at: p.played_at, context_uri: p.context?.uri ?? null };
}
