/**
 * One end-to-end wake-up per device behaviour on the live clock: an alarm at the next minute,
 * the real scheduler, client and token cache, the emulator over loopback. The four run
 * concurrently, so the file takes about one to two minutes.
 */
import { describe, expect, it } from 'vitest';
import type { AlarmView } from '../../src/alarm/scheduler.js';
import { AlarmScheduler } from '../../src/alarm/scheduler.js';
import { RecordingLogger, tempStateDir } from '../../src/alarm/test-helpers.js';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { IDLE_DEMO_SPEAKER } from '../../src/emulator/device-behaviour.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { TokenCache } from '../../src/token/token-cache.js';

/** "HH:MM" (UTC) of the next minute at least 8 s away, and its epoch ms. */
function nextMinute(): { time: string; at: number } {
  let at = Math.ceil(Date.now() / 60_000) * 60_000;
  if (at - Date.now() < 8_000) at += 60_000;
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  return { time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`, at };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Runs one live wake-up: `prepare` sets the emulator up; resolves with the view once it rang (or 150 s passed). */
async function wake(
  body: Record<string, unknown>,
  prepare: (emu: RunningEmulator, alarmAt: number) => Promise<void> | void,
): Promise<{
  view: AlarmView;
  emu: RunningEmulator;
  soundAfterMs: number | null;
  close: () => Promise<void>;
}> {
  const emu = await startEmulator();
  const { dir, cleanup } = await tempStateDir();
  const accounts = new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });
  const cache = new TokenCache({ refresh: accounts.refreshFn(), seedRefreshToken: DEMO_REFRESH_TOKEN });
  const api = new SpotifyWebApi({ baseUrl: emu.url, tokens: cache });
  const s = new AlarmScheduler({
    stateDir: dir,
    player: api,
    defaultTimezone: 'UTC',
    logger: new RecordingLogger(),
    warmToken: () => cache.getAccessToken(),
    retryBaseMs: 1_000,
    fadeStepMs: 2_000,
  });
  await s.start();
  const close = async () => {
    await s.close();
    await cache.close?.();
    await emu.close();
    await cleanup();
  };
  const { time, at } = nextMinute();
  const own = emu.issueAccessToken().accessToken;
  const phone = new SpotifyWebApi({
    baseUrl: emu.url,
    tokens: { getAccessToken: async () => own, invalidate() {} },
  });
  const uri = (await phone.getAllMyPlaylists())[0]!.uri;
  const created = await s.create({ time, context_uri: uri, ...body });
  await prepare(emu, at);
  let soundAfterMs: number | null = null;
  const deadline = at + 90_000;
  while (Date.now() < deadline) {
    if (soundAfterMs === null && emu.playback()?.isPlaying && Date.now() >= at)
      soundAfterMs = Date.now() - at;
    const v = s.get(created.id);
    if (soundAfterMs !== null && v.state === 'ringing' && (await s.idle().then(() => true))) break;
    await sleep(250);
  }
  await s.idle();
  return { view: s.get(created.id), emu, soundAfterMs, close };
}

describe.concurrent('live wake-ups, one per device behaviour (alarm at the next minute)', () => {
  it('a volume-locked TV plays at its own volume', { timeout: 180_000 }, async () => {
    const r = await wake({ device: 'Living Room TV', volume: 60, fade_in_seconds: 10 }, () => {});
    try {
      expect(r.soundAfterMs).not.toBeNull();
      expect(r.view.last_result).toMatchObject({
        status: 'fired',
        device: 'Living Room TV',
        volume_controllable: false,
      });
      expect(r.emu.deviceVolume('Living Room TV')).toBe(30);
    } finally {
      await r.close();
    }
  });

  it('a speaker with lagging, 10 %-rounded volume reports still reaches the target', {
    timeout: 180_000,
  }, async () => {
    const r = await wake({ device: 'Kitchen Speaker', volume: 70, fade_in_seconds: 12 }, (emu) =>
      emu.configureDevice('Kitchen Speaker', { volumeLagMs: 3_000, volumeStepPercent: 10 }),
    );
    try {
      expect(r.view.last_result).toMatchObject({ status: 'fired', device: 'Kitchen Speaker', volume: 70 });
      expect(r.emu.deviceVolume('Kitchen Speaker')).toBe(70);
    } finally {
      await r.close();
    }
  });

  it('an idle speaker, absent from the device list, is woken by its remembered id', {
    timeout: 180_000,
  }, async () => {
    const r = await wake({ device: IDLE_DEMO_SPEAKER.name, volume: 40 }, async (emu) => {
      // Seen once while awake (the alarm was saved then), idle by the alarm time.
      emu.setDeviceIdle(IDLE_DEMO_SPEAKER.id, false);
      await sleep(1_000);
      emu.setDeviceIdle(IDLE_DEMO_SPEAKER.id, true);
    });
    try {
      expect(r.view.last_result).toMatchObject({ status: 'fired', device: IDLE_DEMO_SPEAKER.name });
      expect(r.emu.playback()?.deviceId).toBe(IDLE_DEMO_SPEAKER.id);
    } finally {
      await r.close();
    }
  });

  it('a 20-second Web API outage at the alarm time delays the music but does not lose it', {
    timeout: 180_000,
  }, async () => {
    const r = await wake({ volume: 40 }, async (emu, at) => {
      setTimeout(() => emu.startOutage({ forMs: 20_000 }), Math.max(0, at - 2_000 - Date.now()));
    });
    try {
      expect(r.view.last_result).toMatchObject({ status: 'fired' });
      expect(r.soundAfterMs).toBeGreaterThanOrEqual(17_000);
    } finally {
      await r.close();
    }
  });
});
