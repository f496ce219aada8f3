/**
 * Spotify Web API wire types: the subset SpotiPi reads, field names exactly as Spotify sends them
 * (snake_case). Shared by the client and the emulator so both agree on the shapes.
 */

export interface SpotifyImage {
  url: string;
  height: number | null;
  width: number | null;
}

export interface ExternalUrls {
  spotify: string;
}

/** Offset-based paging object (`href/items/limit/next/offset/previous/total`). */
export interface Paging<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  offset: number;
  previous: string | null;
  total: number;
}

/** Cursor-based paging object (followed artists). */
export interface CursorPaging<T> {
  href: string;
  items: T[];
  limit: number;
  next: string | null;
  cursors: { after: string | null; before?: string | null };
  total?: number;
}

/** Paging request for offset-paged endpoints (limit 1..50, offset >= 0). */
export interface PageRequest {
  limit?: number;
  offset?: number;
}

export interface SimplifiedArtist {
  external_urls: ExternalUrls;
  href: string;
  id: string;
  name: string;
  type: 'artist';
  uri: string;
}

export interface Artist extends SimplifiedArtist {
  followers: { href: string | null; total: number };
  genres: string[];
  images: SpotifyImage[];
  popularity: number;
}

export interface SimplifiedAlbum {
  album_type: 'album' | 'single' | 'compilation';
  total_tracks: number;
  available_markets: string[];
  external_urls: ExternalUrls;
  href: string;
  id: string;
  images: SpotifyImage[];
  name: string;
  release_date: string;
  release_date_precision: 'year' | 'month' | 'day';
  type: 'album';
  uri: string;
  artists: SimplifiedArtist[];
}

export interface Album extends SimplifiedAlbum {
  tracks: Paging<SimplifiedTrack>;
  copyrights: { text: string; type: string }[];
  external_ids: Record<string, string>;
  genres: string[];
  label: string;
  popularity: number;
}

export interface SimplifiedTrack {
  artists: SimplifiedArtist[];
  available_markets: string[];
  disc_number: number;
  duration_ms: number;
  explicit: boolean;
  external_urls: ExternalUrls;
  href: string;
  id: string;
  is_local: boolean;
  name: string;
  preview_url: string | null;
  track_number: number;
  type: 'track';
  uri: string;
}

export interface Track extends SimplifiedTrack {
  album: SimplifiedAlbum;
  external_ids: Record<string, string>;
  popularity: number;
}

export interface PublicUser {
  display_name: string | null;
  external_urls: ExternalUrls;
  href: string;
  id: string;
  type: 'user';
  uri: string;
}

/**
 * `GET /v1/me`. Development Mode apps (every self-registered SpotiPi app) no longer get
 * `country`, `email`, `explicit_content`, `followers` or `product` since February 2026.
 */
export interface SpotifyUser extends PublicUser {
  country?: string;
  email?: string;
  explicit_content?: { filter_enabled: boolean; filter_locked: boolean };
  followers?: { href: string | null; total: number };
  images: SpotifyImage[];
  product?: string;
}

export interface SimplifiedPlaylist {
  collaborative: boolean;
  description: string | null;
  external_urls: ExternalUrls;
  href: string;
  id: string;
  images: SpotifyImage[] | null;
  name: string;
  owner: PublicUser;
  public: boolean | null;
  snapshot_id: string;
  /** Link to the items and their count (February 2026 name; Development Mode apps get only this). */
  items?: { href: string; total: number } | null;
  /** The same under its old name (null or absent for Development Mode apps since February 2026). */
  tracks?: { href: string; total: number } | null;
  type: 'playlist';
  uri: string;
}

export interface PlaylistItem {
  added_at: string;
  added_by: PublicUser | null;
  is_local: boolean;
  /**
   * The track. Spotify renamed it `item` in February 2026 (Development Mode apps get only `item`);
   * the client fills `track` from either so callers read one field.
   */
  track: Track | null;
  item?: Track | null;
}

export interface SavedAlbum {
  added_at: string;
  album: Album;
}

export interface SavedTrack {
  added_at: string;
  track: Track;
}

export interface Device {
  id: string | null;
  is_active: boolean;
  is_private_session: boolean;
  is_restricted: boolean;
  name: string;
  type: string;
  volume_percent: number | null;
  supports_volume: boolean;
}

export type RepeatState = 'off' | 'track' | 'context';

export interface PlaybackContext {
  type: string;
  href: string;
  external_urls: ExternalUrls;
  uri: string;
}

export interface PlaybackActions {
  interrupting_playback?: boolean;
  pausing?: boolean;
  resuming?: boolean;
  seeking?: boolean;
  skipping_next?: boolean;
  skipping_prev?: boolean;
  toggling_repeat_context?: boolean;
  toggling_shuffle?: boolean;
  toggling_repeat_track?: boolean;
  transferring_playback?: boolean;
}

/** `GET /v1/me/player/currently-playing`. */
export interface CurrentlyPlaying {
  context: PlaybackContext | null;
  timestamp: number;
  progress_ms: number | null;
  is_playing: boolean;
  item: Track | null;
  currently_playing_type: 'track' | 'episode' | 'ad' | 'unknown';
  actions: { disallows: PlaybackActions };
}

/** `GET /v1/me/player`. */
export interface PlaybackState extends CurrentlyPlaying {
  device: Device;
  repeat_state: RepeatState;
  shuffle_state: boolean;
}

/** An entry of `GET /v1/me/player/recently-played`. */
export interface PlayHistory {
  track: Track;
  /** ISO time it was played. */
  played_at: string;
  context: PlaybackContext | null;
}

/** `GET /v1/me/player/recently-played`: cursors are Unix times in ms, as strings. */
export interface PlayHistoryPage {
  href: string;
  items: PlayHistory[];
  limit: number;
  next: string | null;
  cursors: { after?: string | null; before?: string | null } | null;
  total?: number;
}

/** `GET /v1/me/player/queue`. Episodes are passed through as they come. */
export interface PlayerQueue {
  currently_playing: Track | null;
  queue: Track[];
}

/** `/me/top/{type}`'s windows: about 4 weeks, 6 months, a year. */
export type TimeRange = 'short_term' | 'medium_term' | 'long_term';

/** An album on an artist's page: how the artist relates to it. */
export interface ArtistAlbum extends SimplifiedAlbum {
  album_group?: 'album' | 'single' | 'compilation' | 'appears_on';
}

export type SearchType = 'album' | 'artist' | 'playlist' | 'track';

/** `GET /v1/search`: one paging object per requested type. */
export interface SearchResults {
  albums?: Paging<SimplifiedAlbum>;
  artists?: Paging<Artist>;
  playlists?: Paging<SimplifiedPlaylist | null>;
  tracks?: Paging<Track>;
}

/** Spotify's Web API error body. */
export interface SpotifyErrorBody {
  error: { status: number; message: string; reason?: string };
}
