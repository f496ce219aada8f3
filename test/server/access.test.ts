import { afterEach, describe, expect, it } from 'vitest';
import { countingRefresh, startTestApp, type TestApp } from './helpers.js';

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
    const tampered = cookie.replace(/spotipi_session=\d/, 'spotipi_session=9');
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
