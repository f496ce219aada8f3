/** Starts the real SpotiPi server in demo mode (embedded emulator) on a free port with a temp state dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlarmScheduler } from '../../src/alarm/scheduler.js';
import { SleepTimer } from '../../src/alarm/sleep-timer.js';
import { loadConfig } from '../../src/config/index.js';
import { alarmRoutes } from '../../src/server/routes/alarms.js';
import { sleepRoutes } from '../../src/server/routes/sleep.js';
import { type RunningServer, type StartOptions, startServer } from '../../src/server/start.js';
import type { Clock } from '../../src/token/types.js';
import { builtWebRoot } from './web-module.js';

export interface DemoServer {
  server: RunningServer;
  /** Base URL of the app, e.g. http://127.0.0.1:40123 */
  url: string;
  /** Base URL of the embedded Spotify emulator (its /__emulator admin routes steer faults). */
  emulatorUrl: string;
  stop(): Promise<void>;
}

/** A SpotiPi server started by the tests, in whichever mode its settings give. */
export interface UiServer {
  server: RunningServer;
  url: string;
  stop(): Promise<void>;
}

/** Starts SpotiPi in demo mode serving this repo's web/ folder, built as for production. */
export async function startDemoServer(
  options: Parameters<typeof startUiServer>[0] = {},
): Promise<DemoServer> {
  const started = await startUiServer(options);
  const emulator = started.server.emulator;
  if (!emulator) {
    await started.stop();
    throw new Error('expected demo mode with the embedded emulator');
  }
  return { ...started, emulatorUrl: emulator.url };
}

/**
 * Starts SpotiPi serving the built web/ with the alarm scheduler and sleep timer: demo mode unless
 * `env` names a Spotify app (e.g. one on an emulator the test started).
 */
export async function startUiServer(
  options: Omit<StartOptions, 'webRoot' | 'plugins' | 'onClose'> & {
    alarmClock?: Clock;
    /** Extra settings, e.g. SPOTIPI_PASSWORD. */
    env?: Record<string, string>;
  } = {},
): Promise<UiServer> {
  const { alarmClock, env, ...startOptions } = options;
  const stateDir = await mkdtemp(join(tmpdir(), 'spotipi-ui-'));
  const config = loadConfig({
    env: { SPOTIPI_STATE_DIR: stateDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    cwd: stateDir,
  });
  const stoppers: (() => Promise<void>)[] = [];
  const server = await startServer(config, {
    ...startOptions,
    // The production build of web/ (one bundle, hashed names), as `npm run build` makes it.
    webRoot: await builtWebRoot(),
    // The alarm scheduler and sleep timer drive the same (emulated) Spotify as the routes.
    plugins: async (parts) => {
      const scheduler = new AlarmScheduler({
        stateDir,
        player: parts.spotify,
        defaultTimezone: 'Europe/Berlin',
        ...(alarmClock ? { clock: alarmClock } : {}),
        warmToken: () => parts.tokenCache.getAccessToken(),
      });
      const sleepTimer = new SleepTimer({ stateDir, player: parts.spotify });
      await scheduler.start();
      await sleepTimer.start();
      stoppers.push(
        () => scheduler.close(),
        () => sleepTimer.close(),
      );
      return [
        { plugin: alarmRoutes, options: { scheduler } },
        { plugin: sleepRoutes, options: { sleepTimer } },
      ];
    },
    onClose: async () => {
      for (const stop of stoppers) await stop();
    },
  });
  return {
    server,
    url: server.url,
    stop: async () => {
      await server.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Sends a JSON request to the emulator's admin API (faults, playback reset, revocation). */
export async function emulatorAdmin(
  demo: DemoServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<void> {
  const res = await fetch(`${demo.emulatorUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`emulator ${method} ${path}: ${res.status} ${await res.text()}`);
}

/** GETs JSON from the app (as a script would: no Origin header). */
export async function getJson<T>(demo: DemoServer, path: string): Promise<T> {
  const res = await fetch(`${demo.url}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Creates a one-off alarm (Liked Songs, no fade, Europe/Berlin) two minutes after `now` on the
 * alarm clock's time, so a test advancing that clock by three minutes makes it ring.
 */
export async function createAlarmInTwoMinutes(demo: DemoServer, now: number): Promise<Response> {
  const time = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'Europe/Berlin',
  }).format(new Date(now + 2 * 60_000));
  return fetch(`${demo.url}/api/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      time,
      label: 'Wake',
      context_uri: 'liked',
      fade_in_seconds: 0,
      timezone: 'Europe/Berlin',
    }),
  });
}
