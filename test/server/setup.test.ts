import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { LogCapture, tempDir } from './helpers.js';

/** A parsed JSON answer, read loosely in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are checked by the assertions themselves
type Json = any;

/** A client id in the shape of the Spotify dashboard's (32 hex characters). */
const REAL_CLIENT_ID = '0123456789abcdef0123456789abcdef';
const REAL_SECRET = 'fedcba9876543210fedcba9876543210';

// The emulator plays "real" Spotify here: SPOTIFY_ACCOUNTS_URL/SPOTIFY_API_URL point at it.
let spotify: RunningEmulator;
let servers: RunningServer[] = [];
beforeAll(async () => {
  spotify = await startEmulator({ port: 0, clientId: REAL_CLIENT_ID, clientSecret: REAL_SECRET });
});
afterAll(async () => {
  await spotify.close();
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(stateDir: string, env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    env: {
      SPOTIPI_STATE_DIR: stateDir,
      PORT: '0',
      HOST: '127.0.0.1',
      SPOTIFY_ACCOUNTS_URL: spotify.url,
      SPOTIFY_API_URL: spotify.url,
      ...env,
    },
    cwd: tempDir(),
  });
  const logs = new LogCapture();
  const server = await startServer(config, { logger: createLogger('info', logs) });
  servers.push(server);
  return server;
}

async function post(server: RunningServer, path: string, body: unknown, lang = 'en') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-language': lang },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Approves Spotify's consent page for `authorizeUrl`; returns the redirect back. */
async function approve(authorizeUrl: string): Promise<string> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', 'accept');
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  return res.headers.get('location') ?? '';
}

describe('first-run setup (POST /api/setup)', () => {
  it('checks the app, saves it 0600, leaves demo mode without a restart, and the login then connects the account', async () => {
    const dir = tempDir();
    const server = await start(dir);
    expect((await (await fetch(`${server.url}/healthz`)).json()).mode).toBe('demo');
    const view = await (await fetch(`${server.url}/api/setup`)).json();
    expect(view).toMatchObject({ mode: 'demo', allowed: true, redirect_uri: `${server.url}/callback` });

    const done = await post(server, '/api/setup', { client_id: REAL_CLIENT_ID, client_secret: REAL_SECRET });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ ok: true, mode: 'spotify', login_url: '/login' });
    expect((await (await fetch(`${server.url}/healthz`)).json()).mode).toBe('spotify');
    const file = JSON.parse(await readFile(join(dir, 'spotify-app.json'), 'utf8'));
    expect(file).toMatchObject({ client_id: REAL_CLIENT_ID, client_secret: REAL_SECRET });
    expect((await stat(join(dir, 'spotify-app.json'))).mode & 0o777).toBe(0o600);

    // Not logged in yet: Spotify calls ask for a login, the account says "not connected".
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(401);
    const before = await (await fetch(`${server.url}/api/settings/account`)).json();
    expect(before).toMatchObject({ mode: 'spotify', connected: false, user: null });

    const login = await fetch(`${server.url}/login`, { redirect: 'manual' });
    const authorize = new URL(login.headers.get('location') ?? '');
    expect(authorize.origin).toBe(spotify.url);
    expect(authorize.searchParams.get('client_id')).toBe(REAL_CLIENT_ID);
    expect((await fetch(await approve(authorize.toString()))).status).toBe(200);

    const account = await (await fetch(`${server.url}/api/settings/account`)).json();
    expect(account).toMatchObject({ mode: 'spotify', connected: true, token: { state: 'valid' } });
    // A fresh login: valid for Spotify's refresh-token lifetime from now.
    expect(Date.parse(account.login_expires_at)).toBeGreaterThan(Date.now() + 100 * 86_400_000);
    expect(account.user.display_name).toBeTruthy();
    expect(JSON.stringify(account)).not.toMatch(/BQ|refresh-token/);
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(200);
    // The embedded demo emulator is gone.
    await expect(fetch(`${server.emulator?.url}/v1/me`)).rejects.toThrow();
  });

  it('accepts a PKCE-only app (client id, no secret) and starts on it after a restart', async () => {
    const dir = tempDir();
    const first = await start(dir);
    expect((await post(first, '/api/setup', { client_id: REAL_CLIENT_ID })).status).toBe(200);
    await first.close();
    const second = await start(dir);
    expect(second.config.mode).toBe('spotify');
    expect(second.config.sources.SPOTIFY_CLIENT_ID).toBe('setup');
    expect(second.emulator).toBeUndefined();
  });

  it('names the wrong field with a clear message, in German too, and stays in demo mode', async () => {
    const dir = tempDir();
    const server = await start(dir);
    const badId = await post(server, '/api/setup', { client_id: 'ffffffffffffffffffffffffffffffff' });
    expect(badId.status).toBe(400);
    expect(badId.json.error).toMatchObject({ field: 'client_id' });
    expect(badId.json.error.message).toContain('does not know this Client ID');
    const badSecret = await post(
      server,
      '/api/setup',
      { client_id: REAL_CLIENT_ID, client_secret: 'wrong' },
      'de',
    );
    expect(badSecret.status).toBe(400);
    expect(badSecret.json.error.field).toBe('client_secret');
    expect(badSecret.json.error.message).toContain('Client-Secret');
    const badShape = await post(server, '/api/setup', { client_id: 'has spaces in it' });
    expect(badShape.json.error.field).toBe('client_id');
    expect((await (await fetch(`${server.url}/healthz`)).json()).mode).toBe('demo');
    await expect(stat(join(dir, 'spotify-app.json'))).rejects.toThrow();
  });

  it('refuses a remote client when the server listens beyond loopback without a password, and says how to fix it', async () => {
    const server = await start(tempDir(), { HOST: '0.0.0.0' });
    const remote = await server.app.inject({
      method: 'POST',
      url: '/api/setup',
      remoteAddress: '192.168.1.20',
      payload: { client_id: REAL_CLIENT_ID },
    });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().error.message).toContain('SPOTIPI_PASSWORD');
    const view = await server.app.inject({ method: 'GET', url: '/api/setup', remoteAddress: '192.168.1.20' });
    expect(view.json()).toMatchObject({ allowed: false });
    // The machine itself may.
    const local = await server.app.inject({ method: 'GET', url: '/api/setup', remoteAddress: '127.0.0.1' });
    expect(local.json()).toMatchObject({ allowed: true });
  });

  it('refuses a client a reverse proxy forwards from the network, even to a server on loopback', async () => {
    const server = await start(tempDir());
    const proxied = await server.app.inject({
      method: 'POST',
      url: '/api/setup',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '192.168.1.20' },
      payload: { client_id: REAL_CLIENT_ID },
    });
    expect(proxied.statusCode).toBe(403);
    const local = await server.app.inject({
      method: 'GET',
      url: '/api/setup',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(local.json()).toMatchObject({ allowed: true });
  });

  it('lets a remote client set up when a password protects the server', async () => {
    const server = await start(tempDir(), { HOST: '0.0.0.0', SPOTIPI_PASSWORD: 'correct horse battery' });
    const view = await server.app.inject({
      method: 'GET',
      url: '/api/setup',
      remoteAddress: '192.168.1.20',
      headers: { authorization: 'Bearer correct horse battery' },
    });
    expect(view.json()).toMatchObject({ allowed: true, refusal: null });
  });

  it('refuses to replace a client id set in the environment', async () => {
    const server = await start(tempDir(), { SPOTIFY_CLIENT_ID: REAL_CLIENT_ID });
    const res = await post(server, '/api/setup', { client_id: REAL_CLIENT_ID });
    expect(res.status).toBe(409);
    expect(res.json.error.field).toBe('client_id');
  });
});

describe('Spotify account (GET /api/settings/account, disconnect)', () => {
  it('shows the demo user, and Disconnect forgets the refresh token so Spotify calls need a new login', async () => {
    const dir = tempDir();
    const demo = await start(dir);
    const account = await (await fetch(`${demo.url}/api/settings/account`)).json();
    expect(account).toMatchObject({ mode: 'demo', connected: true, user: { id: 'spotipi-demo' } });
    // Development Mode: Spotify no longer says whether the account has Premium.
    expect(account.user.premium).toBeNull();
    expect((await post(demo, '/api/settings/account/disconnect', {})).status).toBe(409);

    await post(demo, '/api/setup', { client_id: REAL_CLIENT_ID, client_secret: REAL_SECRET });
    const login = await fetch(`${demo.url}/login`, { redirect: 'manual' });
    await fetch(await approve(login.headers.get('location') ?? ''));
    expect((await fetch(`${demo.url}/api/devices`)).status).toBe(200);

    const out = await post(demo, '/api/settings/account/disconnect', {});
    expect(out).toMatchObject({ status: 200, json: { state: 'reauthorization_required' } });
    expect((await fetch(`${demo.url}/api/devices`)).status).toBe(401);
    const after = await (await fetch(`${demo.url}/api/settings/account`)).json();
    expect(after).toMatchObject({ connected: false, user: null });
    const stored = JSON.parse(await readFile(join(dir, 'token.json'), 'utf8'));
    expect(JSON.stringify(stored)).not.toMatch(/refresh/i);
  });
});
