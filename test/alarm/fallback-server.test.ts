/**
 * The fallback sound through the real server on a live clock: an alarm whose speaker never
 * answers rings the generated chime through the configured player command (a fake that records
 * its invocations) after SPOTIPI_FALLBACK_AFTER_SECONDS, shows `fallback_sound` in the API, and
 * falls silent when stopped.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { tempDir, testConfig } from '../server/helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fakePlayer(): { script: string; calls: () => string[] } {
  const dir = tempDir('spotipi-fake-player-');
  const log = join(dir, 'invocations.log');
  const script = join(dir, 'player.sh');
  writeFileSync(script, `#!/bin/sh\necho "$@" >> "${log}"\nsleep 0.3\n`);
  chmodSync(script, 0o755);
  return {
    script,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
  };
}

interface View {
  state: string;
  fallback_sound: boolean;
  last_result: { status: string; reason?: string } | null;
}

describe('the fallback sound through the server', () => {
  it('rings the chime when the speaker never plays, shows it in the API, and stops with the alarm', async () => {
    const stateDir = tempDir();
    const player = fakePlayer();
    // Due a minute ago and not yet handled: it rings as soon as the server is up.
    const now = Date.now();
    const due = new Date(now - 60_000);
    const hhmm = `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')}`;
    writeFileSync(
      join(stateDir, 'alarms.json'),
      JSON.stringify({
        version: 1,
        alarms: [
          {
            spec: {
              id: 'wake',
              label: 'Wake',
              time: hhmm,
              days: [],
              timezone: 'UTC',
              context_uri: 'liked',
              shuffle: false,
              // A speaker Spotify has never listed: it is tried for the device-fallback wait.
              device: 'Garage speaker',
              volume: 50,
              fade_in_seconds: 0,
              enabled: true,
            },
            runtime: { anchorAt: now - 5 * 60_000 },
          },
        ],
      }),
    );
    server = await startServer(
      testConfig({
        PORT: '0',
        SPOTIPI_STATE_DIR: stateDir,
        SPOTIPI_FALLBACK_COMMAND: `${player.script} -q`,
        SPOTIPI_FALLBACK_AFTER_SECONDS: '10',
        SPOTIPI_DEVICE_FALLBACK_SECONDS: '600',
      }),
      { logger: createLogger('silent'), webRoot: tempDir() },
    );
    const url = server.url;
    const view = async () => (await (await fetch(`${url}/api/alarms/wake`)).json()) as View;

    await expect.poll(() => player.calls().length, { timeout: 30_000, interval: 200 }).toBeGreaterThan(0);
    expect(player.calls()[0]).toBe(`-q ${join(stateDir, 'fallback-chime.wav')}`);
    const ringing = await view();
    expect(ringing.fallback_sound).toBe(true);
    expect(ringing.last_result?.status).toBe('fallback_sound');
    expect(ringing.last_result?.reason).toMatch(/Spotify had not started playing 10 s after the alarm time/);
    // It loops.
    await expect.poll(() => player.calls().length, { timeout: 15_000, interval: 200 }).toBeGreaterThan(1);

    const stopped = await fetch(`${url}/api/alarms/wake/stop`, { method: 'POST' });
    expect(stopped.status).toBe(200);
    expect((await view()).fallback_sound).toBe(false);
    const count = player.calls().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(player.calls().length).toBe(count);
  });
});
