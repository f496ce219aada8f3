import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { ValidationError } from './errors.js';
import { FakePlayer, FakeSpotifyError } from './fake-player.js';
import { SLEEP_FILE, SleepTimer, type SleepTimerOptions } from './sleep-timer.js';
import { RecordingLogger, tempStateDir } from './test-helpers.js';

const MIN = 60_000;
let dir: string;
let cleanup: () => Promise<void>;
let clock: ManualClock;
let player: FakePlayer;
let logger: RecordingLogger;
const open: SleepTimer[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
  clock = new ManualClock();
  logger = new RecordingLogger();
  player = new FakePlayer([{ id: 'dev-bed', name: 'Bedroom', is_active: false, volume_percent: 55 }], clock);
});

afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
  await cleanup();
});

async function startTimer(extra: Partial<SleepTimerOptions> = {}): Promise<SleepTimer> {
  const t = new SleepTimer({ stateDir: dir, player, clock, logger, fadeStepMs: 5_000, ...extra });
  open.push(t);
  await t.start();
  return t;
}

describe('SleepTimer', () => {
  it('starts music at the sleep volume, then fades out, pauses and restores the volume', async () => {
    const t = await startTimer();
    const s = await t.begin({
      minutes: 20,
      context_uri: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy',
      volume: 25,
      fade_out_seconds: 20,
    });
    expect(s).toMatchObject({ active: true, remaining_seconds: 1200, device: 'Bedroom', minutes: 20 });
    expect(player.callsOf('play')[0]!.args[0]).toMatchObject({
      contextUri: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy',
    });
    expect(player.volumeOf('dev-bed')).toBe(25);

    await clock.advance(10 * MIN);
    expect(t.status().remaining_seconds).toBe(600);
    await clock.advance(10 * MIN);
    expect(t.status()).toMatchObject({ active: true, ending: true });
    await clock.advance(25_000);
    const vols = player.callsOf('setVolume').map((c) => c.args[0]);
    // 25 at start, four fade steps to 0, then the restore.
    expect(vols).toEqual([25, 19, 13, 6, 0, 25]);
    expect(player.playing).toBe(false);
    expect(t.status()).toMatchObject({ active: false, last: { result: 'completed' } });
  });

  it('ends quietly when nothing is playing', async () => {
    const t = await startTimer();
    await t.begin({ minutes: 1 });
    await clock.advance(MIN + 1000);
    expect(player.callsOf('pause')).toHaveLength(0);
    expect(t.status()).toMatchObject({
      active: false,
      last: { result: 'completed', reason: 'nothing was playing' },
    });
  });

  it('can be cancelled, leaving playback alone', async () => {
    const t = await startTimer();
    await t.begin({ minutes: 5, context_uri: 'liked' });
    expect(await t.cancel()).toBe(true);
    expect(await t.cancel()).toBe(false);
    await clock.advance(10 * MIN);
    expect(player.playing).toBe(true);
    expect(player.callsOf('pause')).toHaveLength(0);
    expect(t.status().last?.result).toBe('cancelled');
  });

  it('survives a restart and still ends on time', async () => {
    let t = await startTimer();
    await t.begin({ minutes: 30, context_uri: 'spotify:playlist:abc', fade_out_seconds: 0 });
    await clock.advance(10 * MIN);
    await t.close();
    open.splice(0);
    const onDisk = JSON.parse(await readFile(join(dir, SLEEP_FILE), 'utf8'));
    expect(onDisk.timer.minutes).toBe(30);
    t = await startTimer();
    expect(t.status().remaining_seconds).toBe(20 * 60);
    await clock.advance(20 * MIN);
    expect(player.playing).toBe(false);
    expect(t.status().active).toBe(false);
  });

  it('restores the volume from before the fade even when a restart interrupted the fade', async () => {
    let t = await startTimer();
    await t.begin({ minutes: 1, context_uri: 'spotify:playlist:abc', volume: 50, fade_out_seconds: 20 });
    await clock.advance(MIN + 10_500);
    expect(player.volumeOf('dev-bed')).toBeLessThan(50);
    await t.close();
    open.splice(0);
    t = await startTimer();
    await clock.advance(30_000);
    expect(player.playing).toBe(false);
    expect(player.volumeOf('dev-bed')).toBe(50);
    expect(t.status().last?.result).toBe('completed');
  });

  it('does not touch playback for a timer that ran out long before a restart', async () => {
    let t = await startTimer();
    await t.begin({ minutes: 5, context_uri: 'spotify:playlist:abc' });
    await t.close();
    open.splice(0);
    clock.jumpWall(60 * MIN);
    t = await startTimer();
    expect(player.callsOf('pause')).toHaveLength(0);
    expect(t.status()).toMatchObject({ active: false, last: { result: 'expired' } });
  });

  it('keeps the timer running when the music cannot start, and says why', async () => {
    const t = await startTimer({ retryForMs: 0 });
    player.failNext('getDevices', new FakeSpotifyError('Service unavailable', 503));
    const s = await t.begin({ minutes: 5, context_uri: 'spotify:playlist:abc' });
    expect(s.active).toBe(true);
    expect(s.playback_error).toContain('Service unavailable');
  });

  it('stops fading and leaves the music on when the user turns the volume', async () => {
    const t = await startTimer();
    await t.begin({ minutes: 1, context_uri: 'spotify:playlist:abc', volume: 40, fade_out_seconds: 30 });
    await clock.advance(MIN + 10_000);
    player.userSetsVolume('dev-bed', 60);
    await clock.advance(30_000);
    expect(player.playing).toBe(true);
    expect(t.status().last).toMatchObject({ result: 'interrupted' });
  });

  it('uses and stores defaults', async () => {
    const t = await startTimer({ defaults: { volume: 12 } });
    expect(t.defaults()).toMatchObject({ volume: 12, minutes: 30 });
    await t.setDefaults({ device: 'Bedroom', fade_out_seconds: 0 });
    await t.begin({ minutes: 3, context_uri: 'spotify:playlist:abc' });
    expect(player.volumeOf('dev-bed')).toBe(12);
  });

  it('takes the minutes from the defaults (e.g. an imported sleep_default_duration) when none are given', async () => {
    const t = await startTimer();
    await t.setDefaults({ minutes: 45 });
    const status = await t.begin({});
    expect(status).toMatchObject({ active: true, minutes: 45, remaining_seconds: 45 * 60 });
    expect(player.callsOf('play')).toHaveLength(0);
  });

  it('rejects bad input naming the field', async () => {
    const t = await startTimer();
    await expect(t.begin({ minutes: 0 })).rejects.toMatchObject({ field: 'minutes' });
    await expect(t.begin({ minutes: '5' })).rejects.toMatchObject({
      field: 'minutes',
      message: 'minutes must be a number',
    });
    await expect(t.begin({ minutes: 5, volume: 101 })).rejects.toMatchObject({ field: 'volume' });
    await expect(t.begin({ minutes: 5, fade_out_seconds: -1 })).rejects.toMatchObject({
      field: 'fade_out_seconds',
    });
    await expect(t.begin({ minutes: 5, extra: 1 })).rejects.toBeInstanceOf(ValidationError);
    expect(t.status().active).toBe(false);
  });
});
