import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { startTestApp, type TestApp } from './helpers.js';

let emulator: RunningEmulator;
let t: TestApp;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  await t?.close();
});

/** An app with no refresh token at all: it needs a login before Spotify calls work. */
async function startLoggedOut(clientSecret: string | undefined = DEMO_CLIENT_SECRET): Promise<TestApp> {
  emulator.reset();
  t = await startTestApp({
    spotifyUrl: emulator.url,
    clientId: DEMO_CLIENT_ID,
    ...(clientSecret ? { clientSecret } : {}),
  });
  return t;
}

/** Approves the consent page for `authorizeUrl` and returns where the emulator redirects to. */
async function approve(authorizeUrl: string, decision = 'accept'): Promise<string> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', decision);
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return res.headers.get('location') ?? '';
}

describe('Spotify login', () => {
  it('redirects /login to Spotify with PKCE and state, and /callback makes the app ready without a restart', async () => {
    await startLoggedOut();
    expect((await fetch(`${t.url}/api/devices`)).status).toBe(401);

    const res = await fetch(`${t.url}/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const authorize = new URL(res.headers.get('location') ?? '');
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${t.url}/callback`);
    expect(authorize.searchParams.get('scope')).toContain('user-modify-playback-state');

    const callback = await approve(authorize.toString());
    expect(callback.startsWith(`${t.url}/callback?`)).toBe(true);
    const done = await fetch(callback);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Logged in to Spotify');

    expect((await fetch(`${t.url}/api/devices`)).status).toBe(200);
    const code = new URL(callback).searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    expect(t.logs.text).not.toContain(code);
    for (const rt of emulator.validRefreshTokens()) expect(t.logs.text).not.toContain(rt);
    expect(t.logs.text).not.toContain(DEMO_CLIENT_SECRET);

    // The same code and state cannot be used twice.
    const replay = await fetch(callback);
    expect(replay.status).toBe(400);
  });

  it('works for a public PKCE client with no client secret', async () => {
    await startLoggedOut(undefined);
    const { authorize_url } = (await (
      await fetch(`${t.url}/api/login/start`, { method: 'POST' })
    ).json()) as {
      authorize_url: string;
    };
    const res = await fetch(await approve(authorize_url));
    expect(res.status).toBe(200);
    expect(emulator.stats().tokenGrants.authorization_code).toBe(1);
  });

  it('refuses a callback whose state was not issued here', async () => {
    await startLoggedOut();
    const res = await fetch(`${t.url}/callback?code=abc&state=forged`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not started here or has expired');
    expect(emulator.stats().tokenGrants.authorization_code).toBe(0);
  });

  it('explains a declined consent', async () => {
    await startLoggedOut();
    const { authorize_url } = (await (
      await fetch(`${t.url}/api/login/start`, { method: 'POST' })
    ).json()) as {
      authorize_url: string;
    };
    const res = await fetch(await approve(authorize_url, 'deny'));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('access_denied');
  });

  it('completes a login from the redirected URL pasted back', async () => {
    await startLoggedOut();
    const start = (await (await fetch(`${t.url}/api/login/start`, { method: 'POST' })).json()) as {
      authorize_url: string;
      redirect_uri: string;
    };
    expect(start.redirect_uri).toBe(`${t.url}/callback`);
    const redirected = await approve(start.authorize_url);
    const res = await fetch(`${t.url}/api/login/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_url: redirected }),
    });
    expect(res.status).toBe(200);
    expect((await fetch(`${t.url}/api/devices`)).status).toBe(200);
    const code = new URL(redirected).searchParams.get('code') ?? '';
    expect(t.logs.text).not.toContain(code);
  });

  it('answers a pasted URL without code or with a stale state with 400 naming redirect_url', async () => {
    await startLoggedOut();
    for (const redirect_url of [
      'http://127.0.0.1:1/callback?state=zzz&code=abc',
      'hello',
      `${t.url}/callback`,
    ]) {
      const res = await fetch(`${t.url}/api/login/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_url }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('redirect_url');
    }
    const missing = await fetch(`${t.url}/api/login/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(((await missing.json()) as { error: { field: string } }).error.field).toBe('redirect_url');
  });
});
