import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import { credentialMatches } from '../../src/server/access.js';
import { fingerprint } from '../../src/token/fingerprint.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { countingRefresh, startTestApp, type TestApp, tempDir, testConfig } from './helpers.js';
import { rawRequest } from './raw-http.js';

const PASSWORD = 'correct horse battery staple';
const API_TOKEN = 'script-token-0123456789abcdef';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function startProtected(): Promise<TestApp> {
  t = await startTestApp({
    refresh: countingRefresh(),
    env: { SPOTIPI_PASSWORD: PASSWORD, SPOTIPI_API_TOKEN: API_TOKEN },
  });
  return t;
}

function sessionCookie(res: Response): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('spotipi_session='));
  expect(set).toBeDefined();
  return (set ?? '').split(';')[0] ?? '';
}

describe('access control off', () => {
  it('lets every route through without credentials', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    expect((await fetch(`${t.url}/api/token-cache/status`)).status).toBe(200);
    expect((await fetch(`${t.url}/api/token-cache/refresh`, { method: 'POST' })).status).toBe(200);
  });
});

describe('access control on', () => {
  it('keeps /healthz open and closes everything else', async () => {
    const app = await startProtected();
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    for (const path of [
      '/api/token-cache/status',
      '/metrics',
      '/readyz',
      '/api/devices',
      '/playback_status',
    ]) {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toMatchObject({ error: { status: 401 } });
    }
    expect((await fetch(`${app.url}/api/token-cache/refresh`, { method: 'POST' })).status).toBe(401);
  });

  it('redirects a browser asking for the page to the login form', async () => {
    const app = await startProtected();
    const res = await fetch(`${app.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/auth/login?next=%2F');
    const form = await fetch(`${app.url}/auth/login?next=%2F`);
    expect(await form.text()).toContain('type="password"');
  });

  it('accepts the API token or the password as a Bearer token', async () => {
    const app = await startProtected();
    for (const secret of [API_TOKEN, PASSWORD]) {
      const res = await fetch(`${app.url}/api/token-cache/status`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(res.status).toBe(200);
    }
  });

  it('logs a browser in with a signed, httpOnly, SameSite=Strict session cookie', async () => {
    const app = await startProtected();
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: PASSWORD, next: '/api/token-cache/status' }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/api/token-cache/status');
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('spotipi_session=')) ?? '';
    expect(raw).toMatch(/HttpOnly/i);
    expect(raw).toMatch(/SameSite=Strict/i);
    expect(raw).not.toContain(PASSWORD);
    const cookie = sessionCookie(res);
    expect((await fetch(`${app.url}/api/token-cache/status`, { headers: { cookie } })).status).toBe(200);

    // A tampered cookie is worthless.
    const tampered = cookie.replace(
      /spotipi_session=(.)/,
      (_m, c: string) => `spotipi_session=${c === 'A' ? 'B' : 'A'}`,
    );
    expect((await fetch(`${app.url}/api/token-cache/status`, { headers: { cookie: tampered } })).status).toBe(
      401,
    );
  });

  it('never redirects a login to another site', async () => {
    const app = await startProtected();
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: PASSWORD, next: '//evil.example/' }),
      redirect: 'manual',
    });
    expect(res.headers.get('location')).toBe('/');
  });

  it('refuses a wrong password and rate-limits repeated attempts', async () => {
    const app = await startProtected();
    const attempt = () =>
      fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password: 'guess' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await attempt();
    expect(await limited.json()).toMatchObject({ error: { status: 429 } });
    expect(app.logs.text).not.toContain('guess');
  });

  it('rate-limits wrong bearer tokens per client', async () => {
    const app = await startProtected();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${app.url}/api/token-cache/status`, {
        headers: { authorization: 'Bearer wrong' },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Even the right token waits out the window once an address is over the limit.
    const res = await fetch(`${app.url}/api/token-cache/status`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(res.status).toBe(429);
    expect(app.logs.text).not.toContain(API_TOKEN);
  });
});

describe('cross-site requests', () => {
  it('refuses a state-changing request from another site, by Origin or Sec-Fetch-Site', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const refresh = (headers: Record<string, string>) =>
      fetch(`${t?.url}/api/token-cache/refresh`, { method: 'POST', headers });
    const byOrigin = await refresh({ origin: 'http://evil.example' });
    expect(byOrigin.status).toBe(403);
    expect(await byOrigin.json()).toEqual({ error: { status: 403, message: 'Cross-site request refused.' } });
    expect((await refresh({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await refresh({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await refresh({ origin: 'null' })).status).toBe(403);
  });

  it('accepts same-origin requests and requests without an Origin (curl, scripts)', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const host = new URL(t.url).host;
    const refresh = (headers: Record<string, string>) =>
      fetch(`${t?.url}/api/token-cache/refresh`, { method: 'POST', headers });
    expect((await refresh({})).status).toBe(200);
    expect((await refresh({ origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('lets a cross-site page read nothing: no CORS headers are sent', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const res = await fetch(`${t.url}/api/token-cache/status`, {
      headers: { origin: 'http://evil.example' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** Logs in with the password form and returns the `name=value` session cookie. */
async function login(app: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${app.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ password: PASSWORD }),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return sessionCookie(res);
}

const statusWith = async (app: TestApp, cookie: string) =>
  (await fetch(`${app.url}/api/token-cache/status`, { headers: { cookie } })).status;

describe('Host names (DNS rebinding)', () => {
  it('refuses a rebound page: a foreign Host gets 421 naming SPOTIPI_ALLOWED_HOSTS, even with a matching Origin', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const port = new URL(t.url).port;
    // After rebinding, the attacker's page and its requests both name the attacker's domain.
    const res = await rawRequest(t.url, '/api/token-cache/refresh', {
      method: 'POST',
      headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
    });
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body)).toMatchObject({ error: { status: 421, field: 'host' } });
    expect(JSON.parse(res.body).error.message).toContain('SPOTIPI_ALLOWED_HOSTS');
    expect(
      (await rawRequest(t.url, '/api/token-cache/status', { headers: { host: 'pi.local' } })).status,
    ).toBe(421);
    expect(t.tokenCache.snapshot().cache_metrics.refresh_attempts).toBe(0);
  });

  it('always serves loopback names, IP literals and the bound address', async () => {
    t = await startTestApp({ refresh: countingRefresh(), env: { HOST: 'spotipi-box.lan' } });
    const port = new URL(t.url).port;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'LOCALHOST.',
      `[::1]:${port}`,
      '192.168.1.20:5001',
      `spotipi-box.lan:${port}`,
    ]) {
      const res = await rawRequest(t.url, '/api/token-cache/status', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('serves the names listed in SPOTIPI_ALLOWED_HOSTS (the one line a HOST=0.0.0.0 user with pi.local adds)', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { HOST: '0.0.0.0', SPOTIPI_ALLOWED_HOSTS: 'pi.local, SpotiPi.Home' },
    });
    for (const host of ['pi.local:5001', 'pi.local', 'spotipi.home']) {
      expect((await rawRequest(t.url, '/api/token-cache/status', { headers: { host } })).status, host).toBe(
        200,
      );
    }
    expect(
      (await rawRequest(t.url, '/api/token-cache/status', { headers: { host: 'evil.pi.local' } })).status,
    ).toBe(421);
  });
});

describe('public routes are rate-limited per client', () => {
  it('answers 429 once a client calls /callback too often', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await fetch(`${t.url}/callback?state=x&code=y`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
  });

  it('answers 429 once a client posts /auth/logout too often', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      statuses.push((await fetch(`${t.url}/auth/logout`, { method: 'POST', redirect: 'manual' })).status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 303)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});

describe('server-side sessions', () => {
  it('ends the session on logout: a copy of the cookie is dead too', async () => {
    const app = await startProtected();
    const cookie = await login(app);
    const copy = cookie;
    expect(await statusWith(app, cookie)).toBe(200);
    const out = await fetch(`${app.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(await statusWith(app, copy)).toBe(401);
  });

  it('logs out everywhere: every browser session ends, and the request needs a live session', async () => {
    const app = await startProtected();
    const phone = await login(app);
    const laptop = await login(app);
    expect(
      (await fetch(`${app.url}/auth/logout-everywhere`, { method: 'POST' })).status,
      'anonymous callers cannot end sessions',
    ).toBe(401);
    const res = await fetch(`${app.url}/auth/logout-everywhere`, {
      method: 'POST',
      headers: { cookie: phone },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, sessions_ended: 2 });
    expect(await statusWith(app, phone)).toBe(401);
    expect(await statusWith(app, laptop)).toBe(401);
    // The API token still works: it is not a session.
    const bearer = await fetch(`${app.url}/api/token-cache/status`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(bearer.status).toBe(200);
  });

  it('keeps sessions across a restart, in a 0600 file that holds no usable session id', async () => {
    const stateDir = tempDir();
    const env = { SPOTIPI_PASSWORD: PASSWORD, SPOTIPI_API_TOKEN: API_TOKEN, SPOTIPI_STATE_DIR: stateDir };
    t = await startTestApp({ refresh: countingRefresh(), env });
    const cookie = await login(t);
    await t.close();
    t = await startTestApp({ refresh: countingRefresh(), env });
    expect(await statusWith(t, cookie)).toBe(200);
    const file = join(stateDir, 'sessions.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const id = decodeURIComponent(cookie.split('=')[1] ?? '').replace(/\.[^.]+$/, '');
    expect(readFileSync(file, 'utf8')).not.toContain(id);
  });

  it.each([
    ['password', { SPOTIPI_PASSWORD: 'another password' }],
    ['API token', { SPOTIPI_API_TOKEN: 'another-script-token-0123456789' }],
  ])('ends every session when the %s changes, even if it is changed back', async (_what, change) => {
    const stateDir = tempDir();
    const env = { SPOTIPI_PASSWORD: PASSWORD, SPOTIPI_API_TOKEN: API_TOKEN, SPOTIPI_STATE_DIR: stateDir };
    t = await startTestApp({ refresh: countingRefresh(), env });
    const cookie = await login(t);
    await t.close();
    t = await startTestApp({ refresh: countingRefresh(), env: { ...env, ...change } });
    expect(await statusWith(t, cookie)).toBe(401);
    await t.close();
    t = await startTestApp({ refresh: countingRefresh(), env });
    expect(await statusWith(t, cookie)).toBe(401);
  });

  it('puts a random id in the cookie, never anything derived from the password', async () => {
    const app = await startProtected();
    const first = await login(app);
    const second = await login(app);
    const value = (cookie: string) => decodeURIComponent(cookie.split('=')[1] ?? '').replace(/\.[^.]+$/, '');
    expect(value(first)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value(first)).not.toBe(value(second));
    for (const derived of [
      fingerprint(`${PASSWORD}\u0000${API_TOKEN}`),
      fingerprint(PASSWORD),
      createHash('sha256').update(PASSWORD).digest('hex').slice(0, 16),
    ]) {
      expect(value(first)).not.toContain(derived);
    }
  });
});

describe('login redirect targets', () => {
  it.each([
    '/\t/evil.example',
    '/%09/evil.example'.replace('%09', '\t'),
    '/\n/evil.example',
    '/\\evil.example',
    '//evil.example/',
    'https://evil.example/',
    '/\\/evil.example',
  ])('sends %j home instead of to another site', async (next) => {
    const app = await startProtected();
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: PASSWORD, next }),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('keeps a same-site path with its query', async () => {
    const app = await startProtected();
    const res = await fetch(`${app.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password: PASSWORD, next: '/api/alarms?x=1' }),
      redirect: 'manual',
    });
    expect(res.headers.get('location')).toBe('/api/alarms?x=1');
  });

  it('does not put a foreign target into the login form', async () => {
    const app = await startProtected();
    const page = await (
      await fetch(`${app.url}/auth/login?next=${encodeURIComponent('/\t/evil.example')}`)
    ).text();
    expect(page).toContain('name="next" value="/"');
  });
});

describe('public static files', () => {
  function webRootWithUi(): string {
    const root = tempDir('spotipi-web-');
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>SpotiPi UI</title>PRIVATE-PAGE');
    mkdirSync(join(root, 'icons'));
    writeFileSync(join(root, 'icons', 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, 'manifest.webmanifest'), '{"name":"SpotiPi"}');
    return root;
  }

  it.each([
    '/icons/../index.html',
    '/icons/%2e%2e/index.html',
    '/icons/%2E%2E/index.html',
    '/icons/..%2findex.html',
    '/icons/./../index.html',
    '/icons/',
    '/icons/missing.svg',
  ])('keeps %s behind the login', async (path) => {
    t = await startTestApp({
      refresh: countingRefresh(),
      webRoot: webRootWithUi(),
      env: { SPOTIPI_PASSWORD: PASSWORD },
    });
    const res = await rawRequest(t.url, path);
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('PRIVATE-PAGE');
  });

  it('serves the icons and the manifest the login page needs without a login', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      webRoot: webRootWithUi(),
      env: { SPOTIPI_PASSWORD: PASSWORD },
    });
    expect((await rawRequest(t.url, '/icons/icon.svg')).status).toBe(200);
    expect((await rawRequest(t.url, '/manifest.webmanifest')).status).toBe(200);
    expect((await rawRequest(t.url, '/')).status).toBe(401);
  });
});

describe('Spotify-costly routes', () => {
  it('lets one client force a token refresh a few times in a row, then makes it wait', async () => {
    const clock = new ManualClock(Date.now());
    const refresh = countingRefresh();
    t = await startTestApp({ refresh, clock });
    const force = () => fetch(`${t?.url}/api/token-cache/refresh`, { method: 'POST' });
    for (let i = 0; i < 5; i++) expect((await force()).status).toBe(200);
    const limited = await force();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(30);
    expect(refresh.calls).toBe(5);
    await clock.advance(30_000);
    expect((await force()).status).toBe(200);
    expect(refresh.calls).toBe(6);
  });

  it('cools down forced library refreshes per client, while the cached library stays available', async () => {
    const emulator = await startEmulator({ port: 0 });
    try {
      const clock = new ManualClock(Date.now());
      t = await startTestApp({
        clock,
        spotifyUrl: emulator.url,
        clientId: DEMO_CLIENT_ID,
        clientSecret: DEMO_CLIENT_SECRET,
        seedRefreshToken: DEMO_REFRESH_TOKEN,
      });
      const load = (query: string) => fetch(`${t?.url}/api/music-library${query}`);
      const playlistCalls = () =>
        Object.values(emulator.stats().apiCalls['GET /v1/me/playlists'] ?? {}).reduce((a, b) => a + b, 0);
      for (let i = 0; i < 5; i++) expect((await load('?refresh=1')).status).toBe(200);
      const before = playlistCalls();
      const limited = await load('?refresh=1');
      expect(limited.status).toBe(429);
      expect(await limited.json()).toMatchObject({ error: { status: 429, retry_after_seconds: 30 } });
      expect(playlistCalls()).toBe(before);
      // A plain load is not a forced refresh: it is served (from the cache) as always.
      expect((await load('')).status).toBe(200);
      await clock.advance(30_000);
      expect((await load('?refresh=true')).status).toBe(200);
      expect(playlistCalls()).toBeGreaterThan(before);
    } finally {
      await emulator.close();
    }
  });

  it('refuses cross-site GETs that cost Spotify calls or start a login, even as a navigation', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    // Raw requests: fetch would overwrite Sec-Fetch-Mode with its own.
    const get = (path: string, headers: Record<string, string>) =>
      rawRequest(t?.url ?? '', path, { headers });
    const image = { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' };
    const link = {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    };
    expect((await get('/api/music-library?refresh=1', image)).status).toBe(403);
    expect((await get('/api/token-cache/status', image)).status).toBe(403);
    expect((await get('/login', link)).status).toBe(403);
    expect((await get('/api/music-library', { ...link, 'sec-fetch-site': 'same-site' })).status).toBe(403);
    // A link from elsewhere may still open the app itself.
    expect((await get('/', link)).status).toBe(200);
    expect(
      (await get('/login', { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' })).status,
    ).toBe(302);
  });
});

describe('request bodies', () => {
  it('refuses form-encoded bodies on API routes (only the login form takes them)', async () => {
    t = await startTestApp({ refresh: countingRefresh() });
    const res = await fetch(`${t.url}/api/token-cache/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'force=1',
    });
    expect(res.status).toBe(415);
    expect(t.tokenCache.snapshot().cache_metrics.refresh_attempts).toBe(0);
  });
});

describe('behind an HTTPS reverse proxy (SPOTIPI_TRUST_PROXY)', () => {
  const forwarded = (ip: string) => ({ 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' });

  it('marks the session cookie Secure when the proxy says the browser used HTTPS', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_PASSWORD: PASSWORD, SPOTIPI_TRUST_PROXY: '127.0.0.1' },
    });
    const res = await fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded('203.0.113.5') },
      body: new URLSearchParams({ password: PASSWORD }),
      redirect: 'manual',
    });
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('spotipi_session=')) ?? '';
    expect(raw).toMatch(/;\s*Secure/i);
  });

  it('ignores forwarded headers from a client that is not a trusted proxy', async () => {
    t = await startTestApp({ refresh: countingRefresh(), env: { SPOTIPI_PASSWORD: PASSWORD } });
    const res = await fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...forwarded('203.0.113.5') },
      body: new URLSearchParams({ password: PASSWORD }),
      redirect: 'manual',
    });
    const raw = res.headers.getSetCookie().find((c) => c.startsWith('spotipi_session=')) ?? '';
    expect(raw).not.toMatch(/Secure/i);
  });

  it('checks the host the browser asked the proxy for, when the proxy is trusted', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_TRUST_PROXY: '127.0.0.1', SPOTIPI_ALLOWED_HOSTS: 'spotipi.example.net' },
    });
    const via = (host: string) =>
      rawRequest(t?.url ?? '', '/api/token-cache/status', { headers: { 'x-forwarded-host': host } });
    expect((await via('spotipi.example.net')).status).toBe(200);
    expect((await via('evil.example')).status).toBe(421);
  });

  it('refuses a SPOTIPI_TRUST_PROXY that is neither true/false nor addresses', () => {
    expect(() => testConfig({ SPOTIPI_TRUST_PROXY: 'nginx' })).toThrow(/SPOTIPI_TRUST_PROXY/);
    expect(testConfig({ SPOTIPI_TRUST_PROXY: '10.0.0.0/8, ::1' }).access.trustProxy).toEqual([
      '10.0.0.0/8',
      '::1',
    ]);
    expect(testConfig({ SPOTIPI_TRUST_PROXY: 'yes' }).access.trustProxy).toBe(true);
  });

  it('rate-limits each client behind the proxy on its own', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_PASSWORD: PASSWORD, SPOTIPI_TRUST_PROXY: 'true' },
    });
    const attempt = (ip: string) =>
      fetch(`${t?.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...forwarded(ip) },
        body: JSON.stringify({ password: 'wrong guess' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await attempt('203.0.113.7')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await attempt('203.0.113.8')).status).toBe(401);
  });
});

describe('small ones', () => {
  it('refuses a SPOTIPI_PASSWORD shorter than 8 characters as a configuration error', () => {
    expect(() => testConfig({ SPOTIPI_PASSWORD: 'short12' })).toThrow(ConfigError);
    expect(() => testConfig({ SPOTIPI_PASSWORD: 'short12' })).toThrow(
      /SPOTIPI_PASSWORD.*at least 8 characters/,
    );
    expect(testConfig({ SPOTIPI_PASSWORD: 'longer12' }).access.password).toBe('longer12');
  });

  it('compares credentials of any length without error and accepts only the exact ones', () => {
    const access = { password: PASSWORD, apiToken: API_TOKEN };
    expect(credentialMatches(PASSWORD, access)).toBe(true);
    expect(credentialMatches(API_TOKEN, access)).toBe(true);
    for (const wrong of ['', 'c', PASSWORD.slice(0, -1), `${PASSWORD}x`, 'x'.repeat(5000)]) {
      expect(credentialMatches(wrong, access)).toBe(false);
    }
  });
});
