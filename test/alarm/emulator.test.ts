/**
 * Alarms and the sleep timer driving the real Spotify client against the emulator over loopback,
 * with the real token cache. The scheduler runs on a virtual clock; HTTP runs in real time, so
 * the helpers below step virtual time and wait for the HTTP calls each step starts.
 */
import { setImmediate as turn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmPlayer } from '../../src/alarm/player.js';
import { AlarmScheduler } from '../../src/alarm/scheduler.js';
import { SleepTimer } from '../../src/alarm/sleep-timer.js';
import { RecordingLogger, tempStateDir } from '../../src/alarm/test-helpers.js';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { TokenCache } from '../../src/token/token-cache.js';

/**
 * Delegates to the real client and counts calls in flight, so a test can wait until the
 * scheduler's HTTP work for one virtual-time step has finished. Typed as AlarmPlayer: this
 * also proves SpotifyWebApi satisfies the port without an adapter.
 */
class TrackedPlayer implements AlarmPlayer {
  private readonly inflight = new Set<Promise<unknown>>();
  readonly volumes: number[] = [];
  constructor(private readonly api: AlarmPlayer) {}
  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }
  /** Resolves once no call is in flight and continuations have run. */
  async quiet(): Promise<void> {
    for (;;) {
      for (let i = 0; i < 5; i++) await turn();
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }
  getDevices = () => this.track(this.api.getDevices());
  transferPlayback = (id: string, play?: boolean) => this.track(this.api.transferPlayback(id, play));
  setVolume = (pct: number, id?: string) => {
    this.volumes.push(pct);
    return this.track(this.api.setVolume(pct, id));
  };
  play = (req: Parameters<AlarmPlayer['play']>[0]) => this.track(this.api.play(req));
  setShuffle = (on: boolean, id?: string) => this.track(this.api.setShuffle(on, id));
  pause = (id?: string) => this.track(this.api.pause(id));
  getPlaybackState = () => this.track(this.api.getPlaybackState());
  getCurrentUser = () => this.track(this.api.getCurrentUser!());
}

const MIN = 60_000;
let emu: RunningEmulator;
let clock: ManualClock;
let cache: TokenCache;
let api: SpotifyWebApi;
/** Another app of the same user (a phone), with its own token: not the scheduler's cache. */
let phone: SpotifyWebApi;
let player: TrackedPlayer;
let logger: RecordingLogger;
let dir: string;
let cleanup: () => Promise<void>;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  emu = await startEmulator();
  ({ dir, cleanup } = await tempStateDir());
  clock = new ManualClock();
  logger = new RecordingLogger();
  const accounts = new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });
  // The cache and client run on real time (HTTP is real); only the scheduler's time is virtual.
  cache = new TokenCache({ refresh: accounts.refreshFn(), seedRefreshToken: DEMO_REFRESH_TOKEN });
  api = new SpotifyWebApi({ baseUrl: emu.url, tokens: cache });
  player = new TrackedPlayer(api);
  const own = emu.issueAccessToken().accessToken;
  phone = new SpotifyWebApi({
    baseUrl: emu.url,
    tokens: { getAccessToken: async () => own, invalidate() {} },
  });
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await cache.close?.();
  await emu.close();
  await cleanup();
});

async function scheduler(extra: Partial<ConstructorParameters<typeof AlarmScheduler>[0]> = {}) {
  const s = new AlarmScheduler({
    stateDir: dir,
    player,
    defaultTimezone: 'Europe/Berlin',
    clock,
    logger,
    warmToken: () => cache.getAccessToken(),
    retryBaseMs: 1_000,
    retryForMs: 30_000,
    fadeStepMs: 2_000,
    ...extra,
  });
  closers.push(() => s.close());
  await s.start();
  return s;
}

/** Advances virtual time in steps, letting the HTTP calls of each step finish. */
async function run(ms: number, step = 1_000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await clock.advance(Math.min(step, ms - done));
    await player.quiet();
  }
}

function device(name: string) {
  const d = emu.devices().find((x) => x.name === name);
  if (!d) throw new Error(`no emulator device ${name}`);
  return d;
}

const playlist = 'spotify:playlist:';
async function somePlaylist(): Promise<string> {
  const lists = await phone.getAllMyPlaylists();
  expect(lists.length).toBeGreaterThan(0);
  return lists[0]!.uri;
}

describe('alarms against the emulator', () => {
  it('warms the token before the alarm, then fires on time on the named device with a fade-in', async () => {
    const uri = await somePlaylist();
    expect(uri.startsWith(playlist)).toBe(true);
    // The scheduler's token cache is empty: it has never asked for a token.
    const grantsBefore = emu.stats().tokenGrants.refresh_token;
    // Saving an alarm with a device lists the devices (and so fetches a token); this test is
    // about the warm-up alone, so that learning is off here (covered in wake-up.test.ts).
    const s = await scheduler({ learnDevices: false });
    // ManualClock starts Monday 2026-01-05 07:00 Berlin.
    const a = await s.create({
      time: '07:05',
      days: ['mon'],
      context_uri: uri,
      device: 'Kitchen Speaker',
      volume: 30,
      fade_in_seconds: 10,
      shuffle: true,
    });
    await run(3 * MIN, 10_000);
    expect(emu.stats().tokenGrants.refresh_token).toBe(grantsBefore);
    await run(MIN + 40_000, 10_000);
    // 90 s before 07:05: the token was fetched; nothing played yet.
    expect(emu.stats().tokenGrants.refresh_token).toBe(grantsBefore + 1);
    expect(emu.playback()?.isPlaying).toBe(false);
    await run(40_000, 1_000);
    await s.idle();

    const pb = emu.playback();
    expect(pb).toMatchObject({
      deviceId: device('Kitchen Speaker').id,
      contextUri: uri,
      isPlaying: true,
      shuffle: true,
    });
    const state = await phone.getPlaybackState();
    expect(state?.device.volume_percent).toBe(30);
    expect(player.volumes).toEqual([0, 6, 12, 18, 24, 30]);
    // No refresh was needed at fire time: the warm-up's token was used.
    expect(emu.stats().tokenGrants.refresh_token).toBe(grantsBefore + 1);
    expect(s.get(a.id).last_result).toMatchObject({ status: 'fired', device: 'Kitchen Speaker' });
  });

  it('falls back to the active device when the preferred one is gone', async () => {
    const s = await scheduler();
    emu.setDeviceAvailable(device('Kitchen Speaker').id, false);
    await s.create({
      time: '07:01',
      days: ['mon'],
      context_uri: 'liked',
      device: 'Kitchen Speaker',
      volume: 20,
    });
    // Since issue 12 the configured speaker gets a wait (half the 30 s retry window here) first.
    await run(MIN + 20_000);
    await s.idle();
    // The emulator starts with a paused track on its first device (Bedroom Pi), which is active.
    expect(emu.playback()).toMatchObject({ deviceId: device('Bedroom Pi').id, isPlaying: true });
    expect(emu.playback()?.contextUri).toMatch(/^spotify:user:.+:collection$/);
    expect(logger.find('preferred device not available')).toHaveLength(1);
    expect(logger.find('using the active device')).toHaveLength(1);
  });

  it('transfers to any available device when nothing is active', async () => {
    emu.stopPlayback();
    const s = await scheduler();
    const uri = await somePlaylist();
    await s.create({ time: '07:01', days: ['mon'], context_uri: uri, volume: 20 });
    await run(MIN + 5_000);
    await s.idle();
    expect(emu.playback()).toMatchObject({ isPlaying: true, contextUri: uri });
    expect(logger.find('using the first available device')).toHaveLength(1);
    expect(logger.find('transferring playback')).toHaveLength(1);
  });

  it('stops the fade when someone turns the volume from another app', async () => {
    const s = await scheduler({ fadeStepMs: 5_000 });
    const uri = await somePlaylist();
    await s.create({
      time: '07:01',
      days: ['mon'],
      context_uri: uri,
      device: 'Bedroom Pi',
      volume: 60,
      fade_in_seconds: 60,
    });
    await run(MIN + 11_000);
    expect(player.volumes).toEqual([0, 5, 10]);
    // The user's phone: a separate client call, straight to the emulator.
    await phone.setVolume(80, device('Bedroom Pi').id);
    await run(60_000, 5_000);
    await s.idle();
    expect(player.volumes).toEqual([0, 5, 10]);
    expect((await phone.getPlaybackState())?.device.volume_percent).toBe(80);
  });

  it('retries through Spotify 503s and records a failure when they do not stop', async () => {
    const s = await scheduler({ retryForMs: 20_000 });
    const uri = await somePlaylist();
    emu.injectFault({
      target: 'api',
      kind: 'status',
      status: 503,
      count: 2,
      method: 'PUT',
      pathPrefix: '/v1/me/player/play',
    });
    const ok = await s.create({ time: '07:01', days: ['mon'], context_uri: uri, volume: 20 });
    await run(MIN + 10_000);
    await s.idle();
    expect(emu.playback()?.isPlaying).toBe(true);
    expect(s.get(ok.id).last_result?.status).toBe('fired');
    expect(logger.find('start playback failed; retrying').length).toBe(2);

    emu.injectFault({
      target: 'api',
      kind: 'status',
      status: 502,
      count: 1_000,
      pathPrefix: '/v1/me/player/devices',
    });
    const bad = await s.create({ time: '07:03', days: ['mon'], context_uri: uri, volume: 20 });
    await run(2 * MIN + 40_000, 2_000);
    await s.idle();
    const v = s.get(bad.id);
    expect(v.last_result?.status).toBe('failed');
    expect(v.last_result?.reason).toMatch(/502|not answering|Unavailable/i);
    emu.clearFaults();
  });

  it('snoozes (pausing on the device) and plays again after the snooze', async () => {
    const s = await scheduler();
    const uri = await somePlaylist();
    const a = await s.create({ time: '07:01', days: ['mon'], context_uri: uri, volume: 25 });
    await run(MIN + 2_000);
    await s.idle();
    expect(emu.playback()?.isPlaying).toBe(true);
    await s.snooze(a.id, 2);
    expect(emu.playback()?.isPlaying).toBe(false);
    await run(2 * MIN, 5_000);
    await s.idle();
    expect(emu.playback()?.isPlaying).toBe(true);
    await s.stop(a.id);
    expect(emu.playback()?.isPlaying).toBe(false);
  });
});

describe('sleep timer against the emulator', () => {
  it('starts music at the sleep volume, fades out, pauses and restores the volume', async () => {
    const timer = new SleepTimer({ stateDir: dir, player, clock, logger, fadeStepMs: 2_000 });
    closers.push(() => timer.close());
    await timer.start();
    const uri = await somePlaylist();
    const status = await timer.begin({
      minutes: 1,
      context_uri: uri,
      device: 'Kitchen Speaker',
      volume: 20,
      fade_out_seconds: 10,
    });
    expect(status).toMatchObject({ active: true, device: 'Kitchen Speaker' });
    expect(emu.playback()).toMatchObject({ deviceId: device('Kitchen Speaker').id, isPlaying: true });
    expect((await phone.getPlaybackState())?.device.volume_percent).toBe(20);
    await run(MIN + 15_000, 1_000);
    expect(emu.playback()?.isPlaying).toBe(false);
    expect(player.volumes).toEqual([20, 16, 12, 8, 4, 0, 20]);
    expect((await phone.getDevices()).find((d) => d.name === 'Kitchen Speaker')?.volume_percent).toBe(20);
    expect(timer.status()).toMatchObject({ active: false, last: { result: 'completed' } });
  });
});
