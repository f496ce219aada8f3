import type { ActiveToken } from './active-token.js';
import { fingerprint } from './fingerprint.js';
import type { CacheMetrics } from './metrics.js';
import type { CacheState, StoreHealth } from './types.js';

/** What `snapshot()` returns: the seed's status shape plus state, store and token details. */
export interface TokenCacheSnapshot {
  name: string;
  state: CacheState;
  store: { kind: string; health: StoreHealth };
  cache_metrics: {
    cache_hits: number;
    cache_misses: number;
    total_requests: number;
    refresh_attempts: number;
    refresh_successes: number;
    refresh_failures: number;
    refreshes_in_flight: number;
    coalesced_callers: number;
    refresh_ahead_count: number;
  };
  performance: {
    cache_hit_rate_percent: number;
    refresh_success_rate_percent: number;
    last_refresh_duration_ms: number | null;
  };
  token_info: {
    present: boolean;
    usable: boolean;
    fingerprint: string | null;
    age_minutes: number | null;
    time_until_expiry_minutes: number | null;
    /** The same to the second, for gauges and countdowns. */
    time_until_expiry_seconds: number | null;
    /** ISO 8601, re-based on the current wall clock. */
    expires_at: string | null;
    refresh_ahead_at: string | null;
    scope: string | null;
  };
  refresh_token: { present: boolean; fingerprint: string | null };
  /** The login (grant) the refresh token belongs to, and when it stops working. */
  login: {
    /** ISO 8601: when the user authorized this grant (login time). */
    authorized_at: string | null;
    /** True for a refresh token seeded from configuration: `authorized_at` is its first use. */
    authorized_at_estimated: boolean;
    /** `authorized_at` plus the refresh token lifetime (refreshing does not extend it). */
    expires_at: string | null;
    expires_in_seconds: number | null;
  };
  last_error: string | null;
  last_error_at: string | null;
}

/** What a snapshot shows about the login. */
export interface LoginSource {
  authorizedAt: number | undefined;
  estimated: boolean;
  lifetimeMs: number;
}

/** The state of a cache that a snapshot is made from, read at one moment of both clocks. */
export interface SnapshotSource {
  name: string;
  state: CacheState;
  store: { kind: string; health: StoreHealth };
  metrics: CacheMetrics;
  /** The cached token, usable or not. */
  token: ActiveToken | undefined;
  refreshToken: string | undefined;
  /** Absent: nothing known about the login. */
  login?: LoginSource;
  monoMs: number;
  wallMs: number;
}

/**
 * Builds a snapshot; the secrets in `source` appear only as fingerprints. Monotonic deadlines are
 * shown as wall-clock times, re-based on `wallMs` and rounded to the nearest second.
 */
export function buildSnapshot(source: SnapshotSource): TokenCacheSnapshot {
  const { metrics: m, token: cur, monoMs: mono, wallMs: wall } = source;
  const at = (monoAt: number) => new Date(Math.round((wall + monoAt - mono) / 1000) * 1000).toISOString();
  return {
    name: source.name,
    state: source.state,
    store: source.store,
    cache_metrics: {
      cache_hits: m.cacheHits,
      cache_misses: m.cacheMisses,
      total_requests: m.totalRequests,
      refresh_attempts: m.refreshAttempts,
      refresh_successes: m.refreshSuccesses,
      refresh_failures: m.refreshFailures,
      refreshes_in_flight: m.refreshesInFlight,
      coalesced_callers: m.coalescedCallers,
      refresh_ahead_count: m.refreshAheadCount,
    },
    performance: {
      cache_hit_rate_percent: m.hitRatePercent(),
      refresh_success_rate_percent: m.refreshSuccessRatePercent(),
      last_refresh_duration_ms: m.lastRefreshDurationMs,
    },
    token_info: cur
      ? {
          present: true,
          usable: mono < cur.usableUntilMono,
          fingerprint: cur.fingerprint,
          age_minutes: Math.max(0, Math.floor((mono - cur.obtainedMono) / 60_000)),
          time_until_expiry_minutes: Math.max(0, Math.floor((cur.deadlineMono - mono) / 60_000)),
          time_until_expiry_seconds: Math.max(0, Math.floor((cur.deadlineMono - mono) / 1000)),
          expires_at: at(cur.deadlineMono),
          refresh_ahead_at: at(cur.refreshAheadAtMono),
          scope: cur.scope ?? null,
        }
      : {
          present: false,
          usable: false,
          fingerprint: null,
          age_minutes: null,
          time_until_expiry_minutes: null,
          time_until_expiry_seconds: null,
          expires_at: null,
          refresh_ahead_at: null,
          scope: null,
        },
    refresh_token: {
      present: source.refreshToken !== undefined,
      fingerprint: fingerprint(source.refreshToken) ?? null,
    },
    login: loginView(source.login, source.refreshToken !== undefined, wall),
    last_error: m.lastError,
    last_error_at: m.lastErrorAt === null ? null : new Date(m.lastErrorAt).toISOString(),
  };
}

/** The snapshot's `login`: all null without a refresh token or a known authorization time. */
export function loginView(
  login: LoginSource | undefined,
  hasRefreshToken: boolean,
  wallMs: number,
): TokenCacheSnapshot['login'] {
  if (!hasRefreshToken || login?.authorizedAt === undefined)
    return {
      authorized_at: null,
      authorized_at_estimated: false,
      expires_at: null,
      expires_in_seconds: null,
    };
  const expiresAt = login.authorizedAt + login.lifetimeMs;
  return {
    authorized_at: new Date(login.authorizedAt).toISOString(),
    authorized_at_estimated: login.estimated,
    expires_at: new Date(expiresAt).toISOString(),
    expires_in_seconds: Math.max(0, Math.floor((expiresAt - wallMs) / 1000)),
  };
}
