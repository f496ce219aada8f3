import { afterEach, describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError, RetryableRefreshError } from '../../src/token/errors.js';
import { countingRefresh, startTestApp, type TestApp } from './helpers.js';

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(options: Parameters<typeof startTestApp>[0] = {}): Promise<TestApp> {
  current = await startTestApp(options);
  return current;
}

describe('health routes', () => {
  it('answers /healthz with status, mode, version and uptime', async () => {
    const t = await start();
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'ok', mode: 'demo' });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof body.uptime_seconds).toBe('number');
    expect(body.low_power).toBe(false);
  });

  it('tells the page in /healthz when the server runs the low-power profile, so it polls half as often', async () => {
    const t = await start({ env: { SPOTIPI_LOW_POWER: '1' } });
    const body = (await (await fetch(`${t.url}/healthz`)).json()) as Record<string, unknown>;
    expect(body.low_power).toBe(true);
  });

  it('answers /readyz 200 once a token can be had', async () => {
    const refresh = countingRefresh();
    const t = await start({ refresh });
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      state: 'valid',
      time_until_expiry_minutes: 59,
    });
    expect(refresh.calls).toBe(1);
  });

  it('answers /readyz 503 with the login link when Spotify wants a new login', async () => {
    const t = await start({
      refresh: async () => {
        throw new ReauthorizationRequiredError('invalid_grant');
      },
    });
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not_ready', login_url: '/login' });
    // The state is remembered: the second probe answers without another refresh.
    const again = await fetch(`${t.url}/readyz`);
    expect(await again.json()).toMatchObject({ state: 'reauthorization_required' });
  });

  it('answers /readyz 503 saying Spotify is unreachable when refreshes keep failing', async () => {
    const t = await start({
      refresh: async () => {
        throw new RetryableRefreshError('connection refused');
      },
    });
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { reason: string };
    expect(body.reason).toMatch(/Spotify is not answering/);
  });
});

describe('token cache routes', () => {
  it("reports the seed's status shape plus state, store and settings, never the token", async () => {
    const refresh = countingRefresh();
    const t = await start({ refresh });
    await t.tokenCache.getAccessToken();
    await t.tokenCache.getAccessToken();
    const res = await fetch(`${t.url}/api/token-cache/status`);
    const text = await res.text();
    expect(text).not.toContain('access-token-1-secretvalue');
    const body = JSON.parse(text) as Record<string, Record<string, unknown>>;
    expect(body.cache_metrics).toMatchObject({
      cache_hits: 1,
      cache_misses: 1,
      total_requests: 2,
      refresh_attempts: 1,
      refresh_successes: 1,
      refresh_failures: 0,
    });
    expect(body.performance).toMatchObject({ cache_hit_rate_percent: 50, refresh_success_rate_percent: 100 });
    expect(body.token_info).toMatchObject({ age_minutes: 0, time_until_expiry_minutes: 59 });
    expect(typeof body.token_info?.expires_at).toBe('string');
    expect(body).toMatchObject({ state: 'valid', mode: 'demo', store: { kind: 'memory' } });
    expect(body.settings).toMatchObject({ refresh_ahead_seconds: 300, safety_margin_seconds: 30 });
  });

  it('logs a one-line performance summary and returns it', async () => {
    const t = await start({ refresh: countingRefresh() });
    await t.tokenCache.getAccessToken();
    const res = await fetch(`${t.url}/api/token-cache/performance`);
    const body = (await res.json()) as { summary: string };
    expect(body.summary).toMatch(
      /^Token cache: 1 requests, 0 hits, 1 misses \(hit rate 0\.0%\), 1\/1 refreshes/,
    );
    expect(t.logs.parsed().some((l) => l.msg === body.summary)).toBe(true);
  });

  it('forces a refresh on POST /api/token-cache/refresh', async () => {
    const refresh = countingRefresh();
    const t = await start({ refresh });
    await t.tokenCache.getAccessToken();
    const res = await fetch(`${t.url}/api/token-cache/refresh`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ refreshed: true, status: { state: 'valid' } });
    expect(refresh.calls).toBe(2);
  });

  it('answers a failed forced refresh with a JSON error, not a stack trace', async () => {
    const t = await start({
      refresh: async () => {
        throw new ReauthorizationRequiredError('invalid_grant');
      },
    });
    const res = await fetch(`${t.url}/api/token-cache/refresh`, { method: 'POST' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { status: number; message: string; login_url: string } };
    expect(body.error).toMatchObject({ status: 401, login_url: '/login' });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('metrics', () => {
  it('exports token cache counters, refresh and HTTP histograms in Prometheus format', async () => {
    const t = await start({ refresh: countingRefresh() });
    await t.tokenCache.getAccessToken();
    await fetch(`${t.url}/healthz`);
    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^spotipi_token_cache_misses_total 1$/m);
    expect(text).toMatch(/^spotipi_token_refresh_successes_total 1$/m);
    expect(text).toMatch(/^spotipi_token_cache_state\{state="valid"\} 1$/m);
    expect(text).toMatch(/^spotipi_token_store_degraded\{store="\w+"\} 0$/m);
    // To the second, not whole minutes x 60 (a fresh one-hour token has more than 59 min left).
    const expiry = Number(/^spotipi_token_time_until_expiry_seconds (\d+)$/m.exec(text)?.[1]);
    expect(expiry).toBeGreaterThan(3540);
    expect(expiry).toBeLessThanOrEqual(3600);
    // The login's own end (unknown here: the test cache has no refresh token).
    expect(text).toMatch(/^spotipi_login_expires_in_seconds Nan$/m);
    expect(text).toMatch(
      /spotipi_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/,
    );
    expect(text).toContain('spotipi_spotify_api_calls_total');
    expect(text).toContain('spotipi_token_refresh_duration_seconds');
  });
});

describe('request logging', () => {
  it('logs successful requests only at debug, and failed ones with one info line', async () => {
    const t = await start({ env: { LOG_LEVEL: 'info' } });
    await fetch(`${t.url}/healthz`);
    await fetch(`${t.url}/nope?token=hidden`);
    const requestLines = t.logs
      .parsed()
      .filter((l) => String(l.msg).startsWith('request') || l.msg === 'incoming request');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({ msg: 'request completed', res: { statusCode: 404 } });
    expect(JSON.stringify(requestLines[0])).not.toContain('hidden');
  });
});

describe('errors and static page', () => {
  it('answers an unknown route with the JSON error shape', async () => {
    const t = await start();
    const res = await fetch(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { status: 404, message: 'No route GET /nope' } });
  });

  it('answers malformed JSON with 400', async () => {
    const t = await start();
    const res = await fetch(`${t.url}/api/playback/volume`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"volume": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { status: 400, message: 'The request body is not valid JSON.' },
    });
  });

  it('answers an oversized body with 413', async () => {
    const t = await start();
    const res = await fetch(`${t.url}/api/playback/volume`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ volume: 5, pad: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
  });

  it('serves a working HTML page at / with security headers when the web UI is absent', async () => {
    const t = await start();
    const res = await fetch(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('DEMO MODE');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('img-src');
    expect(csp).toContain('data:');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
