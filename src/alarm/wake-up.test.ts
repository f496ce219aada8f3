import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpotifyRateLimitedError, SpotifyUnavailableError } from '../spotify/errors.js';
import { ReauthorizationRequiredError } from '../token/errors.js';
import { ManualClock } from '../token/manual-clock.js';
import { DeviceMemory } from './device-memory.js';
import { FakePlayer, FakeSpotifyError } from './fake-player.js';
import { RecordingLogger, tempStateDir } from './test-helpers.js';
import { WakeUpFailedError, type WakeUpRequest, wakeUp } from './wake-up.js';

let dir: string;
let cleanup: () => Promise<void>;
let clock: ManualClock;
let player: FakePlayer;
let logger: RecordingLogger;
let memory: DeviceMemory;

beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
  clock = new ManualClock();
  logger = new RecordingLogger();
  player = new FakePlayer([{ id: 'dev-k', name: 'Kitchen', is_active: true, volume_percent: 40 }], clock);
  memory = new DeviceMemory(dir, clock, logger);
});
afterEach(async () => {
  await memory.flush();
  await cleanup();
});

const request = (extra: Partial<WakeUpRequest> = {}): WakeUpRequest => ({
  contextUri: 'spotify:playlist:abc',
  device: 'Kitchen',
  shuffle: false,
  startVolume: 0,
  due: clock.now(),
  deadline: clock.now() + 10 * 60_000,
  ...extra,
});

/** Runs a wake-up while advancing virtual time in 1 s steps until it settles. */
async function run(req: WakeUpRequest) {
  const ctl = new AbortController();
  let settled = false;
  const p = wakeUp(req, {
    player,
    clock,
    logger,
    memory,
    retryBaseMs: 1_000,
    deviceFallbackMs: 120_000,
    signal: ctl.signal,
  }).finally(() => {
    settled = true;
  });
  p.catch(() => {});
  for (let i = 0; i < 2_000 && !settled; i++) await clock.advance(1_000);
  return p;
}

describe('wakeUp', () => {
  it('waits out a Retry-After before the next attempt instead of the short back-off', async () => {
    player.failNext(
      'getDevices',
      new SpotifyRateLimitedError('slow down', 20_000, 'GET /v1/me/player/devices'),
    );
    const started = clock.now();
    const result = await run(request());
    expect(result).toMatchObject({ deviceName: 'Kitchen', attempts: 2, volumeControllable: true });
    expect(player.callsOf('getDevices').map((c) => c.at - started)).toEqual([0, 20_000]);
  });

  it('gives up at once on a dead login, without retrying', async () => {
    player.failNext('getDevices', new ReauthorizationRequiredError('invalid_grant'));
    await expect(run(request())).rejects.toMatchObject({
      name: 'WakeUpFailedError',
      kind: 'auth',
      attempts: 1,
    });
    expect(player.callsOf('getDevices')).toHaveLength(1);
  });

  it('backs off 1, 2, 4 … up to 30 s and gives up when the next attempt would pass the deadline', async () => {
    player.failNext('getDevices', new SpotifyUnavailableError('down', 'GET /v1/me/player/devices'), 1_000);
    const started = clock.now();
    const err = await run(request({ deadline: started + 3 * 60_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WakeUpFailedError);
    const gaps = player
      .callsOf('getDevices')
      .map((c) => c.at - started)
      .map((t, i, all) => (i === 0 ? t : t - all[i - 1]!));
    expect(gaps).toEqual([0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(logger.find('start playback failed; retrying')).toHaveLength(9);
    expect(logger.find('giving up (the retry window ended)')).toHaveLength(1);
  });

  it('plays on a device that answers 403 VOLUME_CONTROL_DISALLOW and remembers that it is locked', async () => {
    player.failNext(
      'setVolume',
      new FakeSpotifyError('Cannot control device volume', 403, 'VOLUME_CONTROL_DISALLOW'),
    );
    const result = await run(request());
    expect(result).toMatchObject({ volumeControllable: false, attempts: 1 });
    expect(player.callsOf('play')).toHaveLength(1);
    expect(memory.find('dev-k')?.supports_volume).toBe(false);
  });
});
