import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { LogCapture, tempDir } from './helpers.js';

/** A parsed JSON answer, read loosely in assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are checked by the assertions themselves
type Json = any;

let servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** Starts the real server in demo mode (default alarm wiring) on `stateDir`. */
async function start(
  stateDir: string,
  env: Record<string, string> = {},
  files: { dotenv?: string } = {},
): Promise<RunningServer> {
  const cwd = tempDir();
  if (files.dotenv) await writeFile(join(cwd, '.env'), files.dotenv);
  const config = loadConfig({
    env: { SPOTIPI_STATE_DIR: stateDir, PORT: '0', HOST: '127.0.0.1', ...env },
    cwd,
  });
  const server = await startServer(config, { logger: createLogger('warn', new LogCapture()) });
  servers.push(server);
  return server;
}

async function call(
  server: RunningServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe('GET/PATCH /api/settings', () => {
  it('shows the defaults with their source, saves a change to settings.json (0600) and shows it as set', async () => {
    const dir = tempDir();
    const server = await start(dir);
    const before = await call(server, 'GET', '/api/settings');
    expect(before.status).toBe(200);
    expect(before.json.settings).toMatchObject({
      theme: 'system',
      alarm_volume: 50,
      snooze_minutes: 9,
      alarm_grace_minutes: 10,
      library_cache_seconds: 60,
    });
    expect(before.json.fields.snooze_minutes).toEqual({
      source: 'default',
      locked: false,
      env: 'SPOTIPI_SNOOZE_MINUTES',
    });

    const patched = await call(server, 'PATCH', '/api/settings', { snooze_minutes: 15, theme: 'black' });
    expect(patched.status).toBe(200);
    expect(patched.json.settings).toMatchObject({ snooze_minutes: 15, theme: 'black' });
    expect(patched.json.fields.snooze_minutes.source).toBe('settings');
    const file = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
    expect(file).toEqual({ snooze_minutes: 15, theme: 'black' });
    expect((await stat(join(dir, 'settings.json'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a bad value with 400 naming the field, and changes nothing (all or nothing)', async () => {
    const dir = tempDir();
    const server = await start(dir);
    for (const [body, field] of [
      [{ alarm_volume: 50, snooze_minutes: 0 }, 'snooze_minutes'],
      [{ alarm_volume: 101 }, 'alarm_volume'],
      [{ alarm_volume: '50' }, 'alarm_volume'],
      [{ theme: 'pink' }, 'theme'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ clock_dim_from: '25:00' }, 'clock_dim_from'],
      [{ snoze_minutes: 5 }, 'snoze_minutes'],
    ] as const) {
      const res = await call(server, 'PATCH', '/api/settings', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.field).toBe(field);
      expect(res.json.error.message).toContain(field);
    }
    await expect(stat(join(dir, 'settings.json'))).rejects.toThrow();
    expect((await call(server, 'GET', '/api/settings')).json.settings.alarm_volume).toBe(50);
  });

  it('lets the environment and .env win: the field is locked with its source and a PATCH of it is refused', async () => {
    const dir = tempDir();
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ snooze_minutes: 20, library_cache_seconds: 5 }),
    );
    const server = await start(
      dir,
      { SPOTIPI_SNOOZE_MINUTES: '7' },
      { dotenv: 'LIBRARY_CACHE_SECONDS=120\n' },
    );
    const view = (await call(server, 'GET', '/api/settings')).json;
    expect(view.settings.snooze_minutes).toBe(7);
    expect(view.fields.snooze_minutes).toEqual({
      source: 'environment',
      locked: true,
      env: 'SPOTIPI_SNOOZE_MINUTES',
    });
    expect(view.settings.library_cache_seconds).toBe(120);
    expect(view.fields.library_cache_seconds).toMatchObject({ source: '.env file', locked: true });
    expect(server.config.libraryCacheMs).toBe(120_000);

    const refused = await call(server, 'PATCH', '/api/settings', { snooze_minutes: 12 });
    expect(refused.status).toBe(409);
    expect(refused.json.error.field).toBe('snooze_minutes');
    expect(refused.json.error.message).toContain('SPOTIPI_SNOOZE_MINUTES');
  });

  it('keeps fields it does not know in settings.json and survives a restart', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ from_a_newer_version: { x: 1 } }));
    const first = await start(dir);
    await call(first, 'PATCH', '/api/settings', { alarm_volume: 35, clock_dim_from: '23:30' });
    await first.close();

    const second = await start(dir);
    const view = (await call(second, 'GET', '/api/settings')).json;
    expect(view.settings).toMatchObject({ alarm_volume: 35, clock_dim_from: '23:30' });
    const file = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
    expect(file.from_a_newer_version).toEqual({ x: 1 });
  });

  it('applies changes to the running server: new alarms, the library cache and null resets to the default', async () => {
    const dir = tempDir();
    const server = await start(dir);
    await call(server, 'PATCH', '/api/settings', {
      alarm_volume: 35,
      alarm_fade_in_seconds: 20,
      timezone: 'Asia/Tokyo',
      library_cache_seconds: 0,
    });
    const created = await call(server, 'POST', '/api/alarms', {
      time: '07:00',
      context_uri: 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M',
    });
    expect(created.status).toBe(201);
    const alarm = created.json.alarm ?? created.json;
    expect(alarm).toMatchObject({ volume: 35, fade_in_seconds: 20, timezone: 'Asia/Tokyo' });
    expect(server.config.libraryCacheMs).toBe(0);
    // Two library loads with a zero cache time both go to Spotify.
    expect((await call(server, 'GET', '/api/music-library')).json.cached).toBe(false);
    expect((await call(server, 'GET', '/api/music-library')).json.cached).toBe(false);

    const reset = await call(server, 'PATCH', '/api/settings', { library_cache_seconds: null });
    expect(reset.json.settings.library_cache_seconds).toBe(60);
    expect(reset.json.fields.library_cache_seconds.source).toBe('default');
    expect(server.config.libraryCacheMs).toBe(60_000);
  });
});

describe('server messages in the user language', () => {
  it('answers validation errors in German for Accept-Language: de and ?lang=de, English otherwise', async () => {
    const server = await start(tempDir());
    const de = await call(
      server,
      'PATCH',
      '/api/settings',
      { alarm_volume: 300 },
      { 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' },
    );
    expect(de.json.error.message).toBe('alarm_volume: erwartet eine ganze Zahl zwischen 0 und 100');
    const query = await call(server, 'PATCH', '/api/settings?lang=de', { alarm_volume: 300 });
    expect(query.json.error.message).toBe(de.json.error.message);
    const en = await call(
      server,
      'PATCH',
      '/api/settings',
      { alarm_volume: 300 },
      { 'accept-language': 'fr, en;q=0.5' },
    );
    expect(en.json.error.message).toBe('alarm_volume: expected a whole number between 0 and 100');

    const notFound = await call(server, 'GET', '/api/nothing-here', undefined, { 'accept-language': 'de' });
    expect(notFound.status).toBe(404);
    const badJson = await fetch(`${server.url}/api/settings?lang=de`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect((await badJson.json()).error.message).toBe('Der Inhalt der Anfrage ist kein gültiges JSON.');

    // The paste-back login (the German page's reauth box) answers in German too.
    const stale = await call(
      server,
      'POST',
      '/api/login/complete',
      { redirect_url: 'http://127.0.0.1:5001/callback?code=abc&state=not-started-here' },
      { 'accept-language': 'de' },
    );
    expect(stale.status).toBe(400);
    expect(stale.json.error).toEqual({
      status: 400,
      field: 'redirect_url',
      message: 'Diese Anmeldung wurde nicht hier begonnen oder ist abgelaufen; beginne erneut unter /login.',
    });
  });
});
