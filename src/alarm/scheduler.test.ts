import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError } from '../token/errors.js';
import { ManualClock } from '../token/manual-clock.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { FakePlayer, FakeSpotifyError } from './fake-player.js';
import { ALARMS_FILE, AlarmScheduler, type AlarmSchedulerOptions } from './scheduler.js';
import { RecordingLogger, tempStateDir } from './test-helpers.js';

const TZ = 'Europe/Berlin';
// ManualClock starts at 2026-01-05 06:00Z: Monday 07:00 in Berlin.
const MON_0700 = Date.UTC(2026, 0, 5, 6, 0);
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let dir: string;
let cleanup: () => Promise<void>;
let clock: ManualClock;
let player: FakePlayer;
let logger: RecordingLogger;
const open: AlarmScheduler[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
  clock = new ManualClock(MON_0700);
  logger = new RecordingLogger();
  player = new FakePlayer(
    [
      { id: 'dev-kitchen', name: 'Kitchen', is_active: false, volume_percent: 40 },
      { id: 'dev-phone', name: 'Phone', is_active: false, volume_percent: 60 },
    ],
    clock,
  );
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await cleanup();
});

async function startScheduler(extra: Partial<AlarmSchedulerOptions> = {}): Promise<AlarmScheduler> {
  const s = new AlarmScheduler({
    stateDir: dir,
    player,
    defaultTimezone: TZ,
    clock,
    logger,
    retryBaseMs: 1_000,
    retryForMs: 20_000,
    // These tests count the fake's calls; device learning is covered in test/alarm.
    learnDevices: false,
    ...extra,
  });
  open.push(s);
  await s.start();
  return s;
}

async function restart(s: AlarmScheduler, extra: Partial<AlarmSchedulerOptions> = {}) {
  await s.close();
  open.splice(open.indexOf(s), 1);
  return startScheduler(extra);
}

// Multi-day tests wake the loop less often so they run quickly; the 30 s default is tested separately.
const longDays = { maxSleepMs: 10 * MIN };

const base = { context_uri: 'spotify:playlist:37i9dQZF1DX0UrRvztWcAU', device: 'Kitchen', volume: 40 };

describe('AlarmScheduler: firing on time', () => {
  it('fires exactly at the alarm time and not a millisecond before', async () => {
    const s = await startScheduler();
    await s.create({ ...base, time: '07:30', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] });
    await clock.advanceTo(MON_0700 + 30 * MIN - 1);
    expect(player.callsOf('play')).toHaveLength(0);
    await clock.advance(1);
    await s.idle();
    const plays = player.callsOf('play');
    expect(plays).toHaveLength(1);
    expect(iso(plays[0]!.at)).toBe('2026-01-05T06:30:00.000Z');
    expect(plays[0]!.args[0]).toEqual({ contextUri: base.context_uri, deviceId: 'dev-kitchen' });
    expect(player.volumeOf('dev-kitchen')).toBe(40);
  });

  it('shows next_fire_at with the zone offset and the last result after firing', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:30', days: ['mon'] });
    expect(a.next_fire_at).toBe('2026-01-05T07:30:00+01:00');
    expect(a.last_result).toBeNull();
    await clock.advance(31 * MIN);
    await s.idle();
    const after = s.get(a.id);
    expect(after.last_result).toMatchObject({
      status: 'fired',
      scheduled_for: '2026-01-05T07:30:00+01:00',
      device: 'Kitchen',
    });
    expect(after.next_fire_at).toBe('2026-01-12T07:30:00+01:00');
    expect(after.state).toBe('ringing');
  });

  it('fires only on the listed weekdays', async () => {
    const s = await startScheduler(longDays);
    await s.create({ ...base, time: '07:30', days: ['mon', 'wed'] });
    await clock.advance(7 * 24 * 60 * MIN);
    await s.idle();
    expect(player.callsOf('play').map((c) => iso(c.at))).toEqual([
      '2026-01-05T06:30:00.000Z',
      '2026-01-07T06:30:00.000Z',
    ]);
  });

  it('disables a one-off alarm after it fired and never fires it again', async () => {
    const s = await startScheduler(longDays);
    const a = await s.create({ ...base, time: '07:30' });
    await clock.advance(60 * MIN);
    await s.idle();
    expect(s.get(a.id)).toMatchObject({ enabled: false, next_fire_at: null });
    await clock.advance(3 * 24 * 60 * MIN);
    expect(player.callsOf('play')).toHaveLength(1);
    const onDisk = JSON.parse(await readFile(join(dir, ALARMS_FILE), 'utf8'));
    expect(onDisk.alarms[0].spec.enabled).toBe(false);
  });

  it('does not fire disabled alarms', async () => {
    const s = await startScheduler(longDays);
    await s.create({ ...base, time: '07:30', enabled: false });
    await clock.advance(24 * 60 * MIN);
    expect(player.callsOf('play')).toHaveLength(0);
    expect(s.next()).toBeNull();
  });

  it('fires a spring-forward 02:30 at 03:00 CEST and a fall-back 02:30 once', async () => {
    clock = new ManualClock(Date.UTC(2026, 2, 28, 12, 0));
    player = new FakePlayer([{ id: 'd1', name: 'Kitchen', is_active: true, volume_percent: 10 }], clock);
    const s = await startScheduler(longDays);
    await s.create({ ...base, time: '02:30', days: [] as string[], label: 'spring' });
    await clock.advanceTo(Date.UTC(2026, 2, 29, 6, 0));
    await s.idle();
    expect(player.callsOf('play').map((c) => iso(c.at))).toEqual(['2026-03-29T01:00:00.000Z']);

    await clock.advanceTo(Date.UTC(2026, 9, 24, 12, 0));
    const daily = await s.create({
      ...base,
      time: '02:30',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    });
    expect(daily.next_fire_at).toBe('2026-10-25T02:30:00+02:00');
    await clock.advanceTo(Date.UTC(2026, 9, 25, 6, 0));
    await s.idle();
    expect(player.callsOf('play').map((c) => iso(c.at))).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-10-25T00:30:00.000Z',
    ]);
    expect(s.get(daily.id).next_fire_at).toBe('2026-10-26T02:30:00+01:00');
  });

  it('notices a wall-clock jump past an alarm within its bounded sleep', async () => {
    const s = await startScheduler({ maxSleepMs: 30_000 });
    await s.create({ ...base, time: '09:00', days: ['mon'] });
    // NTP moves the wall clock 2 h forward: the alarm (09:00) is now 1 min in the past.
    clock.jumpWall(2 * 60 * MIN + MIN);
    await clock.advance(30_000);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(1);
  });
});

describe('AlarmScheduler: restarts and missed alarms', () => {
  it('reloads alarms after a restart mid-day and fires them', async () => {
    let s = await startScheduler();
    const a = await s.create({ ...base, time: '18:00', days: ['mon'], label: 'evening' });
    await clock.advance(3 * 60 * MIN);
    s = await restart(s);
    expect(s.get(a.id)).toMatchObject({ label: 'evening', next_fire_at: '2026-01-05T18:00:00+01:00' });
    await clock.advanceTo(Date.UTC(2026, 0, 5, 17, 0));
    await s.idle();
    expect(player.callsOf('play').map((c) => iso(c.at))).toEqual(['2026-01-05T17:00:00.000Z']);
  });

  it('fires an alarm missed while down if within the grace window', async () => {
    let s = await startScheduler();
    const a = await s.create({ ...base, time: '07:30', days: ['mon'] });
    await s.close();
    open.splice(0);
    // Down from 07:00 to 07:36: 6 minutes late, grace is 10.
    clock.jumpWall(36 * MIN);
    s = await startScheduler();
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(1);
    expect(s.get(a.id).last_result).toMatchObject({
      status: 'fired',
      scheduled_for: '2026-01-05T07:30:00+01:00',
    });
  });

  it('records an alarm missed beyond the grace window as missed, without playing', async () => {
    let s = await startScheduler();
    const a = await s.create({ ...base, time: '07:30', days: ['mon', 'tue'] });
    await s.close();
    open.splice(0);
    clock.jumpWall(45 * MIN);
    s = await startScheduler();
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(0);
    const v = s.get(a.id);
    expect(v.last_result).toMatchObject({ status: 'missed', scheduled_for: '2026-01-05T07:30:00+01:00' });
    expect(v.last_result?.reason).toContain('10 min');
    expect(v.next_fire_at).toBe('2026-01-06T07:30:00+01:00');
  });

  it('uses the configured grace window (SPOTIPI_ALARM_GRACE_MINUTES) instead of the default', async () => {
    let s = await startScheduler({ graceMs: 3 * MIN });
    const a = await s.create({ ...base, time: '07:30', days: ['mon'] });
    await s.close();
    open.splice(0);
    // 6 minutes late: within the default 10, beyond the configured 3.
    clock.jumpWall(36 * MIN);
    s = await startScheduler({ graceMs: 3 * MIN });
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(0);
    expect(s.get(a.id).last_result).toMatchObject({
      status: 'missed',
      reason: expect.stringContaining('3 min'),
    });
  });

  it('fires again after a restart that interrupted an alarm while it was starting', async () => {
    let s = await startScheduler({ retryForMs: 5 * MIN });
    await s.create({ ...base, time: '07:01', days: ['mon'] });
    player.failNext('getDevices', new FakeSpotifyError('Service unavailable', 503), 1_000);
    await clock.advance(MIN + 5_000);
    expect(player.callsOf('play')).toHaveLength(0);
    s = await restart(s, { retryForMs: 5 * MIN });
    // Spotify is back by the time the server is.
    player.clearFailures();
    await clock.advance(1_000);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(1);
    expect(logger.find('alarm was starting when the server stopped')).toHaveLength(1);
  });

  it('refuses an unreadable alarms file and leaves it untouched instead of starting empty', async () => {
    await writeFile(join(dir, ALARMS_FILE), '{ not json');
    await expect(startScheduler()).rejects.toThrow(
      /alarms\.json cannot be read safely: it is not valid JSON/,
    );
    expect(await readFile(join(dir, ALARMS_FILE), 'utf8')).toBe('{ not json');
    expect(logger.find('state file cannot be read safely')).toHaveLength(1);
  });
});

describe('AlarmScheduler: devices, volume and fade', () => {
  it('falls back to the active device, then any device, logging each attempt', async () => {
    const s = await startScheduler(longDays);
    player.activeId = 'dev-phone';
    await s.create({ ...base, device: 'Bedroom', time: '07:10', days: ['mon', 'tue'] });
    // The configured device is unknown: it gets half the 20 s retry window before another device plays.
    await clock.advance(10 * MIN + 15_000);
    await s.idle();
    expect(player.callsOf('play')[0]!.args[0]).toMatchObject({ deviceId: 'dev-phone' });
    expect(logger.find('preferred device not available')).toHaveLength(1);
    expect(logger.find('using the active device')).toHaveLength(1);

    player.activeId = null;
    await clock.advance(24 * 60 * MIN + 15_000);
    await s.idle();
    const second = player.callsOf('play')[1]!;
    expect(second.args[0]).toMatchObject({ deviceId: 'dev-kitchen' });
    expect(player.callsOf('transferPlayback').map((c) => c.args[0])).toEqual(['dev-kitchen']);
    expect(logger.find('using the first available device')).toHaveLength(1);
  });

  it('ramps the volume from 0 to the target in even steps', async () => {
    const s = await startScheduler({ fadeStepMs: 3_000 });
    await s.create({ ...base, time: '07:01', days: ['mon'], volume: 30, fade_in_seconds: 15 });
    await clock.advance(MIN);
    await clock.advance(20_000);
    await s.idle();
    const volumes = player.callsOf('setVolume').map((c) => c.args[0]);
    expect(volumes).toEqual([0, 6, 12, 18, 24, 30]);
    const times = player.callsOf('setVolume').map((c) => (c.at - Date.UTC(2026, 0, 5, 6, 1)) / 1000);
    expect(times).toEqual([0, 3, 6, 9, 12, 15]);
  });

  it('stops the fade when the user changes the volume', async () => {
    const s = await startScheduler({ fadeStepMs: 5_000 });
    await s.create({ ...base, time: '07:01', days: ['mon'], volume: 50, fade_in_seconds: 50 });
    await clock.advance(MIN + 10_000);
    expect(player.callsOf('setVolume').map((c) => c.args[0])).toEqual([0, 5, 10]);
    player.userSetsVolume('dev-kitchen', 70);
    await clock.advance(60_000);
    await s.idle();
    expect(player.callsOf('setVolume').map((c) => c.args[0])).toEqual([0, 5, 10]);
    expect(player.volumeOf('dev-kitchen')).toBe(70);
    expect(logger.find('volume changed by the user')).toHaveLength(1);
  });
});

describe('AlarmScheduler: snooze and stop', () => {
  it('snoozes (pausing) and rings again after the snooze with its fade-in', async () => {
    const s = await startScheduler({ fadeStepMs: 5_000 });
    const a = await s.create({ ...base, time: '07:01', days: ['mon'], volume: 20, fade_in_seconds: 10 });
    await clock.advance(MIN + 20_000);
    const v = await s.snooze(a.id);
    expect(v.state).toBe('snoozed');
    expect(v.snoozed_until).toBe('2026-01-05T07:10:20+01:00');
    expect(player.playing).toBe(false);
    expect(s.next()).toMatchObject({ kind: 'snooze', fire_at: '2026-01-05T07:10:20+01:00' });
    await clock.advance(9 * MIN - 1);
    expect(player.callsOf('play')).toHaveLength(1);
    await clock.advance(1);
    await clock.advance(15_000);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(2);
    expect(iso(player.callsOf('play')[1]!.at)).toBe('2026-01-05T06:10:20.000Z');
    expect(player.callsOf('setVolume').map((c) => c.args[0])).toEqual([0, 10, 20, 0, 10, 20]);
    expect(s.get(a.id).state).toBe('ringing');
  });

  it('stop ends a ringing alarm for the day and pauses playback', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon', 'tue'] });
    await clock.advance(MIN);
    await s.idle();
    const v = await s.stop(a.id);
    expect(v.state).toBe('idle');
    expect(player.playing).toBe(false);
    await expect(s.stop(a.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(s.snooze(a.id)).rejects.toBeInstanceOf(ConflictError);
    expect(v.next_fire_at).toBe('2026-01-06T07:01:00+01:00');
  });

  it('stop during a snooze cancels the second ring', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    await s.snooze(a.id, 5);
    await s.stop(a.id);
    await clock.advance(10 * MIN);
    expect(player.callsOf('play')).toHaveLength(1);
  });

  it('stop while Spotify is still answering the play request pauses after it, so the music stays off', async () => {
    const s = await startScheduler();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const play = player.play.bind(player);
    player.play = async (request) => {
      await gate;
      return play(request);
    };
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    expect(s.get(a.id).state).toBe('starting');
    const stopped = s.stop(a.id);
    release();
    expect((await stopped).state).toBe('idle');
    await s.idle();
    expect(player.playing).toBe(false);
    const order = player.calls.map((c) => c.method);
    expect(order.lastIndexOf('pause')).toBeGreaterThan(order.lastIndexOf('play'));
    expect(player.callsOf('pause')[0]!.args).toEqual(['dev-kitchen']);
  });

  it('stop or delete while the alarm is still retrying to start pauses nothing (other music plays on)', async () => {
    const s = await startScheduler();
    player.failNext('getDevices', new FakeSpotifyError('Spotify is down', 503), 50);
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    const b = await s.create({ ...base, time: '07:03', days: ['mon'], label: 'second' });
    await clock.advance(MIN);
    expect(s.get(a.id).state).toBe('starting');
    await s.stop(a.id);
    await clock.advance(2 * MIN);
    expect(s.get(b.id).state).toBe('starting');
    await s.remove(b.id);
    player.clearFailures();
    await clock.advance(30_000);
    await s.idle();
    expect(player.callsOf('pause')).toHaveLength(0);
    expect(player.callsOf('play')).toHaveLength(0);
    expect(logger.find('nothing to pause')).toHaveLength(2);
  });

  it('an alarm still starting when another fires gives way instead of staying "starting"', async () => {
    const s = await startScheduler();
    player.failNext('getDevices', new FakeSpotifyError('Spotify is down', 503), 1);
    const a = await s.create({ ...base, time: '07:01', days: ['mon'], label: 'first' });
    const b = await s.create({ ...base, time: '07:01', days: ['mon'], label: 'second' });
    await clock.advance(MIN);
    await clock.advance(5_000);
    await s.idle();
    const states = [s.get(a.id), s.get(b.id)];
    expect(states.map((v) => v.state).sort()).toEqual(['idle', 'ringing']);
    const gaveWay = states.find((v) => v.state === 'idle')!;
    // Its own outcome since issue 12: not "failed" (nothing was wrong with it) but "superseded".
    expect(gaveWay.last_result).toMatchObject({
      status: 'superseded',
      reason: expect.stringContaining('another alarm'),
    });
    expect(player.callsOf('play')).toHaveLength(1);
  });

  it('deleting a ringing alarm pauses its music', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    expect(player.playing).toBe(true);
    await s.remove(a.id);
    expect(player.playing).toBe(false);
    expect(player.callsOf('pause')[0]!.args).toEqual(['dev-kitchen']);
  });

  it('disabling a snoozed alarm cancels the pending snooze', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    await s.snooze(a.id, 5);
    const v = await s.update(a.id, { enabled: false });
    expect(v.state).toBe('idle');
    expect(s.next()).toBeNull();
    await clock.advance(10 * MIN);
    expect(player.callsOf('play')).toHaveLength(1);
  });

  it('keeps the snooze of a one-off alarm (disabled once it fired) through edits that do not disable it', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01' });
    await clock.advance(MIN);
    await s.idle();
    expect(s.get(a.id).enabled).toBe(false);
    await s.snooze(a.id, 5);
    await s.update(a.id, { label: 'Wake up' });
    await s.update(a.id, {});
    await s.replace(a.id, { ...base, time: '07:01', label: 'Renamed', enabled: true });
    expect(s.get(a.id).state).toBe('snoozed');
    await clock.advance(5 * MIN);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(2);
    await s.snooze(a.id, 5);
    await s.update(a.id, { enabled: false });
    expect(s.get(a.id).state).toBe('idle');
  });

  it('keeps a snooze across a restart', async () => {
    let s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    await s.snooze(a.id);
    s = await restart(s);
    expect(s.get(a.id).state).toBe('snoozed');
    await clock.advance(9 * MIN);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(2);
    expect(s.get(a.id).state).toBe('ringing');
  });

  it('snoozes for the configured length (SPOTIPI_SNOOZE_MINUTES) when no minutes are given', async () => {
    const s = await startScheduler({ snoozeMinutes: 4 });
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    expect((await s.snooze(a.id)).snoozed_until).toBe('2026-01-05T07:05:00+01:00');
    await clock.advance(4 * MIN);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(2);
  });

  it('rejects unknown ids and a bad snooze length', async () => {
    const s = await startScheduler();
    await expect(s.snooze('nope')).rejects.toBeInstanceOf(NotFoundError);
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    await clock.advance(MIN);
    await s.idle();
    await expect(s.snooze(a.id, 0)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('AlarmScheduler: Spotify failures and the token', () => {
  it('retries Spotify errors and plays once Spotify recovers', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    player.failNext('play', new FakeSpotifyError('Service unavailable', 503), 3);
    await clock.advance(MIN + 20_000);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(4);
    expect(s.get(a.id).last_result?.status).toBe('fired');
    expect(logger.find('start playback failed; retrying')).toHaveLength(3);
  });

  it('records a failure with its reason after the bounded retry time', async () => {
    const s = await startScheduler({ retryForMs: 10_000 });
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    player.failNext('getDevices', new FakeSpotifyError('Bad gateway', 502), 100);
    await clock.advance(MIN + 60_000);
    await s.idle();
    const calls = player.callsOf('getDevices').length;
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(10);
    const v = s.get(a.id);
    expect(v.last_result).toMatchObject({ status: 'failed' });
    expect(v.last_result?.reason).toContain('Bad gateway');
    expect(v.state).toBe('idle');
    expect(logger.find('alarm failed')).toHaveLength(1);
  });

  it('does not retry a permanent error such as a revoked grant', async () => {
    const s = await startScheduler();
    const a = await s.create({ ...base, time: '07:01', days: ['mon'] });
    // Matched by class (instanceof), not by name: the token cache's own error.
    player.failNext('getDevices', new ReauthorizationRequiredError('re-authorization required'));
    await clock.advance(MIN);
    await s.idle();
    expect(player.callsOf('getDevices')).toHaveLength(1);
    expect(s.get(a.id).last_result?.reason).toContain('ReauthorizationRequiredError');
  });

  it('warms the token 90 seconds before the alarm, before any player call', async () => {
    const warms: number[] = [];
    const s = await startScheduler({
      warmToken: async () => {
        warms.push(clock.now());
      },
    });
    await s.create({ ...base, time: '07:30', days: ['mon'] });
    await clock.advance(30 * MIN);
    await s.idle();
    expect(warms.map(iso)).toEqual(['2026-01-05T06:28:30.000Z']);
    expect(player.calls[0]!.at).toBeGreaterThan(warms[0]!);
  });

  it('still fires when warming the token fails', async () => {
    const s = await startScheduler({ warmToken: () => Promise.reject(new Error('accounts down')) });
    await s.create({ ...base, time: '07:05', days: ['mon'] });
    await clock.advance(5 * MIN);
    await s.idle();
    expect(player.callsOf('play')).toHaveLength(1);
    expect(logger.find('could not warm the token')).toHaveLength(1);
  });
});

describe('AlarmScheduler: editing', () => {
  it('creates, patches, replaces and deletes alarms, persisting each change', async () => {
    let s = await startScheduler();
    const a = await s.create({ ...base, time: '07:30', days: ['sun', 'mon'] });
    expect(a).toMatchObject({
      label: 'Alarm',
      days: ['mon', 'sun'],
      timezone: TZ,
      shuffle: false,
      enabled: true,
    });
    const p = await s.update(a.id, { volume: 70, label: 'work' });
    expect(p).toMatchObject({ volume: 70, label: 'work', time: '07:30' });
    const r = await s.replace(a.id, { time: '06:00', context_uri: 'liked' });
    expect(r).toMatchObject({ time: '06:00', label: 'Alarm', volume: 50, days: [] });
    s = await restart(s);
    expect(s.get(a.id)).toMatchObject({ time: '06:00', context_uri: 'liked' });
    await s.remove(a.id);
    expect(() => s.get(a.id)).toThrow(NotFoundError);
    s = await restart(s);
    expect(s.list()).toEqual([]);
  });

  it('plays liked songs as the user collection context', async () => {
    const s = await startScheduler();
    await s.create({ ...base, time: '07:01', days: ['mon'], context_uri: 'liked', shuffle: true });
    await clock.advance(MIN);
    await s.idle();
    expect(player.callsOf('play')[0]!.args[0]).toMatchObject({
      contextUri: 'spotify:user:demo-user:collection',
    });
    expect(player.shuffle).toBe(true);
  });
});
