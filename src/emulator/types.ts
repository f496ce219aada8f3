import type { Clock, Logger } from '../token/types.js';
import type { DeviceBehaviour, OutageSpec } from './device-behaviour.js';

/** Options of the Spotify emulator. */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Drives token expiry and playback progress; default the system clock. */
  clock?: Clock;
  /** `expires_in` of issued access tokens; default 3600. */
  tokenLifetimeSec?: number;
  /** Return a new refresh token on every refresh (the old one stops working); default false. */
  rotateRefreshTokens?: boolean;
  /**
   * With rotation: seconds a rotated-out refresh token is still honoured (like Auth0's reuse
   * interval or Okta's grace period), so a client killed before it stored the new one keeps its
   * login. Default 0: strict single use, as Spotify's PKCE refresh tokens were.
   */
  rotationGraceSec?: number;
  /**
   * Seconds a login lasts: a refresh token (and every one rotated from it) answers invalid_grant
   * this long after the user authorized the grant; refreshing does not extend it (Spotify: 6 months).
   * Default: no limit.
   */
  refreshTokenLifetimeSec?: number;
  /** Registered client id; default DEMO_CLIENT_ID. */
  clientId?: string;
  /** Registered client secret; default DEMO_CLIENT_SECRET. */
  clientSecret?: string;
  /** Refresh tokens valid at start; default [DEMO_REFRESH_TOKEN]. */
  refreshTokens?: string[];
  /**
   * Redirect URIs accepted by /authorize and the code exchange. Default: any `http://127.0.0.1:*`,
   * `http://[::1]:*` or `https://` URI (Spotify's own rule for loopback and secure redirects).
   */
  redirectUris?: string[];
  /** Playback at start: a paused track on the first device (default), playing, or none (no active device). */
  initialPlayback?: 'paused' | 'playing' | 'none';
  /**
   * Serve what Spotify serves Development Mode apps (every app registered in the dashboard, so
   * every SpotiPi user) since February 2026: playlists link their entries as `items` (`tracks` is
   * null), entries carry `item` instead of `track`, `GET /v1/playlists/{id}/tracks` and
   * `/v1/users/{id}[/playlists]` answer 403, `/v1/me` lacks country, email, explicit_content,
   * followers and product, and search pages hold at most 10 (default 5). Default false: the
   * Extended Quota shapes, which the official SDK expects.
   */
  developmentMode?: boolean;
  /** Added (real-time) latency of every token request, so concurrent refreshes overlap; default 0. */
  tokenLatencyMs?: number;
  logger?: Logger;
}

/** What an injected fault does to the request it hits. */
export type FaultKind =
  /** Answer with `status` (default 503) and an error body. */
  | 'status'
  /** 429 with `Retry-After: retryAfterSec` (default 1). */
  | 'rate_limit'
  /** Token endpoint: 400 `invalid_grant` (API: 401). */
  | 'invalid_grant'
  /** Token endpoint: 400 `invalid_client` (as Spotify answers a wrong client secret). */
  | 'invalid_client'
  /** Wait `delayMs` (real time) and then answer normally; a long delay is a timeout. */
  | 'delay'
  /** Destroy the socket without answering. */
  | 'reset'
  /** 200 with a body that is not JSON. */
  | 'malformed'
  /** Token endpoint: 200 JSON without `access_token` and `expires_in`; API: 200 `{}`. */
  | 'missing_fields'
  /** API: 401 "The access token expired" (as if the token died early). */
  | 'unauthorized';

/** A fault for the next `count` matching requests. */
export interface FaultSpec {
  /** `token` = POST /api/token, `api` = /v1/... */
  target: 'token' | 'api';
  kind: FaultKind;
  /** How many matching requests it hits; default 1. */
  count?: number;
  status?: number;
  retryAfterSec?: number;
  delayMs?: number;
  /** API only: hit only this method (e.g. 'PUT'). */
  method?: string;
  /** API only: hit only paths starting with this (e.g. '/v1/me/player'). */
  pathPrefix?: string;
}

/** Counters exposed at GET /__emulator/stats. */
export interface EmulatorStats {
  /** Successful token grants by grant type. */
  tokenGrants: { refresh_token: number; authorization_code: number; client_credentials: number };
  /** Every POST /api/token, including failures. */
  tokenRequests: number;
  /** Token endpoint errors by OAuth error code (or HTTP status for faults). */
  tokenErrors: Record<string, number>;
  /** Token requests being handled right now, and the most ever at once. */
  refreshesInFlight: number;
  maxRefreshesInFlight: number;
  /** `"GET /v1/me/player"` → `{ "200": n, "401": m }` (route templates, not raw paths). */
  apiCalls: Record<string, Record<string, number>>;
  apiCallsTotal: number;
  /** API requests refused because the access token had expired / was unknown or revoked. */
  expiredTokensRejected: number;
  invalidTokensRejected: number;
  /** Faults still waiting to hit. */
  faultsPending: number;
}

/** Playback as the emulator models it. */
export interface EmulatorPlayback {
  deviceId: string | null;
  contextUri: string | null;
  /** Track URIs of the current queue (the context's tracks, or the `uris` played). */
  queue: string[];
  /** Index into `queue` of the current track. */
  index: number;
  isPlaying: boolean;
  progressMs: number;
  shuffle: boolean;
  repeat: 'off' | 'track' | 'context';
}

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL of both services, e.g. `http://127.0.0.1:41234` (use it as SPOTIFY_ACCOUNTS_URL and SPOTIFY_API_URL). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
  /** Counters (a copy). */
  stats(): EmulatorStats;
  /** Queues a fault for the next matching requests. */
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Revokes a refresh token (default: every refresh token): the next refresh gets invalid_grant. */
  revokeRefreshTokens(refreshToken?: string): void;
  /** Makes every issued access token invalid (401 "Invalid access token"). */
  revokeAccessTokens(): void;
  /** Issues an access token directly (tests, the SDK conformance suite). */
  issueAccessToken(): { accessToken: string; expiresIn: number; refreshToken: string };
  /** The currently valid refresh tokens (with rotation, the newest). */
  validRefreshTokens(): string[];
  /** Whether a refresh grant with this refresh token would succeed now (current, or within the rotation grace). */
  acceptsRefreshToken(refreshToken: string): boolean;
  /** Current playback, with progress computed at the clock's now (a copy). */
  playback(): EmulatorPlayback | null;
  /** Ends playback: no device is active (player commands get 404 NO_ACTIVE_DEVICE, /me/player 204). */
  stopPlayback(): void;
  /** The seeded devices (ids to use with setDeviceAvailable). */
  devices(): { id: string; name: string; available: boolean }[];
  /** Marks a device available or gone (gone devices vanish from /devices; if active, playback stops). */
  setDeviceAvailable(deviceId: string, available: boolean): void;
  /** Restores the seeded state, clears faults, counters and issued tokens. */
  reset(): void;
  /** Makes a device's volume reports lag and/or round (`{}` makes them exact again). Id or name. */
  configureDevice(idOrName: string, behaviour: DeviceBehaviour): void;
  /** An idle speaker is absent from the device list but answers a transfer or play by id (then is listed again). */
  setDeviceIdle(idOrName: string, idle: boolean): void;
  /** The volume a device is really at (not the lagging report). */
  deviceVolume(idOrName: string): number;
  /** A person turns the volume on the speaker itself (works on volume-locked devices too). */
  personSetsVolume(idOrName: string, percent: number): void;
  /** A person presses pause on the speaker; false when nothing was playing. */
  personPauses(): boolean;
  /** The Web API goes down (5xx or dropped connections) for `forMs` on the emulator clock, or until endOutage. */
  startOutage(spec?: OutageSpec): void;
  endOutage(): void;
}
