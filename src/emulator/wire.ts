import type {
  Album,
  Artist,
  Device,
  Paging,
  PlayHistory,
  PlaylistItem,
  PublicUser,
  SimplifiedAlbum,
  SimplifiedArtist,
  SimplifiedPlaylist,
  SimplifiedTrack,
  SpotifyImage,
  SpotifyUser,
  Track,
} from '../spotify/types.js';
import type { AlbumRec, ArtistRec, Catalog, DeviceRec, PlaylistRec, PlayRec, TrackRec } from './catalog.js';

const MARKETS = ['DE', 'GB', 'US', 'SE', 'FR'];

/** A playlist entry as sent: `track` for Extended Quota apps, `item` for Development Mode apps. */
export type WirePlaylistItem = Omit<PlaylistItem, 'track'> & { track?: Track | null };

/**
 * Converts catalogue records to Spotify's JSON, with hrefs on `origin` (the emulator's base URL).
 * `developmentMode` gives the shapes Spotify sends Development Mode apps since February 2026.
 */
export class Wire {
  constructor(
    private readonly catalog: Catalog,
    readonly origin: string,
    readonly developmentMode = false,
  ) {}

  images(id: string): SpotifyImage[] {
    return [640, 300, 64].map((size) => ({
      url: `${this.origin}/__emulator/art/${id}.svg?size=${size}`,
      height: size,
      width: size,
    }));
  }

  simplifiedArtist(a: ArtistRec): SimplifiedArtist {
    return {
      external_urls: { spotify: `https://open.spotify.com/artist/${a.id}` },
      href: `${this.origin}/v1/artists/${a.id}`,
      id: a.id,
      name: a.name,
      type: 'artist',
      uri: `spotify:artist:${a.id}`,
    };
  }

  artist(a: ArtistRec): Artist {
    return {
      ...this.simplifiedArtist(a),
      followers: { href: null, total: a.followers },
      genres: a.genres,
      images: this.images(a.id),
      popularity: a.popularity,
    };
  }

  simplifiedAlbum(al: AlbumRec): SimplifiedAlbum {
    const artist = this.catalog.artists.get(al.artistId)!;
    return {
      album_type: al.albumType,
      total_tracks: al.trackIds.length,
      available_markets: MARKETS,
      external_urls: { spotify: `https://open.spotify.com/album/${al.id}` },
      href: `${this.origin}/v1/albums/${al.id}`,
      id: al.id,
      images: this.images(al.id),
      name: al.name,
      release_date: al.releaseDate,
      release_date_precision: 'day',
      type: 'album',
      uri: `spotify:album:${al.id}`,
      artists: [this.simplifiedArtist(artist)],
    };
  }

  album(al: AlbumRec): Album {
    const tracks = al.trackIds.map((id) => this.simplifiedTrack(this.catalog.tracks.get(id)!));
    return {
      ...this.simplifiedAlbum(al),
      tracks: this.page(`${this.origin}/v1/albums/${al.id}/tracks`, tracks, 0, 50, tracks.length),
      copyrights: [{ text: `© ${al.releaseDate.slice(0, 4)} ${al.label}`, type: 'C' }],
      external_ids: { upc: `0${al.releaseDate.replaceAll('-', '')}${al.trackIds.length}` },
      genres: [],
      label: al.label,
      popularity: al.popularity,
    };
  }

  simplifiedTrack(t: TrackRec): SimplifiedTrack {
    return {
      artists: t.artistIds.map((id) => this.simplifiedArtist(this.catalog.artists.get(id)!)),
      available_markets: MARKETS,
      disc_number: 1,
      duration_ms: t.durationMs,
      explicit: t.explicit,
      external_urls: { spotify: `https://open.spotify.com/track/${t.id}` },
      href: `${this.origin}/v1/tracks/${t.id}`,
      id: t.id,
      is_local: false,
      name: t.name,
      preview_url: null,
      track_number: t.trackNumber,
      type: 'track',
      uri: `spotify:track:${t.id}`,
    };
  }

  track(t: TrackRec): Track {
    return {
      ...this.simplifiedTrack(t),
      album: this.simplifiedAlbum(this.catalog.albums.get(t.albumId)!),
      external_ids: { isrc: t.isrc },
      popularity: t.popularity,
    };
  }

  publicUser(): PublicUser {
    const u = this.catalog.user;
    return {
      display_name: u.displayName,
      external_urls: { spotify: `https://open.spotify.com/user/${u.id}` },
      href: `${this.origin}/v1/users/${u.id}`,
      id: u.id,
      type: 'user',
      uri: `spotify:user:${u.id}`,
    };
  }

  user(): SpotifyUser {
    const u = this.catalog.user;
    // Development Mode apps no longer see country, email, explicit_content, followers, product.
    if (this.developmentMode) return { ...this.publicUser(), images: this.images(u.id) };
    return {
      ...this.publicUser(),
      country: u.country,
      email: u.email,
      explicit_content: { filter_enabled: false, filter_locked: false },
      followers: { href: null, total: u.followers },
      images: this.images(u.id),
      product: u.product,
    };
  }

  simplifiedPlaylist(p: PlaylistRec): SimplifiedPlaylist {
    const link = this.developmentMode
      ? { items: { href: `${this.origin}/v1/playlists/${p.id}/items`, total: p.items.length }, tracks: null }
      : { tracks: { href: `${this.origin}/v1/playlists/${p.id}/tracks`, total: p.items.length } };
    return {
      collaborative: p.collaborative,
      description: p.description,
      external_urls: { spotify: `https://open.spotify.com/playlist/${p.id}` },
      href: `${this.origin}/v1/playlists/${p.id}`,
      id: p.id,
      images: this.images(p.id),
      name: p.name,
      owner: this.publicUser(),
      public: p.public,
      snapshot_id: p.snapshotId,
      ...link,
      type: 'playlist',
      uri: `spotify:playlist:${p.id}`,
    };
  }

  playlist(p: PlaylistRec): Omit<SimplifiedPlaylist, 'items' | 'tracks'> & {
    followers: { href: null; total: number };
    items?: Paging<WirePlaylistItem>;
    tracks: Paging<WirePlaylistItem> | null;
  } {
    const entries = p.items.slice(0, 100).map((item) => this.playlistItem(item));
    const name = this.developmentMode ? 'items' : 'tracks';
    const page = this.page(`${this.origin}/v1/playlists/${p.id}/${name}`, entries, 0, 100, p.items.length);
    const { items: _items, tracks: _tracks, ...rest } = this.simplifiedPlaylist(p);
    return {
      ...rest,
      followers: { href: null, total: 0 },
      ...(this.developmentMode ? { items: page, tracks: null } : { tracks: page }),
    };
  }

  playlistItem(item: { trackId: string; addedAt: string }): WirePlaylistItem {
    const track = this.track(this.catalog.tracks.get(item.trackId)!);
    return {
      added_at: item.addedAt,
      added_by: this.publicUser(),
      is_local: false,
      ...(this.developmentMode ? { item: track } : { track }),
    };
  }

  /** A `PlayHistoryObject` of `/me/player/recently-played`. */
  playHistory(p: PlayRec): PlayHistory {
    return {
      track: this.track(this.catalog.tracks.get(p.trackId)!),
      played_at: p.playedAt,
      context: p.contextUri ? this.context(p.contextUri) : null,
    };
  }

  /** A `ContextObject`; the liked songs (`spotify:user:<id>:collection`) are type `collection`. */
  context(uri: string): { type: string; href: string; external_urls: { spotify: string }; uri: string } {
    const [, type = '', id = ''] = uri.split(':');
    if (type === 'user') {
      return {
        type: 'collection',
        href: `${this.origin}/v1/me/tracks`,
        external_urls: { spotify: 'https://open.spotify.com/collection/tracks' },
        uri,
      };
    }
    return {
      type,
      href: `${this.origin}/v1/${type}s/${id}`,
      external_urls: { spotify: `https://open.spotify.com/${type}/${id}` },
      uri,
    };
  }

  device(d: DeviceRec, activeId: string | null): Device {
    return {
      id: d.id,
      is_active: d.id === activeId,
      is_private_session: false,
      is_restricted: false,
      name: d.name,
      type: d.type,
      volume_percent: d.supportsVolume ? d.volumePercent : null,
      supports_volume: d.supportsVolume,
    };
  }

  /**
   * A paging object over `items` (already sliced to the page). `href`, `next` and `previous`
   * carry the request's own query with limit/offset replaced, as Spotify's do.
   */
  page<T>(
    base: string,
    items: T[],
    offset: number,
    limit: number,
    total: number,
    extraQuery: Record<string, string> = {},
  ): Paging<T> {
    const link = (o: number) => {
      const url = new URL(base);
      for (const [k, v] of Object.entries(extraQuery)) url.searchParams.set(k, v);
      url.searchParams.set('offset', String(o));
      url.searchParams.set('limit', String(limit));
      return url.toString();
    };
    return {
      href: link(offset),
      items,
      limit,
      next: offset + limit < total ? link(offset + limit) : null,
      offset,
      previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
      total,
    };
  }
}
