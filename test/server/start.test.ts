import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { LogCapture, tempDir, testConfig } from './helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startServer in demo mode', () => {
  it('starts the embedded emulator, says DEMO in the log and /healthz, and serves Spotify routes from it', async () => {
    const logs = new LogCapture();
    const config = testConfig({ PORT: '0' });
    server = await startServer(config, { logger: createLogger('info', logs), webRoot: tempDir() });
    expect(server.emulator).toBeDefined();
    expect(logs.text).toContain('DEMO MODE');

    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { mode: string; status: string };
    expect(health).toMatchObject({ status: 'ok', mode: 'demo' });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const devices = (await (await fetch(`${server.url}/api/devices`)).json()) as { devices: unknown[] };
    expect(devices.devices).toHaveLength(3);
    const status = (await (await fetch(`${server.url}/api/token-cache/status`)).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({ mode: 'demo', state: 'valid', store: { kind: 'memory' } });
  });

  it('gives demo tokens the lifetime SPOTIPI_DEMO_TOKEN_LIFETIME_SECONDS asks for', async () => {
    server = await startServer(testConfig({ PORT: '0', SPOTIPI_DEMO_TOKEN_LIFETIME_SECONDS: '120' }), {
      logger: createLogger('silent', new LogCapture()),
      webRoot: tempDir(),
    });
    expect(server.emulator!.issueAccessToken().expiresIn).toBe(120);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as {
      time_until_expiry_minutes: number;
    };
    expect(ready.time_until_expiry_minutes).toBeLessThanOrEqual(2);
  });

  it('runs the demo on the shapes a self-registered (Development Mode) Spotify app gets, track counts included', async () => {
    server = await startServer(testConfig({ PORT: '0' }), {
      logger: createLogger('silent', new LogCapture()),
      webRoot: tempDir(),
    });
    const { accessToken } = server.emulator!.issueAccessToken();
    const old = await fetch(`${server.emulator!.url}/v1/users/spotipi-demo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(old.status).toBe(403);
    const library = (await (await fetch(`${server.url}/api/music-library`)).json()) as {
      playlists: { track_count: number | null }[];
    };
    expect(library.playlists.length).toBeGreaterThan(50);
    expect(library.playlists.every((p) => typeof p.track_count === 'number' && p.track_count > 0)).toBe(true);
  });

  it('wires the alarm scheduler and sleep timer into the app, persisted in the state dir', async () => {
    const stateDir = tempDir();
    server = await startServer(
      testConfig({ PORT: '0', SPOTIPI_STATE_DIR: stateDir, SPOTIPI_TIMEZONE: 'Europe/Berlin' }),
      {
        logger: createLogger('silent'),
        webRoot: tempDir(),
      },
    );
    const created = await fetch(`${server.url}/api/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        time: '07:30',
        days: ['mon'],
        context_uri: 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M',
      }),
    });
    expect(created.status).toBe(201);
    const next = (await (await fetch(`${server.url}/api/alarms/next`)).json()) as {
      alarm: { time: string; timezone: string } | null;
    };
    expect(next.alarm).toMatchObject({ time: '07:30', timezone: 'Europe/Berlin' });
    expect((await fetch(`${server.url}/api/sleep`)).status).toBe(200);
    const bad = await fetch(`${server.url}/api/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ time: '25:00', context_uri: 'spotify:playlist:x' }),
    });
    expect(bad.status).toBe(400);
    expect(readFileSync(join(stateDir, 'alarms.json'), 'utf8')).toContain('07:30');
  });

  it("rewrites the emulator's cover-art URLs to this server and serves the art", async () => {
    server = await startServer(testConfig({ PORT: '0' }), {
      logger: createLogger('silent'),
      webRoot: tempDir(),
    });
    const emulatorUrl = server.emulator?.url ?? '';
    const text = await (await fetch(`${server.url}/api/music-library`)).text();
    expect(text).not.toContain(`${emulatorUrl}/__emulator/art/`);
    const library = JSON.parse(text) as { playlists: { image: string }[] };
    const image = library.playlists[0]?.image ?? '';
    expect(image).toMatch(/^\/__emulator\/art\//);
    const art = await fetch(`${server.url}${image}`);
    expect(art.status).toBe(200);
    expect(art.headers.get('content-type')).toMatch(/svg/);
  });

  it('serves web/index.html at / when the web UI exists', async () => {
    const web = tempDir();
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>UI</title><p>the real ui</p>');
    mkdirSync(join(web, 'js'));
    writeFileSync(join(web, 'js', 'app.js'), 'console.log(1)');
    server = await startServer(testConfig({ PORT: '0' }), { logger: createLogger('silent'), webRoot: web });
    const res = await fetch(`${server.url}/`);
    expect(await res.text()).toContain('the real ui');
    const js = await fetch(`${server.url}/js/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  });

  it('warns when bound to a non-loopback address without a password', async () => {
    const logs = new LogCapture();
    server = await startServer(testConfig({ PORT: '0', HOST: '0.0.0.0' }), {
      logger: createLogger('info', logs),
      webRoot: tempDir(),
    });
    expect(logs.text).toContain('without a password');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('finishes in-flight requests on close, then refuses new connections', async () => {
    const logs = new LogCapture();
    server = await startServer(testConfig({ PORT: '0' }), {
      logger: createLogger('info', logs),
      webRoot: tempDir(),
    });
    const running = server;
    await fetch(`${running.url}/api/devices`);
    running.emulator?.injectFault({
      target: 'api',
      kind: 'delay',
      delayMs: 400,
      pathPrefix: '/v1/me/player/devices',
    });
    const inFlight = fetch(`${running.url}/api/devices`);
    await new Promise((r) => setTimeout(r, 100));
    const closing = running.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    await closing;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
    expect(logs.text).toContain('stopped');
    server = undefined;
  });

  it('cuts requests that outlast the shutdown timeout', async () => {
    server = await startServer(testConfig({ PORT: '0', SHUTDOWN_TIMEOUT_SECONDS: '0.2' }), {
      logger: createLogger('silent'),
      webRoot: tempDir(),
    });
    const running = server;
    await fetch(`${running.url}/api/devices`);
    running.emulator?.injectFault({
      target: 'api',
      kind: 'delay',
      delayMs: 3000,
      pathPrefix: '/v1/me/player/devices',
    });
    const inFlight = fetch(`${running.url}/api/devices`).then(
      (r) => r.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await running.close();
    expect(performance.now() - started).toBeLessThan(2500);
    expect(await inFlight).toBe('cut');
    server = undefined;
  });
});
