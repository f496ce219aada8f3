/**
 * Issue 12, through the real alarm routes, the real Spotify client and the emulator's device
 * behaviours over loopback, on a virtual clock. ManualClock starts Monday 2026-01-05 07:00
 * Berlin; the alarms below ring at 07:01 unless said otherwise.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_DEMO_SPEAKER } from '../../src/emulator/device-behaviour.js';
import { MIN, RecordingFallback, type Stack, startStack } from './harness.js';

let stack: Stack;
afterEach(async () => {
  await stack?.close();
});

/** Creates an alarm through the API; returns its id. */
async function alarm(body: Record<string, unknown>): Promise<string> {
  const res = await stack.call('POST', '/api/alarms', { time: '07:01', days: ['mon'], ...body });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const view = async (id: string) => (await stack.call('GET', `/api/alarms/${id}`)).body;

describe('1. a volume-locked device', () => {
  it('still plays, at its own volume, without a fade, and last_result says volume was not controllable', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const tv = stack.deviceId('Living Room TV');
    const id = await alarm({ context_uri: uri, device: 'Living Room TV', volume: 40, fade_in_seconds: 30 });
    await stack.run(MIN + 40_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()).toMatchObject({ deviceId: tv, isPlaying: true, contextUri: uri });
    // Its own volume (30 in the emulator), untouched: no volume command at all.
    expect(stack.emu.deviceVolume(tv)).toBe(30);
    expect(stack.player.volumes).toEqual([]);
    expect((await view(id)).last_result).toMatchObject({
      status: 'fired',
      device: 'Living Room TV',
      volume_controllable: false,
      reason: expect.stringContaining('volume not controllable'),
    });
  });

  it('plays when the device is listed as controllable but answers 403 VOLUME_CONTROL_DISALLOW', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    // A speaker that refuses volume although nothing in the list says so (seen with some TVs).
    const kitchen = stack.deviceId('Kitchen Speaker');
    stack.emu.injectFault({
      target: 'api',
      kind: 'status',
      status: 403,
      method: 'PUT',
      pathPrefix: '/v1/me/player/volume',
      count: 100,
    });
    const id = await alarm({ context_uri: uri, device: 'Kitchen Speaker', volume: 40, fade_in_seconds: 30 });
    await stack.run(MIN + 40_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()).toMatchObject({ deviceId: kitchen, isPlaying: true });
    expect((await view(id)).last_result).toMatchObject({ status: 'fired', volume_controllable: false });
  });
});

describe('2. the fade-in against lagging and rounded volume reports', () => {
  it('reaches the target although reports lag 4 s and round to 10 %', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const kitchen = stack.deviceId('Kitchen Speaker');
    stack.emu.configureDevice(kitchen, { volumeLagMs: 4_000, volumeStepPercent: 10 });
    const id = await alarm({ context_uri: uri, device: 'Kitchen Speaker', volume: 60, fade_in_seconds: 30 });
    await stack.run(MIN + 45_000);
    await stack.scheduler.idle();
    expect(stack.emu.deviceVolume(kitchen)).toBe(60);
    expect(stack.player.volumes.at(-1)?.volume).toBe(60);
    expect((await view(id)).last_result).toMatchObject({ status: 'fired', volume: 60 });
  });

  it('stops within about 10 s when the person turns the speaker, and keeps their volume', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const kitchen = stack.deviceId('Kitchen Speaker');
    stack.emu.configureDevice(kitchen, { volumeLagMs: 2_000, volumeStepPercent: 10 });
    await alarm({ context_uri: uri, device: 'Kitchen Speaker', volume: 80, fade_in_seconds: 60 });
    await stack.run(MIN + 12_000);
    const changedAt = stack.clock.now();
    stack.emu.personSetsVolume(kitchen, 45);
    await stack.run(70_000);
    await stack.scheduler.idle();
    expect(stack.emu.deviceVolume(kitchen)).toBe(45);
    const last = stack.player.volumes.at(-1)!;
    expect(last.at - changedAt).toBeLessThanOrEqual(10_000);
  });
});

describe('3. an idle speaker', () => {
  it('is addressed by its remembered id although Spotify no longer lists it', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const bath = IDLE_DEMO_SPEAKER.id;
    // The person picked the speaker while it was awake: SpotiPi saw it then.
    stack.emu.setDeviceIdle(bath, false);
    const id = await alarm({ context_uri: uri, device: 'Bathroom Speaker', volume: 30 });
    await stack.player.quiet();
    // Overnight it went idle: gone from GET /v1/me/player/devices.
    stack.emu.setDeviceIdle(bath, true);
    await stack.run(MIN + 10_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()).toMatchObject({ deviceId: bath, isPlaying: true });
    expect((await view(id)).last_result).toMatchObject({ status: 'fired', device: 'Bathroom Speaker' });
    await stack.scheduler.devices.flush(); // devices.json is written in the background
    const saved = JSON.parse(await readFile(join(stack.dir, 'devices.json'), 'utf8'));
    expect(saved.devices.map((d: { name: string }) => d.name)).toContain('Bathroom Speaker');
    expect(stack.scheduler.devices.find('Bathroom Speaker')).toMatchObject({ id: bath, type: 'Speaker' });
  });

  it('keeps trying an absent speaker for the configured wait, then plays elsewhere and says why', async () => {
    stack = await startStack({ deviceFallbackMs: 2 * MIN });
    const uri = await stack.playlist();
    const kitchen = stack.deviceId('Kitchen Speaker');
    const id = await alarm({ context_uri: uri, device: 'Kitchen Speaker', volume: 30 });
    await stack.player.quiet();
    // Unplugged: not listed, and a transfer to it fails.
    stack.emu.setDeviceAvailable(kitchen, false);
    await stack.run(MIN + 110_000);
    expect(stack.emu.playback()?.isPlaying).toBe(false);
    expect((await view(id)).state).toBe('starting');
    await stack.run(30_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()).toMatchObject({ deviceId: stack.deviceId('Bedroom Pi'), isPlaying: true });
    expect((await view(id)).last_result).toMatchObject({
      status: 'fired',
      device: 'Bedroom Pi',
      reason: expect.stringMatching(/Kitchen Speaker did not answer for 1[23]\d s/),
    });
  });
});

describe('4. retrying for the whole grace window', () => {
  it('plays after a 2-minute outage at wake-up time, logging each attempt', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN - 1_000);
    stack.emu.startOutage({ forMs: 2 * MIN });
    await stack.run(3 * MIN);
    await stack.scheduler.idle();
    expect(stack.emu.playback()?.isPlaying).toBe(true);
    expect((await view(id)).last_result?.status).toBe('fired');
    expect(stack.logger.find('start playback failed; retrying').length).toBeGreaterThanOrEqual(4);
  });

  it('records failed only at the end of the grace window', async () => {
    stack = await startStack({ graceMs: 5 * MIN });
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN - 1_000);
    stack.emu.startOutage({ mode: 'reset' });
    await stack.run(4 * MIN + 30_000, 2_000);
    expect((await view(id)).state).toBe('starting');
    expect((await view(id)).last_result).toBeNull();
    await stack.run(MIN, 2_000);
    await stack.scheduler.idle();
    expect((await view(id)).last_result).toMatchObject({ status: 'failed' });
    expect((await view(id)).state).toBe('idle');
  });
});

describe('5. a restart mid-fade', () => {
  it('resumes the fade at the volume it should have reached and completes it', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const kitchen = stack.deviceId('Kitchen Speaker');
    const id = await alarm({ context_uri: uri, device: 'Kitchen Speaker', volume: 60, fade_in_seconds: 60 });
    await stack.run(MIN + 20_000);
    expect(stack.emu.deviceVolume(kitchen)).toBeLessThanOrEqual(25);
    // Down for 25 s: at 45 s into the 60 s fade the volume should be 45.
    await stack.restart({}, 25_000);
    await stack.player.quiet();
    expect(stack.emu.deviceVolume(kitchen)).toBe(45);
    await stack.run(30_000);
    await stack.scheduler.idle();
    expect(stack.emu.deviceVolume(kitchen)).toBe(60);
    expect((await view(id)).state).toBe('ringing');
  });
});

describe('6. a restart during a snooze re-ring', () => {
  it('measures grace from the re-ring, not the original alarm time', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN + 5_000);
    expect((await stack.call('POST', `/api/alarms/${id}/snooze`, { minutes: 9 })).status).toBe(200);
    // The re-ring at 07:10:05 meets an outage and is still starting when the server stops.
    stack.emu.startOutage();
    await stack.run(9 * MIN + 10_000, 5_000);
    expect((await view(id)).state).toBe('starting');
    stack.emu.endOutage();
    // Back at 07:13: 12 min after 07:01, but 3 min after the re-ring.
    await stack.restart({}, 3 * MIN);
    await stack.run(10_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()?.isPlaying).toBe(true);
    expect((await view(id)).last_result?.status).toBe('fired');
  });

  it('records a re-ring dropped after the grace window as missed, with the reason', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN + 5_000);
    await stack.call('POST', `/api/alarms/${id}/snooze`, { minutes: 9 });
    stack.emu.startOutage();
    await stack.run(9 * MIN + 10_000, 5_000);
    stack.emu.endOutage();
    await stack.restart({}, 30 * MIN);
    await stack.run(5_000);
    const v = await view(id);
    expect(v.state).toBe('idle');
    expect(v.last_result).toMatchObject({ status: 'missed', reason: expect.stringContaining('starting') });
    expect(stack.emu.playback()?.isPlaying).toBe(false);
  });

  it('records a snooze that ended while the server was down as missed', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN + 5_000);
    await stack.call('POST', `/api/alarms/${id}/snooze`, { minutes: 5 });
    await stack.restart({}, 30 * MIN);
    await stack.run(5_000);
    expect((await view(id)).last_result).toMatchObject({
      status: 'missed',
      reason: expect.stringContaining('snooze'),
    });
  });
});

describe('9. a sleep timer ending during an alarm', () => {
  it('never fades or pauses the alarm', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const bedroom = stack.deviceId('Bedroom Pi');
    const sleep = await stack.call('POST', '/api/sleep', {
      minutes: 2,
      context_uri: uri,
      device: 'Bedroom Pi',
      volume: 20,
      fade_out_seconds: 30,
    });
    expect(sleep.status).toBeLessThan(300);
    const id = await alarm({ context_uri: uri, device: 'Bedroom Pi', volume: 50 });
    // The sleep timer would start fading at 07:02 and pause at 07:02:30.
    await stack.run(3 * MIN);
    await stack.scheduler.idle();
    expect(stack.emu.playback()).toMatchObject({ deviceId: bedroom, isPlaying: true });
    expect(stack.emu.deviceVolume(bedroom)).toBe(50);
    expect((await view(id)).state).toBe('ringing');
    const status = (await stack.call('GET', '/api/sleep')).body;
    expect(status).toMatchObject({
      active: false,
      last: { result: 'cancelled', reason: expect.stringContaining('alarm') },
    });
  });
});

describe('snooze from the speaker', () => {
  it('a pause on the speaker snoozes; a second pause after the snooze ends it for the day', async () => {
    stack = await startStack({ pauseCheckMs: 2_000 });
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN + 5_000);
    expect((await view(id)).state).toBe('ringing');
    expect(stack.emu.personPauses()).toBe(true);
    await stack.run(5_000);
    const snoozed = await view(id);
    expect(snoozed.state).toBe('snoozed');
    await stack.run(9 * MIN, 5_000);
    await stack.scheduler.idle();
    expect((await view(id)).state).toBe('ringing');
    expect(stack.emu.playback()?.isPlaying).toBe(true);
    stack.emu.personPauses();
    await stack.run(5_000);
    expect((await view(id)).state).toBe('idle');
    await stack.run(15 * MIN, 30_000);
    expect(stack.emu.playback()?.isPlaying).toBe(false);
  });

  it('with pause_snoozes off a pause leaves the alarm ringing', async () => {
    stack = await startStack({ pauseCheckMs: 2_000 });
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30, pause_snoozes: false });
    await stack.run(MIN + 5_000);
    stack.emu.personPauses();
    await stack.run(10_000);
    expect((await view(id)).state).toBe('ringing');
  });
});

describe('test ring (POST /api/alarms/:id/test)', () => {
  it('rings now through the same path for up to 60 s, then pauses; last_result is untouched', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const kitchen = stack.deviceId('Kitchen Speaker');
    const id = await alarm({
      time: '09:00',
      context_uri: uri,
      device: 'Kitchen Speaker',
      volume: 40,
      fade_in_seconds: 9,
    });
    const res = await stack.call('POST', `/api/alarms/${id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, testing: true });
    await stack.run(15_000);
    expect(stack.emu.playback()).toMatchObject({ deviceId: kitchen, isPlaying: true });
    expect(stack.emu.deviceVolume(kitchen)).toBe(40);
    await stack.run(50_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()?.isPlaying).toBe(false);
    const v = await view(id);
    expect(v).toMatchObject({ state: 'idle', testing: false, last_result: null });
    expect(v.last_test).toMatchObject({ status: 'fired', device: 'Kitchen Speaker', volume: 40 });
  });

  it('stops on request, answers 409 while ringing and 404 for an unknown alarm', async () => {
    stack = await startStack();
    const uri = await stack.playlist();
    const id = await alarm({ time: '09:00', context_uri: uri });
    await stack.call('POST', `/api/alarms/${id}/test`);
    await stack.run(3_000);
    expect((await stack.call('POST', `/api/alarms/${id}/test`)).status).toBe(409);
    expect((await stack.call('POST', `/api/alarms/${id}/stop`)).status).toBe(200);
    expect(stack.emu.playback()?.isPlaying).toBe(false);
    expect((await stack.call('POST', '/api/alarms/nope/test')).status).toBe(404);
    expect((await stack.call('POST', `/api/alarms/${id}/test`, { minutes: 3 })).body).toMatchObject({
      error: { status: 400, field: 'minutes' },
    });
  });
});

describe('fallback sound', () => {
  it('rings when Spotify has not played 120 s after the alarm time, and stops when the music starts', async () => {
    let fallback!: RecordingFallback;
    stack = await startStack({
      fallback: { start: (a, r) => fallback.start(a, r), stop: (a) => fallback.stop(a) },
    });
    fallback = new RecordingFallback(stack.clock);
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN - 1_000);
    stack.emu.startOutage();
    await stack.run(119_000, 2_000);
    expect(fallback.calls).toEqual([]);
    await stack.run(4_000);
    expect(fallback.calls).toMatchObject([
      { what: 'start', alarmId: id, reason: expect.stringContaining('503') },
    ]);
    let v = await view(id);
    expect(v).toMatchObject({ fallback_sound: true, last_result: { status: 'fallback_sound' } });
    stack.emu.endOutage();
    await stack.run(40_000, 2_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()?.isPlaying).toBe(true);
    expect(fallback.calls.map((c) => c.what)).toEqual(['start', 'stop']);
    v = await view(id);
    expect(v).toMatchObject({ fallback_sound: false, state: 'ringing', last_result: { status: 'fired' } });
    expect(v.last_result.reason).toContain('fallback sound');
  });

  it('keeps ringing when Spotify is down for good, until stopped', async () => {
    let fallback!: RecordingFallback;
    stack = await startStack({
      fallback: { start: (a, r) => fallback.start(a, r), stop: (a) => fallback.stop(a) },
    });
    fallback = new RecordingFallback(stack.clock);
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN - 1_000);
    stack.emu.startOutage({ mode: 'reset' });
    await stack.run(12 * MIN, 10_000);
    await stack.scheduler.idle();
    const v = await view(id);
    expect(v).toMatchObject({
      state: 'ringing',
      fallback_sound: true,
      last_result: { status: 'fallback_sound' },
    });
    expect(v.last_result.reason).toMatch(/Spotify could not play/);
    await stack.call('POST', `/api/alarms/${id}/stop`);
    expect(fallback.ringing.size).toBe(0);
    expect((await view(id)).fallback_sound).toBe(false);
  });
  it('after a restart while only the fallback sound rang, rings it again and keeps trying Spotify', async () => {
    let fallback!: RecordingFallback;
    stack = await startStack({
      fallback: { start: (a, r) => fallback.start(a, r), stop: (a) => fallback.stop(a) },
    });
    fallback = new RecordingFallback(stack.clock);
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri, volume: 30 });
    await stack.run(MIN - 1_000);
    stack.emu.startOutage();
    await stack.run(3 * MIN, 5_000);
    expect((await view(id)).fallback_sound).toBe(true);
    await stack.restart({}, 30_000);
    await stack.run(5_000);
    expect(fallback.calls.filter((c) => c.what === 'start')).toHaveLength(2);
    expect((await view(id)).fallback_sound).toBe(true);
    stack.emu.endOutage();
    await stack.run(40_000, 2_000);
    await stack.scheduler.idle();
    expect(stack.emu.playback()?.isPlaying).toBe(true);
    expect(await view(id)).toMatchObject({
      state: 'ringing',
      fallback_sound: false,
      last_result: { status: 'fired' },
    });
  });
});

describe('readiness in the view', () => {
  it('is null without a preflight and carries the preflight verdict when one is supplied', async () => {
    stack = await startStack({
      readinessOf: (alarmId) =>
        alarmId === 'none'
          ? null
          : {
              status: 'warning',
              reasons: ['Spotify needs a new login'],
              checked_at: '2026-01-05T06:00:00.000Z',
            },
    });
    const uri = await stack.playlist();
    const id = await alarm({ context_uri: uri });
    expect((await view(id)).readiness).toMatchObject({
      status: 'warning',
      reasons: ['Spotify needs a new login'],
    });
    await stack.restart({ readinessOf: undefined });
    expect((await view(id)).readiness).toBeNull();
  });
});
