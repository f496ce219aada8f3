import { describe, expect, it } from 'vitest';
import { toActiveToken } from './active-token.js';
import { fingerprint } from './fingerprint.js';
import { CacheMetrics } from './metrics.js';
import { buildSnapshot, type SnapshotSource } from './snapshot.js';

const MIN = 60_000;
const WALL = Date.UTC(2026, 0, 5, 6, 0, 0);
const MONO = 1_000_000;
const accessToken = 'access-token-0123456789abcdef';
const refreshToken = 'refresh-token-0123456789abcdef';
const windows = { safetyMarginMs: 30_000, refreshAheadMs: 5 * MIN, nearExpiryWarningMs: 10 * MIN };

function source(overrides: Partial<SnapshotSource> = {}): SnapshotSource {
  return {
    name: 'spotify',
    state: 'empty',
    store: { kind: 'memory', health: { state: 'ok' } },
    metrics: new CacheMetrics(),
    token: undefined,
    refreshToken: undefined,
    monoMs: MONO,
    wallMs: WALL,
    ...overrides,
  };
}

/** A one-hour token obtained `ageMs` before the snapshot. */
function tokenAged(ageMs: number) {
  const record = { accessToken, expiresAt: WALL + 60 * MIN, obtainedAt: WALL, expiresIn: 3600, scope: 'a b' };
  const active = toActiveToken(record, MONO - ageMs, WALL, windows);
  if (active === undefined) throw new Error('test token is unusable');
  return active;
}

describe('buildSnapshot', () => {
  it('reports an empty cache with nulls and zero rates', () => {
    expect(buildSnapshot(source())).toEqual({
      name: 'spotify',
      state: 'empty',
      store: { kind: 'memory', health: { state: 'ok' } },
      cache_metrics: {
        cache_hits: 0,
        cache_misses: 0,
        total_requests: 0,
        refresh_attempts: 0,
        refresh_successes: 0,
        refresh_failures: 0,
        refreshes_in_flight: 0,
        coalesced_callers: 0,
        refresh_ahead_count: 0,
      },
      performance: {
        cache_hit_rate_percent: 0,
        refresh_success_rate_percent: 0,
        last_refresh_duration_ms: null,
      },
      token_info: {
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
      refresh_token: { present: false, fingerprint: null },
      login: {
        authorized_at: null,
        authorized_at_estimated: false,
        expires_at: null,
        expires_in_seconds: null,
      },
      last_error: null,
      last_error_at: null,
    });
  });

  it('copies the counters and rates of the metrics', () => {
    const metrics = new CacheMetrics();
    metrics.miss(false);
    metrics.refreshStarted(false);
    metrics.attempt();
    metrics.failure('upstream 503', WALL - MIN);
    metrics.attempt();
    metrics.success();
    metrics.refreshFinished(1234.4);
    metrics.hit();
    metrics.hit();
    const snap = buildSnapshot(source({ metrics }));
    expect(snap.cache_metrics).toMatchObject({
      cache_hits: 2,
      cache_misses: 1,
      total_requests: 3,
      refresh_attempts: 2,
      refresh_successes: 1,
      refresh_failures: 1,
      refreshes_in_flight: 0,
    });
    expect(snap.performance).toEqual({
      cache_hit_rate_percent: 66.7,
      refresh_success_rate_percent: 50,
      last_refresh_duration_ms: 1234,
    });
    expect(snap.last_error).toBe('upstream 503');
    expect(snap.last_error_at).toBe('2026-01-05T05:59:00.000Z');
  });

  it('gives a token’s whole minutes of age and of time left, and its deadlines as wall-clock times rounded to the nearest second', () => {
    const snap = buildSnapshot(
      source({ state: 'valid', token: tokenAged(20 * MIN + 400), wallMs: WALL + 20 * MIN }),
    );
    expect(snap.token_info).toEqual({
      present: true,
      usable: true,
      fingerprint: fingerprint(accessToken),
      age_minutes: 20,
      time_until_expiry_minutes: 39,
      time_until_expiry_seconds: 2399,
      expires_at: '2026-01-05T07:00:00.000Z',
      refresh_ahead_at: '2026-01-05T06:55:00.000Z',
      scope: 'a b',
    });
  });

  it('re-bases deadlines on the wall clock of the moment, so a wall-clock jump moves them along', () => {
    const snap = buildSnapshot(source({ token: tokenAged(0), wallMs: WALL + 3 * 60 * MIN }));
    expect(snap.token_info.expires_at).toBe('2026-01-05T10:00:00.000Z');
    expect(snap.token_info.time_until_expiry_minutes).toBe(60);
  });

  it('reports a token past its safety margin as present but not usable, never with negative minutes', () => {
    const snap = buildSnapshot(source({ token: tokenAged(61 * MIN) }));
    expect(snap.token_info).toMatchObject({ present: true, usable: false, time_until_expiry_minutes: 0 });
    const margin = buildSnapshot(source({ token: tokenAged(60 * MIN - 10_000) }));
    expect(margin.token_info.usable).toBe(false);
  });

  it('shows the refresh token and the access token only as fingerprints', () => {
    const snap = buildSnapshot(source({ token: tokenAged(0), refreshToken }));
    expect(snap.refresh_token).toEqual({ present: true, fingerprint: fingerprint(refreshToken) });
    const text = JSON.stringify(snap);
    expect(text).not.toContain(accessToken);
    expect(text).not.toContain(refreshToken);
  });

  it('shows when the login was authorized and when it expires, to the second, and whether the time is an estimate', () => {
    const login = {
      authorizedAt: WALL - 170 * 24 * 60 * MIN,
      estimated: true,
      lifetimeMs: 182 * 24 * 60 * MIN,
    };
    const snap = buildSnapshot(source({ refreshToken: 'refresh-token-login-aaaaaaaa', login }));
    expect(snap.login).toEqual({
      authorized_at: new Date(WALL - 170 * 24 * 60 * MIN).toISOString(),
      authorized_at_estimated: true,
      expires_at: new Date(WALL + 12 * 24 * 60 * MIN).toISOString(),
      expires_in_seconds: 12 * 24 * 60 * 60,
    });
    const past = buildSnapshot(
      source({
        refreshToken: 'r-token-xxxxxxxx',
        login: { ...login, authorizedAt: WALL - 200 * 24 * 60 * MIN },
      }),
    );
    expect(past.login.expires_in_seconds).toBe(0);
    // Without a refresh token there is no login to expire.
    expect(buildSnapshot(source({ login })).login.expires_at).toBeNull();
  });
});
