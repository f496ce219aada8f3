import { systemClock } from '../token/clock.js';
import type { Clock, Logger, TokenProvider } from '../token/types.js';
import {
  NoActiveDeviceError,
  SpotifyApiError,
  SpotifyProtocolError,
  SpotifyRateLimitedError,
  SpotifyUnauthorizedError,
  SpotifyUnavailableError,
} from './errors.js';
import type { FetchedResponse, SpotifyFetch } from './http-fetch.js';
import { collectCursorPages, collectOffsetPages } from './pagination.js';
import { parseRetryAfterMs } from './retry-after.js';
import type {
  Artist,
  ArtistAlbum,
  CurrentlyPlaying,
  CursorPaging,
  Device,
  PageRequest,
  Paging,
  PlaybackState,
  PlayerQueue,
  PlayHistoryPage,
  PlaylistItem,
  RepeatState,
  SavedAlbum,
  SavedTrack,
  SearchResults,
  SearchType,
  SimplifiedPlaylist,
  SpotifyUser,
  TimeRange,
  Track,
} from './types.js';

export const DEFAULT_API_URL = 'https://api.spotify.com';

/** Called once per HTTP attempt, e.g. to count calls in Prometheus. `status` is 0 when no response came. */
export type OnSpotifyCall = (endpoint: string, status: number, durationMs: number) => void;

export interface SpotifyWebApiOptions {
  /** Web API origin (`SPOTIFY_API_URL`); paths `/v1/...` are appended. */
  baseUrl?: string;
  tokens: TokenProvider;
  /** How requests are sent; default the global `fetch` (the server passes `createHttpFetch()`). */
  fetch?: SpotifyFetch;
  /** Used for Retry-After waits and backoff. */
  clock?: Clock;
  logger?: Logger;
  /** Longest Retry-After the client waits out itself; longer ones throw SpotifyRateLimitedError. Default 5 s. */
  maxRetryAfterWaitMs?: number;
  /** Retries of a GET after a 5xx or network error; default 2. Commands are never retried on those. */
  maxGetRetries?: number;
  /** First backoff delay, doubled each retry; default 250 ms. */
  backoffBaseMs?: number;
  /** Per-attempt timeout; default 10 s. */
  timeoutMs?: number;
  /** Concurrency for collecting pages; default 4. */
  pageConcurrency?: number;
  onCall?: OnSpotifyCall;
}

export interface PlayOptions {
  deviceId?: string;
  /** Album, artist or playlist URI. */
  contextUri?: string;
  /** Track URIs to play (instead of a context). */
  uris?: string[];
  /** Where to start in the context: by position or by track URI. */
  offset?: { position: number } | { uri: string };
  positionMs?: number;
}

export interface SearchOptions extends PageRequest {
  market?: string;
}

/** Catalogue item kinds `getCatalogItem` can fetch. */
export type CatalogItemType = 'playlist' | 'album' | 'artist' | 'track';

interface RequestSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Route template for metrics and errors, e.g. `/v1/playlists/{id}/items`. */
  route: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

type FetchOutcome =
  | { kind: 'response'; status: number; headers: FetchedResponse['headers']; text: string }
  | { kind: 'network'; error: unknown; timedOut: boolean };

/** Typed Spotify Web API client: token per call, 401 → invalidate + one retry, 429/5xx handling. */
export class SpotifyWebApi {
  readonly baseUrl: string;
  private readonly tokens: TokenProvider;
  private readonly fetchImpl: SpotifyFetch;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly maxRetryAfterWaitMs: number;
  private readonly maxGetRetries: number;
  private readonly backoffBaseMs: number;
  private readonly timeoutMs: number;
  private readonly pageConcurrency: number;
  private readonly onCall: OnSpotifyCall | undefined;

  constructor(options: SpotifyWebApiOptions) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.tokens = options.tokens;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.maxRetryAfterWaitMs = options.maxRetryAfterWaitMs ?? 5_000;
    this.maxGetRetries = options.maxGetRetries ?? 2;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pageConcurrency = options.pageConcurrency ?? 4;
    this.onCall = options.onCall;
  }

  /** `GET /v1/me`: the current user's profile. */
  getCurrentUser(): Promise<SpotifyUser> {
    return this.json({ method: 'GET', route: '/v1/me', path: '/v1/me' });
  }

  /** `GET /v1/me/player`: playback state, or null when nothing is playing (204). */
  async getPlaybackState(options: { market?: string } = {}): Promise<PlaybackState | null> {
    return this.jsonOrNull({
      method: 'GET',
      route: '/v1/me/player',
      path: '/v1/me/player',
      query: { market: options.market },
    });
  }

  /** `GET /v1/me/player/currently-playing`, or null when nothing is playing (204). */
  async getCurrentlyPlaying(options: { market?: string } = {}): Promise<CurrentlyPlaying | null> {
    return this.jsonOrNull({
      method: 'GET',
      route: '/v1/me/player/currently-playing',
      path: '/v1/me/player/currently-playing',
      query: { market: options.market },
    });
  }

  /** `GET /v1/me/player/devices`. */
  async getDevices(): Promise<Device[]> {
    const body = await this.json<{ devices: Device[] }>({
      method: 'GET',
      route: '/v1/me/player/devices',
      path: '/v1/me/player/devices',
    });
    return body.devices ?? [];
  }

  /** `PUT /v1/me/player/play`: start or resume playback, optionally of a context or tracks. */
  async play(options: PlayOptions = {}): Promise<void> {
    const body: Record<string, unknown> = {};
    if (options.contextUri) body.context_uri = options.contextUri;
    if (options.uris) body.uris = options.uris;
    if (options.offset) body.offset = options.offset;
    if (options.positionMs !== undefined) body.position_ms = options.positionMs;
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/play',
      path: '/v1/me/player/play',
      query: { device_id: options.deviceId },
      body: Object.keys(body).length > 0 ? body : undefined,
    });
  }

  /** `PUT /v1/me/player/pause`. */
  async pause(deviceId?: string): Promise<void> {
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/pause',
      path: '/v1/me/player/pause',
      query: { device_id: deviceId },
    });
  }

  /** `POST /v1/me/player/next`. */
  async next(deviceId?: string): Promise<void> {
    await this.command({
      method: 'POST',
      route: '/v1/me/player/next',
      path: '/v1/me/player/next',
      query: { device_id: deviceId },
    });
  }

  /** `POST /v1/me/player/previous`. */
  async previous(deviceId?: string): Promise<void> {
    await this.command({
      method: 'POST',
      route: '/v1/me/player/previous',
      path: '/v1/me/player/previous',
      query: { device_id: deviceId },
    });
  }

  /** `PUT /v1/me/player/seek`. */
  async seek(positionMs: number, deviceId?: string): Promise<void> {
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/seek',
      path: '/v1/me/player/seek',
      query: { position_ms: Math.max(0, Math.round(positionMs)), device_id: deviceId },
    });
  }

  /** `PUT /v1/me/player/volume` (0..100). */
  async setVolume(percent: number, deviceId?: string): Promise<void> {
    if (!Number.isFinite(percent)) throw new RangeError('volume percent must be a number from 0 to 100');
    const volume = Math.min(100, Math.max(0, Math.round(percent)));
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/volume',
      path: '/v1/me/player/volume',
      query: { volume_percent: volume, device_id: deviceId },
    });
  }

  /** `PUT /v1/me/player/shuffle`. */
  async setShuffle(state: boolean, deviceId?: string): Promise<void> {
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/shuffle',
      path: '/v1/me/player/shuffle',
      query: { state, device_id: deviceId },
    });
  }

  /** `PUT /v1/me/player/repeat`. */
  async setRepeat(state: RepeatState, deviceId?: string): Promise<void> {
    await this.command({
      method: 'PUT',
      route: '/v1/me/player/repeat',
      path: '/v1/me/player/repeat',
      query: { state, device_id: deviceId },
    });
  }

  /** `PUT /v1/me/player`: move playback to a device; `play` true starts it there. */
  async transferPlayback(deviceId: string, play?: boolean): Promise<void> {
    const body: Record<string, unknown> = { device_ids: [deviceId] };
    if (play !== undefined) body.play = play;
    await this.command({ method: 'PUT', route: '/v1/me/player', path: '/v1/me/player', body });
  }

  /** `GET /v1/me/playlists`: one page. */
  getMyPlaylists(page: PageRequest = {}): Promise<Paging<SimplifiedPlaylist>> {
    return this.json({
      method: 'GET',
      route: '/v1/me/playlists',
      path: '/v1/me/playlists',
      query: { limit: page.limit, offset: page.offset },
    });
  }

  /** Every playlist of the current user (all pages). */
  getAllMyPlaylists(): Promise<SimplifiedPlaylist[]> {
    return collectOffsetPages((offset, limit) => this.getMyPlaylists({ offset, limit }), {
      concurrency: this.pageConcurrency,
    });
  }

  /** `GET /v1/me/albums`: one page. */
  getSavedAlbums(page: PageRequest & { market?: string } = {}): Promise<Paging<SavedAlbum>> {
    return this.json({
      method: 'GET',
      route: '/v1/me/albums',
      path: '/v1/me/albums',
      query: { limit: page.limit, offset: page.offset, market: page.market },
    });
  }

  /** Every saved album (all pages). */
  getAllSavedAlbums(): Promise<SavedAlbum[]> {
    return collectOffsetPages((offset, limit) => this.getSavedAlbums({ offset, limit }), {
      concurrency: this.pageConcurrency,
    });
  }

  /** `GET /v1/me/tracks`: one page of liked songs. */
  getSavedTracks(page: PageRequest & { market?: string } = {}): Promise<Paging<SavedTrack>> {
    return this.json({
      method: 'GET',
      route: '/v1/me/tracks',
      path: '/v1/me/tracks',
      query: { limit: page.limit, offset: page.offset, market: page.market },
    });
  }

  /** Number of liked songs (one request with limit=1). */
  async getSavedTracksCount(): Promise<number> {
    return (await this.getSavedTracks({ limit: 1 })).total;
  }

  /** Every liked song (all pages). */
  getAllSavedTracks(): Promise<SavedTrack[]> {
    return collectOffsetPages((offset, limit) => this.getSavedTracks({ offset, limit }), {
      concurrency: this.pageConcurrency,
    });
  }

  /** `GET /v1/me/following?type=artist`: one cursor page. */
  async getFollowedArtists(page: { limit?: number; after?: string } = {}): Promise<CursorPaging<Artist>> {
    const body = await this.json<{ artists: CursorPaging<Artist> }>({
      method: 'GET',
      route: '/v1/me/following',
      path: '/v1/me/following',
      query: { type: 'artist', limit: page.limit, after: page.after },
    });
    return body.artists;
  }

  /** Every followed artist (cursor paging, sequential). */
  getAllFollowedArtists(): Promise<Artist[]> {
    return collectCursorPages((after, limit) => this.getFollowedArtists({ after, limit }));
  }

  /**
   * `GET /v1/playlists/{id}/items`: one page of a playlist's items. (`/tracks`, its old name,
   * answers 403 to Development Mode apps since March 2026.) Each item's `track` is filled from
   * `item`, the field's new name, when only that is sent.
   */
  async getPlaylistItems(
    playlistId: string,
    page: PageRequest & { market?: string } = {},
  ): Promise<Paging<PlaylistItem>> {
    const body = await this.json<Paging<PlaylistItem>>({
      method: 'GET',
      route: '/v1/playlists/{id}/items',
      path: `/v1/playlists/${encodeURIComponent(playlistId)}/items`,
      query: { limit: page.limit, offset: page.offset, market: page.market },
    });
    if (Array.isArray(body.items)) {
      body.items = body.items.map((entry) =>
        entry && entry.track === undefined ? { ...entry, track: entry.item ?? null } : entry,
      );
    }
    return body;
  }

  /** Every item of a playlist (all pages). */
  getAllPlaylistItems(playlistId: string): Promise<PlaylistItem[]> {
    return collectOffsetPages((offset, limit) => this.getPlaylistItems(playlistId, { offset, limit }), {
      concurrency: this.pageConcurrency,
    });
  }

  /**
   * `GET /v1/{playlists|albums|artists|tracks}/{id}`: one catalogue item, for checking that it
   * still exists (a deleted playlist answers 404). Playlists are fetched with `fields=id,name`.
   */
  getCatalogItem(type: CatalogItemType, id: string): Promise<{ id: string; name: string }> {
    return this.json({
      method: 'GET',
      route: `/v1/${type}s/{id}`,
      path: `/v1/${type}s/${encodeURIComponent(id)}`,
      ...(type === 'playlist' ? { query: { fields: 'id,name' } } : {}),
    });
  }

  /** `GET /v1/search`. */
  search(query: string, types: SearchType[], options: SearchOptions = {}): Promise<SearchResults> {
    return this.json({
      method: 'GET',
      route: '/v1/search',
      path: '/v1/search',
      query: {
        q: query,
        type: types.join(','),
        limit: options.limit,
        offset: options.offset,
        market: options.market,
      },
    });
  }

  /** `GET /v1/me/player/queue`: the current track and what plays after it. */
  getQueue(): Promise<PlayerQueue> {
    return this.json({ method: 'GET', route: '/v1/me/player/queue', path: '/v1/me/player/queue' });
  }

  /** `POST /v1/me/player/queue`: a track (or episode) plays after the current one. */
  async addToQueue(uri: string, deviceId?: string): Promise<void> {
    await this.command({
      method: 'POST',
      route: '/v1/me/player/queue',
      path: '/v1/me/player/queue',
      query: { uri, device_id: deviceId },
    });
  }

  /** `GET /v1/me/player/recently-played`: one cursor page, newest first (`before`/`after` in epoch ms). */
  getRecentlyPlayed(
    page: { limit?: number; before?: number; after?: number } = {},
  ): Promise<PlayHistoryPage> {
    return this.json({
      method: 'GET',
      route: '/v1/me/player/recently-played',
      path: '/v1/me/player/recently-played',
      query: { limit: page.limit, before: page.before, after: page.after },
    });
  }

  /** `GET /v1/me/top/tracks`: one page of the user's top tracks over `timeRange` (default medium_term). */
  getTopTracks(page: PageRequest & { timeRange?: TimeRange } = {}): Promise<Paging<Track>> {
    return this.json({
      method: 'GET',
      route: '/v1/me/top/tracks',
      path: '/v1/me/top/tracks',
      query: { time_range: page.timeRange, limit: page.limit, offset: page.offset },
    });
  }

  /** `GET /v1/me/top/artists`: one page of the user's top artists over `timeRange`. */
  getTopArtists(page: PageRequest & { timeRange?: TimeRange } = {}): Promise<Paging<Artist>> {
    return this.json({
      method: 'GET',
      route: '/v1/me/top/artists',
      path: '/v1/me/top/artists',
      query: { time_range: page.timeRange, limit: page.limit, offset: page.offset },
    });
  }

  /** `GET /v1/artists/{id}`. */
  getArtist(id: string): Promise<Artist> {
    return this.json({
      method: 'GET',
      route: '/v1/artists/{id}',
      path: `/v1/artists/${encodeURIComponent(id)}`,
    });
  }

  /** `GET /v1/artists/{id}/albums`: one page (the reference allows 1..10 a page since February 2026). */
  getArtistAlbums(
    id: string,
    page: PageRequest & { includeGroups?: string[]; market?: string } = {},
  ): Promise<Paging<ArtistAlbum>> {
    return this.json({
      method: 'GET',
      route: '/v1/artists/{id}/albums',
      path: `/v1/artists/${encodeURIComponent(id)}/albums`,
      query: {
        include_groups: page.includeGroups?.join(','),
        limit: page.limit,
        offset: page.offset,
        market: page.market,
      },
    });
  }

  /**
   * An artist's most popular tracks. `GET /v1/artists/{id}/top-tracks` was removed for Development
   * Mode apps in February 2026 (403); then the artist's tracks come from a search
   * (`artist:"name"`, Spotify's relevance order), keeping only those the artist plays on.
   */
  async getArtistTopTracks(artist: { id: string; name: string }, market?: string): Promise<Track[]> {
    try {
      const body = await this.json<{ tracks: Track[] }>({
        method: 'GET',
        route: '/v1/artists/{id}/top-tracks',
        path: `/v1/artists/${encodeURIComponent(artist.id)}/top-tracks`,
        query: { market },
      });
      return body.tracks ?? [];
    } catch (err) {
      if (!(err instanceof SpotifyApiError) || (err.status !== 403 && err.status !== 404)) throw err;
      if (err instanceof SpotifyUnauthorizedError || err instanceof NoActiveDeviceError) throw err;
      const found = await this.search(`artist:"${artist.name.replaceAll('"', '')}"`, ['track'], {
        limit: 10,
        market,
      });
      return (found.tracks?.items ?? []).filter((t) => t?.artists.some((a) => a.id === artist.id));
    }
  }

  /**
   * `GET /v1/me/library/contains`: whether each URI is in the user's library. Falls back to
   * `GET /v1/me/tracks/contains` (tracks only) where the generic endpoint answers 404.
   */
  async libraryContains(uris: string[]): Promise<boolean[]> {
    try {
      return await this.json<boolean[]>({
        method: 'GET',
        route: '/v1/me/library/contains',
        path: '/v1/me/library/contains',
        query: { uris: uris.join(',') },
      });
    } catch (err) {
      const ids = legacyTrackIds(err, uris);
      if (!ids) throw err;
      // When the old endpoint fails too, the 404 was about the items: report that one.
      return this.json<boolean[]>({
        method: 'GET',
        route: '/v1/me/tracks/contains',
        path: '/v1/me/tracks/contains',
        query: { ids: ids.join(',') },
      }).catch(() => Promise.reject(err));
    }
  }

  /** `PUT /v1/me/library` (like); `PUT /v1/me/tracks` where the generic endpoint answers 404. */
  saveToLibrary(uris: string[]): Promise<void> {
    return this.changeLibrary('PUT', uris);
  }

  /** `DELETE /v1/me/library` (unlike); `DELETE /v1/me/tracks` where the generic endpoint answers 404. */
  removeFromLibrary(uris: string[]): Promise<void> {
    return this.changeLibrary('DELETE', uris);
  }

  private async changeLibrary(method: 'PUT' | 'DELETE', uris: string[]): Promise<void> {
    try {
      await this.command({
        method,
        route: '/v1/me/library',
        path: '/v1/me/library',
        query: { uris: uris.join(',') },
      });
    } catch (err) {
      const ids = legacyTrackIds(err, uris);
      if (!ids) throw err;
      // When the old endpoint fails too, the 404 was about the items: report that one.
      await this.command({ method, route: '/v1/me/tracks', path: '/v1/me/tracks', body: { ids } }).catch(() =>
        Promise.reject(err),
      );
    }
  }

  private async json<T>(spec: RequestSpec): Promise<T> {
    const value = await this.jsonOrNull<T>(spec);
    if (value === null) {
      throw new SpotifyProtocolError(
        `Spotify answered ${spec.method} ${spec.route} with no content`,
        `${spec.method} ${spec.route}`,
      );
    }
    return value;
  }

  private async jsonOrNull<T>(spec: RequestSpec): Promise<T | null> {
    const res = await this.send(spec);
    if (res.status === 204 || res.text.trim().length === 0) return null;
    try {
      return JSON.parse(res.text) as T;
    } catch (err) {
      throw new SpotifyProtocolError(
        `Spotify answered ${spec.method} ${spec.route} with malformed JSON (HTTP ${res.status})`,
        `${spec.method} ${spec.route}`,
        { cause: err },
      );
    }
  }

  private async command(spec: RequestSpec): Promise<void> {
    await this.send(spec);
  }

  /** One logical call: the attempts loop with the 401 / 429 / 5xx / network rules. */
  private async send(spec: RequestSpec): Promise<{ status: number; text: string }> {
    const endpoint = `${spec.method} ${spec.route}`;
    const url = this.buildUrl(spec);
    const idempotent = spec.method === 'GET';
    let retried401 = false;
    let transientRetries = 0;
    let rateLimitWaits = 0;

    for (;;) {
      const token = await this.tokens.getAccessToken();
      const outcome = await this.attempt(spec, url, token, endpoint);

      if (outcome.kind === 'network') {
        const what = outcome.timedOut
          ? `timed out after ${this.timeoutMs} ms`
          : `failed: ${describeNetworkError(outcome.error)}`;
        if (idempotent && transientRetries < this.maxGetRetries) {
          await this.backoff(++transientRetries, endpoint, what);
          continue;
        }
        throw new SpotifyUnavailableError(`Spotify ${endpoint} ${what}`, endpoint, undefined, {
          cause: outcome.error,
        });
      }

      const { status, headers, text } = outcome;
      if (status >= 200 && status < 300) return { status, text };

      const err = parseErrorBody(text);
      if (status === 401) {
        if (!retried401) {
          retried401 = true;
          this.tokens.invalidate(token);
          this.logger?.info({ endpoint }, 'Spotify rejected the access token; invalidated, retrying once');
          continue;
        }
        throw new SpotifyUnauthorizedError(
          `Spotify rejected the access token for ${endpoint} twice (${err.message ?? 'unauthorized'})`,
          status,
          endpoint,
          err.reason,
          err.message,
        );
      }
      if (status === 429) {
        const retryAfterMs = parseRetryAfterMs(headers.get('retry-after'), this.clock.now()) ?? 1_000;
        // A 429 means the request was not performed, so waiting and repeating is safe for commands too.
        if (retryAfterMs <= this.maxRetryAfterWaitMs && rateLimitWaits < 3) {
          rateLimitWaits++;
          this.logger?.warn({ endpoint, retryAfterMs }, 'Spotify rate limit; waiting Retry-After');
          await this.clock.sleep(retryAfterMs);
          continue;
        }
        throw new SpotifyRateLimitedError(
          `Spotify rate-limited ${endpoint}; retry after ${Math.ceil(retryAfterMs / 1000)} s`,
          retryAfterMs,
          endpoint,
        );
      }
      if (status >= 500) {
        if (idempotent && transientRetries < this.maxGetRetries) {
          await this.backoff(++transientRetries, endpoint, `HTTP ${status}`);
          continue;
        }
        throw new SpotifyUnavailableError(
          `Spotify ${endpoint} failed with HTTP ${status}${err.message ? ` (${err.message})` : ''}`,
          endpoint,
          status,
        );
      }
      const message = `Spotify ${endpoint} failed with HTTP ${status}${err.message ? `: ${err.message}` : ''}`;
      if (status === 404 && isNoActiveDevice(err)) {
        throw new NoActiveDeviceError(
          message,
          status,
          endpoint,
          err.reason ?? 'NO_ACTIVE_DEVICE',
          err.message,
        );
      }
      throw new SpotifyApiError(message, status, endpoint, err.reason, err.message);
    }
  }

  private async attempt(
    spec: RequestSpec,
    url: string,
    token: string,
    endpoint: string,
  ): Promise<FetchOutcome> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const started = performance.now();
    try {
      const res = await this.fetchImpl(url, { method: spec.method, headers, body, signal: timeout });
      const text = await res.text();
      this.onCall?.(endpoint, res.status, performance.now() - started);
      return { kind: 'response', status: res.status, headers: res.headers, text };
    } catch (error) {
      this.onCall?.(endpoint, 0, performance.now() - started);
      return { kind: 'network', error, timedOut: timeout.aborted };
    }
  }

  private async backoff(retry: number, endpoint: string, reason: string): Promise<void> {
    const delayMs = Math.min(this.backoffBaseMs * 2 ** (retry - 1), 5_000);
    this.logger?.warn({ endpoint, retry, delayMs, reason }, 'Spotify GET failed; retrying');
    await this.clock.sleep(delayMs);
  }

  private buildUrl(spec: RequestSpec): string {
    const url = new URL(this.baseUrl + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }
}

/** Track ids for the pre-2026 endpoints when `err` says the generic library endpoint is unknown here. */
function legacyTrackIds(err: unknown, uris: string[]): string[] | undefined {
  if (!(err instanceof SpotifyApiError) || err.status !== 404 || err instanceof NoActiveDeviceError) return;
  const ids = uris.map((uri) => /^spotify:track:([A-Za-z0-9]+)$/.exec(uri)?.[1]);
  return ids.every((id): id is string => id !== undefined) ? ids : undefined;
}

function parseErrorBody(text: string): { message?: string; reason?: string } {
  try {
    const json = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (json && typeof json.error === 'object' && json.error !== null) {
      const e = json.error as { message?: unknown; reason?: unknown };
      return {
        message: typeof e.message === 'string' ? e.message : undefined,
        reason: typeof e.reason === 'string' ? e.reason : undefined,
      };
    }
    if (typeof json?.error === 'string') {
      return { message: typeof json.error_description === 'string' ? json.error_description : json.error };
    }
  } catch {
    // Not JSON: Spotify's edge sometimes answers with HTML; the status alone has to do.
  }
  return {};
}

function isNoActiveDevice(err: { message?: string; reason?: string }): boolean {
  return err.reason === 'NO_ACTIVE_DEVICE' || /no active device/i.test(err.message ?? '');
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
