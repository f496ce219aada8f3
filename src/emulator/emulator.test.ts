import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codeChallengeS256, createPkcePair } from '../spotify/pkce.js';
import { ManualClock } from '../token/manual-clock.js';
import { runEmulatorCli } from './cli.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from './demo-credentials.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './types.js';

const basic = `Basic ${Buffer.from(`${DEMO_CLIENT_ID}:${DEMO_CLIENT_SECRET}`).toString('base64')}`;
const REDIRECT = 'http://127.0.0.1:5001/callback';

let clock: ManualClock;
let emu: RunningEmulator;
let token: string;

beforeAll(async () => {
  clock = new ManualClock();
  emu = await startEmulator({ clock, tokenLifetimeSec: 3600 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  token = emu.issueAccessToken().accessToken;
});

function tokenRequest(fields: Record<string, string>, auth: string | null = basic): Promise<Response> {
  return fetch(`${emu.url}/api/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(fields),
  });
}

function api(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const t = init.token === undefined ? token : init.token;
  return fetch(`${emu.url}${path}`, {
    ...init,
    headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...(init.headers as Record<string, string>) },
  });
}

function admin(path: string, body?: unknown, method = 'POST'): Promise<Response> {
  return fetch(`${emu.url}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('emulator token endpoint', () => {
  it('answers a refresh with exactly Spotify success fields', async () => {
    const res = await tokenRequest({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
  });

  it('adds a new refresh_token to every refresh when rotation is on', async () => {
    const rotating = await startEmulator({ rotateRefreshTokens: true });
    try {
      const res = await fetch(`${rotating.url}/api/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN }),
      });
      const body = (await res.json()) as { refresh_token: string };
      expect(body.refresh_token).toMatch(/^AQ/);
      expect(rotating.validRefreshTokens()).toEqual([body.refresh_token]);
    } finally {
      await rotating.close();
    }
  });

  it('honours a rotated-out refresh token only within the rotation grace window', async () => {
    const graceClock = new ManualClock();
    const graced = await startEmulator({
      rotateRefreshTokens: true,
      rotationGraceSec: 30,
      clock: graceClock,
    });
    const refresh = (refreshToken: string) =>
      fetch(`${graced.url}/api/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
    try {
      const first = (await (await refresh(DEMO_REFRESH_TOKEN)).json()) as { refresh_token: string };
      expect(graced.validRefreshTokens()).toEqual([first.refresh_token]);
      expect(graced.acceptsRefreshToken(DEMO_REFRESH_TOKEN)).toBe(true);
      await graceClock.advance(29_000);
      expect((await refresh(DEMO_REFRESH_TOKEN)).status).toBe(200);
      await graceClock.advance(1_000);
      expect(graced.acceptsRefreshToken(DEMO_REFRESH_TOKEN)).toBe(false);
      const late = await refresh(DEMO_REFRESH_TOKEN);
      expect(late.status).toBe(400);
      expect(await late.json()).toMatchObject({ error: 'invalid_grant' });
      expect(graced.acceptsRefreshToken(first.refresh_token)).toBe(true);
    } finally {
      await graced.close();
    }
  });

  it('answers OAuth errors with error and error_description', async () => {
    const cases: [Record<string, string>, string | null, number, string, string][] = [
      [{}, basic, 400, 'unsupported_grant_type', 'grant_type parameter is missing'],
      [{ grant_type: 'password' }, basic, 400, 'unsupported_grant_type', 'grant_type parameter is invalid'],
      [
        { grant_type: 'refresh_token', refresh_token: 'nope' },
        basic,
        400,
        'invalid_grant',
        'Invalid refresh token',
      ],
      [{ grant_type: 'refresh_token' }, basic, 400, 'invalid_request', 'refresh_token must be supplied'],
      [
        { grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN },
        `Basic ${Buffer.from(`${DEMO_CLIENT_ID}:wrong`).toString('base64')}`,
        400,
        'invalid_client',
        'Invalid client secret',
      ],
      [
        { grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN },
        null,
        400,
        'invalid_client',
        'Invalid client',
      ],
      [
        { grant_type: 'client_credentials', client_id: DEMO_CLIENT_ID },
        null,
        400,
        'invalid_client',
        'Invalid client secret',
      ],
    ];
    for (const [fields, auth, status, error, description] of cases) {
      const res = await tokenRequest(fields, auth);
      expect({ status: res.status, body: await res.json() }).toEqual({
        status,
        body: { error, error_description: description },
      });
    }
    expect(emu.stats().tokenErrors).toEqual({
      unsupported_grant_type: 2,
      invalid_grant: 1,
      invalid_request: 1,
      invalid_client: 3,
    });
  });

  it('counts grants by type and the most refreshes in flight at once', async () => {
    const slow = await startEmulator({ tokenLatencyMs: 100 });
    try {
      const post = () =>
        fetch(`${slow.url}/api/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN }),
        });
      await Promise.all([post(), post(), post(), post()]);
      await fetch(`${slow.url}/api/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const stats = slow.stats();
      expect(stats.tokenGrants).toEqual({ refresh_token: 4, authorization_code: 0, client_credentials: 1 });
      expect(stats.tokenRequests).toBe(5);
      expect(stats.maxRefreshesInFlight).toBe(4);
      expect(stats.refreshesInFlight).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it('gives a client-credentials token that user endpoints refuse', async () => {
    const res = await tokenRequest({ grant_type: 'client_credentials' });
    const body = (await res.json()) as Record<string, unknown>;
    // Spotify's client-credentials answer has no scope (and no refresh token).
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    const access_token = String(body.access_token);
    expect((await api('/v1/search?q=light&type=track', { token: access_token })).status).toBe(200);
    const me = await api('/v1/me', { token: access_token });
    expect(me.status).toBe(401);
  });
});

describe('emulator /authorize', () => {
  const authorize = (params: Record<string, string>) =>
    fetch(`${emu.url}/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' });
  const valid = () => ({
    client_id: DEMO_CLIENT_ID,
    response_type: 'code',
    redirect_uri: REDIRECT,
    state: 'abc',
    scope: 'user-read-playback-state',
    code_challenge_method: 'S256',
    code_challenge: createPkcePair().codeChallenge,
  });

  it('shows a consent page for a valid request', async () => {
    const res = await authorize(valid());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('SpotiPi Demo');
    expect(html).toContain('user-read-playback-state');
    expect(html).toContain('value="accept"');
  });

  it('shows an error page, never a redirect, for an unknown client or redirect URI', async () => {
    for (const bad of [
      { client_id: 'other' },
      { redirect_uri: 'http://localhost:5001/callback' },
      { redirect_uri: 'http://192.168.1.5:5001/callback' },
      { redirect_uri: 'not a url' },
    ]) {
      const res = await authorize({ ...valid(), ...bad });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('redirects back with an error for a bad response_type or challenge method', async () => {
    for (const [bad, error] of [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: 'short' }, 'invalid_request'],
    ] as const) {
      const res = await authorize({ ...valid(), ...bad });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('abc');
    }
  });

  it('redirects with access_denied when the user cancels', async () => {
    const res = await fetch(`${emu.url}/authorize`, {
      method: 'POST',
      body: new URLSearchParams({ ...valid(), decision: 'cancel' }),
      redirect: 'manual',
    });
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('lets an authorization code expire after ten minutes', async () => {
    const pkce = createPkcePair();
    const res = await fetch(`${emu.url}/authorize`, {
      method: 'POST',
      body: new URLSearchParams({ ...valid(), code_challenge: pkce.codeChallenge, decision: 'accept' }),
      redirect: 'manual',
    });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    await clock.advance(10 * 60_000 + 1);
    const exchange = await tokenRequest(
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkce.codeVerifier,
        client_id: DEMO_CLIENT_ID,
      },
      null,
    );
    expect(await exchange.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid authorization code',
    });
  });

  it('verifies the PKCE verifier against the S256 challenge', async () => {
    const pkce = createPkcePair();
    expect(codeChallengeS256(pkce.codeVerifier)).toBe(pkce.codeChallenge);
    const approveOnce = async () => {
      const res = await fetch(`${emu.url}/authorize`, {
        method: 'POST',
        body: new URLSearchParams({ ...valid(), code_challenge: pkce.codeChallenge, decision: 'accept' }),
        redirect: 'manual',
      });
      return new URL(res.headers.get('location')!).searchParams.get('code')!;
    };
    const exchange = (code: string, verifier: string) =>
      tokenRequest(
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
          code_verifier: verifier,
          client_id: DEMO_CLIENT_ID,
        },
        null,
      );
    const wrong = await exchange(await approveOnce(), `${pkce.codeVerifier.slice(0, -1)}x`);
    expect(await wrong.json()).toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier was incorrect',
    });
    const right = await exchange(await approveOnce(), pkce.codeVerifier);
    expect(right.status).toBe(200);
    expect(await right.json()).toHaveProperty('refresh_token');
  });
});

describe('emulator Web API auth', () => {
  it('refuses a missing, unknown or expired token with Spotify error bodies and counts them', async () => {
    expect(await (await api('/v1/me', { token: null })).json()).toEqual({
      error: { status: 401, message: 'No token provided' },
    });
    expect(await (await api('/v1/me', { token: 'BQnot-a-token' })).json()).toEqual({
      error: { status: 401, message: 'Invalid access token' },
    });
    await clock.advance(3600_000);
    const expired = await api('/v1/me');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: { status: 401, message: 'The access token expired' } });
    const stats = emu.stats();
    expect(stats.invalidTokensRejected).toBe(1);
    expect(stats.expiredTokensRejected).toBe(1);
    expect(stats.apiCalls['GET /v1/me']).toEqual({ '401': 3 });
  });

  it('accepts a token until the last millisecond of its lifetime', async () => {
    await clock.advance(3600_000 - 1);
    expect((await api('/v1/me')).status).toBe(200);
  });

  it('answers unknown routes with 404 and wrong methods with 405', async () => {
    expect((await api('/v1/nothing-here')).status).toBe(404);
    expect(await (await api('/v1/me', { method: 'DELETE' })).json()).toEqual({
      error: { status: 405, message: 'Method not allowed' },
    });
  });
});

describe('emulator paging', () => {
  it('serves paging objects with Spotify fields and next links that walk every page', async () => {
    const first = (await (await api('/v1/me/playlists')).json()) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual([
      'href',
      'items',
      'limit',
      'next',
      'offset',
      'previous',
      'total',
    ]);
    expect(first).toMatchObject({ limit: 20, offset: 0, previous: null, total: 62 });
    const seen: string[] = [];
    let next: string | null = `${emu.url}/v1/me/playlists?limit=50`;
    let pages = 0;
    while (next) {
      const page = (await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        items: { id: string }[];
        next: string | null;
        previous: string | null;
      };
      seen.push(...page.items.map((i) => i.id));
      if (pages > 0) expect(page.previous).not.toBeNull();
      next = page.next;
      pages++;
    }
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(62);
  });

  it('rejects a limit outside 1..50 or a bad offset with 400', async () => {
    for (const q of ['limit=0', 'limit=51', 'limit=abc', 'limit=2.5']) {
      expect(await (await api(`/v1/me/playlists?${q}`)).json()).toEqual({
        error: { status: 400, message: 'Invalid limit' },
      });
    }
    expect((await api('/v1/me/tracks?offset=-1')).status).toBe(400);
  });

  it('returns an empty last page past the end', async () => {
    const page = (await (await api('/v1/me/playlists?offset=100&limit=10')).json()) as {
      items: unknown[];
      next: string | null;
    };
    expect(page.items).toEqual([]);
    expect(page.next).toBeNull();
  });

  it('serves followed artists with cursor paging', async () => {
    const body = (await (await api('/v1/me/following?type=artist&limit=20')).json()) as {
      artists: { items: { id: string }[]; cursors: { after: string }; next: string; total: number };
    };
    expect(body.artists.items).toHaveLength(20);
    expect(body.artists.total).toBe(27);
    const next = (await (
      await fetch(body.artists.next, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      artists: { items: unknown[]; next: string | null; cursors: { after: string | null } };
    };
    expect(next.artists.items).toHaveLength(7);
    expect(next.artists.next).toBeNull();
    expect(next.artists.cursors.after).toBeNull();
    expect((await api('/v1/me/following')).status).toBe(400);
  });

  it('serves cover art as SVG from its own origin', async () => {
    const me = (await (await api('/v1/me')).json()) as { images: { url: string }[] };
    const art = await fetch(me.images[0]!.url);
    expect(art.headers.get('content-type')).toBe('image/svg+xml');
    expect(await art.text()).toMatch(/^<svg/);
  });
});

describe('emulator playback', () => {
  const state = async () =>
    (await (await api('/v1/me/player')).json()) as {
      is_playing: boolean;
      progress_ms: number;
      item: { id: string; duration_ms: number };
      device: { id: string };
    };
  const put = (path: string, body?: unknown) =>
    api(path, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });

  it('advances progress with the clock while playing and not while paused', async () => {
    expect((await put('/v1/me/player/play')).status).toBe(204);
    await clock.advance(12_345);
    expect((await state()).progress_ms).toBe(12_345);
    expect((await put('/v1/me/player/pause')).status).toBe(204);
    await clock.advance(60_000);
    expect((await state()).progress_ms).toBe(12_345);
  });

  it('moves to the next track when a track ends', async () => {
    await put('/v1/me/player/play');
    const first = await state();
    await clock.advance(first.item.duration_ms + 1_000);
    const after = await state();
    expect(after.item.id).not.toBe(first.item.id);
    expect(after.progress_ms).toBe(1_000);
    expect(after.is_playing).toBe(true);
  });

  it('stops at the end of a context without repeat', async () => {
    const tracks = (await (await api('/v1/me/tracks?limit=2')).json()) as {
      items: { track: { uri: string; duration_ms: number } }[];
    };
    const uris = tracks.items.map((i) => i.track.uri);
    await put('/v1/me/player/play', { uris });
    await clock.advance(tracks.items.reduce((n, i) => n + i.track.duration_ms, 0) + 5_000);
    const s = await state();
    expect(s.is_playing).toBe(false);
    expect(s.progress_ms).toBe(0);
  });

  it('answers 403 Restriction violated when pausing what is already paused', async () => {
    expect(await (await put('/v1/me/player/pause')).json()).toEqual({
      error: { status: 403, message: 'Player command failed: Restriction violated', reason: 'UNKNOWN' },
    });
  });

  it('answers 204 with no playback and 404 NO_ACTIVE_DEVICE for commands', async () => {
    emu.stopPlayback();
    const res = await api('/v1/me/player');
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await (await put('/v1/me/player/pause')).json()).toEqual({
      error: {
        status: 404,
        message: 'Player command failed: No active device found',
        reason: 'NO_ACTIVE_DEVICE',
      },
    });
  });

  it('validates command parameters with 400', async () => {
    expect((await put('/v1/me/player/volume')).status).toBe(400);
    expect((await put('/v1/me/player/volume?volume_percent=101')).status).toBe(400);
    expect((await put('/v1/me/player/shuffle?state=maybe')).status).toBe(400);
    expect((await put('/v1/me/player', {})).status).toBe(400);
    expect((await put('/v1/me/player/play', { context_uri: 'spotify:playlist:doesnotexist' })).status).toBe(
      404,
    );
    const broken = await api('/v1/me/player/play', { method: 'PUT', body: '{"context_uri":' });
    expect(await broken.json()).toEqual({ error: { status: 400, message: 'Error parsing json' } });
    expect((await put('/v1/me/player', { device_ids: ['unknown'] })).status).toBe(404);
  });

  it('drops playback when the active device goes away, and hides the device', async () => {
    const active = (await state()).device.id;
    expect((await admin(`/devices/${active}`, { available: false })).status).toBe(204);
    expect((await api('/v1/me/player')).status).toBe(204);
    const devices = (await (await api('/v1/me/player/devices')).json()) as { devices: { id: string }[] };
    expect(devices.devices.map((d) => d.id)).not.toContain(active);
    expect(devices.devices).toHaveLength(2);
  });
});

describe('emulator faults and admin routes', () => {
  afterEach(() => emu.clearFaults());

  it('hits exactly the next N matching requests with an injected status', async () => {
    expect(
      (
        await admin('/faults', {
          target: 'api',
          kind: 'status',
          status: 503,
          count: 2,
          pathPrefix: '/v1/me/player',
        })
      ).status,
    ).toBe(200);
    expect((await api('/v1/me')).status).toBe(200);
    expect((await api('/v1/me/player/devices')).status).toBe(503);
    expect((await api('/v1/me/player')).status).toBe(503);
    expect((await api('/v1/me/player')).status).toBe(200);
    expect(emu.stats().faultsPending).toBe(0);
  });

  it('sends 429 with Retry-After', async () => {
    await admin('/faults', { target: 'api', kind: 'rate_limit', retryAfterSec: 9 });
    const res = await api('/v1/me');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('9');
  });

  it('filters faults by method', async () => {
    emu.injectFault({ target: 'api', kind: 'status', method: 'PUT' });
    expect((await api('/v1/me/player')).status).toBe(200);
    expect((await api('/v1/me/player/play', { method: 'PUT' })).status).toBe(503);
  });

  it('resets the connection on a reset fault and counts it', async () => {
    emu.injectFault({ target: 'api', kind: 'reset' });
    await expect(api('/v1/me')).rejects.toThrow();
    expect(emu.stats().apiCalls['GET /v1/me']).toEqual({ reset: 1 });
  });

  it('rejects a bad fault spec naming the field', async () => {
    for (const [body, field] of [
      [{ target: 'db', kind: 'status' }, 'target'],
      [{ target: 'api', kind: 'explode' }, 'kind'],
      [{ target: 'api', kind: 'status', count: 0 }, 'count'],
      [{ target: 'api', kind: 'status', status: 200 }, 'status'],
      [{ target: 'api', kind: 'status', colour: 'red' }, 'colour'],
    ] as const) {
      const res = await admin('/faults', body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    }
    const malformed = await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: '{' });
    expect(malformed.status).toBe(400);
    expect(() => emu.injectFault({ target: 'api', kind: 'nope' as 'status' })).toThrow(TypeError);
  });

  it('revokes every grant through the admin route, and resets to the seeded state', async () => {
    expect((await admin('/revoke', {})).status).toBe(204);
    expect((await api('/v1/me')).status).toBe(401);
    const refresh = await tokenRequest({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN });
    expect((await refresh.json()) as object).toMatchObject({ error: 'invalid_grant' });
    expect((await admin('/reset')).status).toBe(204);
    const again = await tokenRequest({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN });
    expect(again.status).toBe(200);
    expect(emu.stats().tokenRequests).toBe(1);
  });

  it('revokes only access tokens when asked', async () => {
    await admin('/revoke', { access_tokens_only: true });
    expect((await api('/v1/me')).status).toBe(401);
    expect(
      (await tokenRequest({ grant_type: 'refresh_token', refresh_token: DEMO_REFRESH_TOKEN })).status,
    ).toBe(200);
  });

  it('serves stats and playback as JSON', async () => {
    await api('/v1/me');
    const stats = (await (await fetch(`${emu.url}/__emulator/stats`)).json()) as { apiCallsTotal: number };
    expect(stats.apiCallsTotal).toBe(1);
    const playback = (await (await fetch(`${emu.url}/__emulator/playback`)).json()) as {
      playback: { isPlaying: boolean };
    };
    expect(playback.playback.isPlaying).toBe(false);
  });
});

describe('emulator options and CLI', () => {
  it('refuses a token lifetime that is not positive', async () => {
    await expect(startEmulator({ tokenLifetimeSec: 0 })).rejects.toThrow(RangeError);
  });

  it('prints the URL and demo credentials when started from the CLI', async () => {
    let out = '';
    const running = await runEmulatorCli({ port: 0, tokenLifetimeSec: 120, write: (t) => (out += t) });
    try {
      expect(out).toContain(`SPOTIFY_API_URL=${running.url}`);
      expect(out).toContain(`SPOTIFY_CLIENT_ID=${DEMO_CLIENT_ID}`);
      expect(out).toContain(`SPOTIFY_REFRESH_TOKEN=${DEMO_REFRESH_TOKEN}`);
      expect(out).toContain('120 s');
      expect((await fetch(`${running.url}/__emulator/stats`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});

describe('emulator Development Mode shapes (February 2026)', () => {
  let dev: RunningEmulator;
  let devToken: string;
  beforeAll(async () => {
    dev = await startEmulator({ clock: new ManualClock(), developmentMode: true });
    devToken = dev.issueAccessToken().accessToken;
  });
  afterAll(async () => {
    await dev.close();
  });
  const get = (path: string) =>
    fetch(`${dev.url}${path}`, { headers: { authorization: `Bearer ${devToken}` } });

  it('links playlist entries as items, sends each track under item, and refuses the old /tracks route', async () => {
    const page = (await (await get('/v1/me/playlists?limit=1')).json()) as {
      items: { id: string; tracks: unknown; items: { href: string; total: number } }[];
    };
    const playlist = page.items[0]!;
    expect(playlist.tracks).toBeNull();
    expect(playlist.items.href).toBe(`${dev.url}/v1/playlists/${playlist.id}/items`);
    const entries = (await (await get(`/v1/playlists/${playlist.id}/items?limit=2`)).json()) as {
      items: Record<string, unknown>[];
      total: number;
    };
    expect(entries.total).toBe(playlist.items.total);
    expect(entries.items[0]).toHaveProperty('item.type', 'track');
    expect(entries.items[0]).not.toHaveProperty('track');
    const old = await get(`/v1/playlists/${playlist.id}/tracks`);
    expect(old.status).toBe(403);
    expect(await old.json()).toEqual({ error: { status: 403, message: 'Forbidden' } });
    const full = (await (await get(`/v1/playlists/${playlist.id}`)).json()) as Record<string, unknown>;
    expect(full.tracks).toBeNull();
    expect(full).toHaveProperty('items.total', playlist.items.total);
  });

  it('leaves the removed profile fields out and refuses the other-user endpoints', async () => {
    const me = (await (await get('/v1/me')).json()) as Record<string, unknown>;
    for (const field of ['country', 'email', 'explicit_content', 'followers', 'product']) {
      expect(me).not.toHaveProperty(field);
    }
    expect((await get(`/v1/users/${String(me.id)}`)).status).toBe(403);
    expect((await get(`/v1/users/${String(me.id)}/playlists`)).status).toBe(403);
  });

  it('caps search pages at 10 results with a default of 5', async () => {
    const fives = (await (await get('/v1/search?q=a&type=track')).json()) as { tracks: { limit: number } };
    expect(fives.tracks.limit).toBe(5);
    expect((await get('/v1/search?q=a&type=track&limit=10')).status).toBe(200);
    const over = await get('/v1/search?q=a&type=track&limit=11');
    expect(over.status).toBe(400);
    expect(await over.json()).toEqual({ error: { status: 400, message: 'Invalid limit' } });
  });
});
