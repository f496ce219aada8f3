/**
 * Preflight readiness through the real server (demo mode, embedded emulator): `/readyz` and
 * `/metrics` tell an alarm that will not play before its morning comes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { tempDir, testConfig } from '../server/helpers.js';

let server: RunningServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<RunningServer> {
  server = await startServer(testConfig({ PORT: '0', SPOTIPI_TIMEZONE: 'UTC' }), {
    logger: createLogger('silent'),
    webRoot: tempDir(),
  });
  return server;
}

async function json(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function send(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

async function readinessMetric(url: string, id: string): Promise<string | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return new RegExp(`^spotipi_alarm_readiness\\{alarm="${id}"\\} (\\d)$`, 'm').exec(text)?.[1];
}

describe('alarm readiness in /readyz and /metrics', () => {
  it('is ready with a checked alarm, and 503 naming the alarm and why once its playlist is gone', async () => {
    const s = await start();
    const lists = (await json(`${s.url}/api/music-library`)).body.playlists as { uri: string }[];
    const created = await json(
      `${s.url}/api/alarms`,
      send('POST', { time: '07:00', context_uri: lists[0]!.uri }),
    );
    const id = created.body.id as string;
    await expect.poll(() => readinessMetric(s.url, id), { timeout: 15_000 }).toBe('0');
    // The alarm itself carries its readiness in the API.
    expect((await json(`${s.url}/api/alarms/${id}`)).body.readiness).toMatchObject({
      status: 'ok',
      reasons: [],
    });
    const ready = await json(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.alarms).toEqual({ ok: 1, warning: 0, failing: 0, unchecked: 0 });

    // Edited to music that does not exist: checked again at once, and the server says so.
    await json(
      `${s.url}/api/alarms/${id}`,
      send('PATCH', { context_uri: 'spotify:playlist:gone0000000000000000' }),
    );
    await expect.poll(() => readinessMetric(s.url, id), { timeout: 15_000 }).toBe('2');
    const failing = await json(`${s.url}/readyz`);
    expect(failing.status).toBe(503);
    expect(failing.body.reason).toBe(
      'Your 07:00 alarm will fail: The playlist to play no longer exists on Spotify (spotify:playlist:gone0000000000000000)',
    );
    expect(failing.body.alarms).toMatchObject([{ id, time: '07:00', readiness: { status: 'failing' } }]);

    // Disabled alarms do not count.
    await json(`${s.url}/api/alarms/${id}`, send('PATCH', { enabled: false }));
    await expect.poll(async () => (await fetch(`${s.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    expect(await readinessMetric(s.url, id)).toBeUndefined();
  });

  it('says an alarm will fail when the Spotify login was revoked, with the login URL', async () => {
    const s = await start();
    const created = await json(`${s.url}/api/alarms`, send('POST', { time: '06:30', context_uri: 'liked' }));
    const id = created.body.id as string;
    await expect.poll(() => readinessMetric(s.url, id), { timeout: 15_000 }).toBe('0');
    s.emulator!.revokeRefreshTokens();
    await fetch(`${s.url}/api/token-cache/refresh`, { method: 'POST' });
    await json(`${s.url}/api/alarms/${id}`, send('PATCH', { time: '06:45' }));
    await expect.poll(() => readinessMetric(s.url, id), { timeout: 15_000 }).toBe('2');
    const failing = await json(`${s.url}/readyz`);
    expect(failing.status).toBe(503);
    expect(failing.body.login_url).toBe('/login');
  });
});
