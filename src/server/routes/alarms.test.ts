import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakePlayer } from '../../alarm/fake-player.js';
import { AlarmScheduler } from '../../alarm/scheduler.js';
import { SleepTimer } from '../../alarm/sleep-timer.js';
import { RecordingLogger, tempStateDir } from '../../alarm/test-helpers.js';
import { ManualClock } from '../../token/manual-clock.js';
import { handleError } from '../errors.js';
import { alarmRoutes } from './alarms.js';
import { sleepRoutes } from './sleep.js';

let app: FastifyInstance;
let scheduler: AlarmScheduler;
let sleepTimer: SleepTimer;
let clock: ManualClock;
let player: FakePlayer;
let cleanup: () => Promise<void>;

const valid = {
  label: 'Work',
  time: '07:30',
  days: ['mon', 'tue'],
  timezone: 'Europe/Berlin',
  context_uri: 'spotify:playlist:37i9dQZF1DX0UrRvztWcAU',
  shuffle: true,
  device: 'Kitchen',
  volume: 40,
  fade_in_seconds: 30,
  enabled: true,
};

beforeEach(async () => {
  const tmp = await tempStateDir();
  cleanup = tmp.cleanup;
  clock = new ManualClock();
  player = new FakePlayer(undefined, clock);
  const logger = new RecordingLogger();
  scheduler = new AlarmScheduler({ stateDir: tmp.dir, player, defaultTimezone: 'UTC', clock, logger });
  sleepTimer = new SleepTimer({ stateDir: tmp.dir, player, clock, logger });
  await scheduler.start();
  await sleepTimer.start();
  app = Fastify();
  // The app's one error handler, as buildApp installs it.
  app.setErrorHandler(handleError);
  await app.register(alarmRoutes, { scheduler });
  await app.register(sleepRoutes, { sleepTimer });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await scheduler.close();
  await sleepTimer.close();
  await cleanup();
});

const post = (url: string, payload: unknown) =>
  app.inject({ method: 'POST', url, payload: payload as object });

describe('alarm routes', () => {
  it('creates an alarm (201) and lists, reads, patches, replaces and deletes it', async () => {
    const created = await post('/api/alarms', valid);
    expect(created.statusCode).toBe(201);
    const a = created.json();
    expect(a).toMatchObject({
      ...valid,
      next_fire_at: '2026-01-05T07:30:00+01:00',
      last_result: null,
      state: 'idle',
    });
    expect(created.headers.location).toBe(`/api/alarms/${a.id}`);

    expect((await app.inject({ url: '/api/alarms' })).json().alarms).toHaveLength(1);
    expect((await app.inject({ url: `/api/alarms/${a.id}` })).json().label).toBe('Work');

    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/alarms/${a.id}`,
      payload: { enabled: false },
    });
    expect(patched.json()).toMatchObject({ enabled: false, next_fire_at: null, label: 'Work' });

    const replaced = await app.inject({
      method: 'PUT',
      url: `/api/alarms/${a.id}`,
      payload: { time: '06:00', context_uri: 'liked' },
    });
    expect(replaced.json()).toMatchObject({ time: '06:00', label: 'Alarm', timezone: 'UTC', days: [] });

    const del = await app.inject({ method: 'DELETE', url: `/api/alarms/${a.id}` });
    expect(del.statusCode).toBe(204);
    expect((await app.inject({ url: `/api/alarms/${a.id}` })).statusCode).toBe(404);
  });

  it('reports the next alarm with when it fires, or null', async () => {
    expect((await app.inject({ url: '/api/alarms/next' })).json()).toEqual({ alarm: null });
    await post('/api/alarms', { ...valid, time: '09:00', label: 'later' });
    await post('/api/alarms', { ...valid, time: '08:00', label: 'sooner' });
    const next = (await app.inject({ url: '/api/alarms/next' })).json();
    expect(next.alarm).toMatchObject({
      label: 'sooner',
      fire_at: '2026-01-05T08:00:00+01:00',
      kind: 'alarm',
    });
    expect(next.alarm.in_seconds).toBe(3600);
  });

  it('snoozes and stops a ringing alarm, and answers 409 when it is not ringing', async () => {
    const a = (await post('/api/alarms', { ...valid, time: '07:01', fade_in_seconds: 0, days: [] })).json();
    expect((await post(`/api/alarms/${a.id}/snooze`, undefined)).statusCode).toBe(409);
    await clock.advance(60_000);
    await scheduler.idle();
    const snoozed = await post(`/api/alarms/${a.id}/snooze`, { minutes: 5 });
    expect(snoozed.statusCode).toBe(200);
    expect(snoozed.json()).toMatchObject({ state: 'snoozed', snoozed_until: '2026-01-05T07:06:00+01:00' });
    const bad = await post(`/api/alarms/${a.id}/snooze`, { minutes: 500 });
    expect(bad.json().error).toMatchObject({ status: 400, field: 'minutes' });
    const stopped = await post(`/api/alarms/${a.id}/stop`, undefined);
    expect(stopped.json().state).toBe('idle');
    const again = await post(`/api/alarms/${a.id}/stop`, undefined);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: { status: 409, message: expect.stringContaining('not ringing') } });
  });

  it('answers 404 with the JSON error shape for an unknown id', async () => {
    for (const [method, url] of [
      ['GET', '/api/alarms/nope'],
      ['PATCH', '/api/alarms/nope'],
      ['DELETE', '/api/alarms/nope'],
      ['POST', '/api/alarms/nope/snooze'],
      ['POST', '/api/alarms/nope/stop'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        ...(method === 'PATCH' ? { payload: { label: 'x' } } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error.status).toBe(404);
    }
  });

  const badFields: [string, Record<string, unknown>, string][] = [
    ['an hour of 25', { time: '25:00' }, 'time'],
    ['a minute of 60', { time: '07:60' }, 'time'],
    ['a time without a colon', { time: '0730' }, 'time'],
    ['a time given as a number', { time: 730 }, 'time'],
    ['an unknown day', { days: ['mon', 'funday'] }, 'days'],
    ['a repeated day', { days: ['mon', 'mon'] }, 'days'],
    ['days that is not a list', { days: 'mon' }, 'days'],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'timezone'],
    ['a volume of 120', { volume: 120 }, 'volume'],
    ['a negative volume', { volume: -1 }, 'volume'],
    ['a fractional volume', { volume: 40.5 }, 'volume'],
    ['a volume given as a string', { volume: '40' }, 'volume'],
    ['a negative fade', { fade_in_seconds: -5 }, 'fade_in_seconds'],
    ['a fade of two hours', { fade_in_seconds: 7200 }, 'fade_in_seconds'],
    ['a context that is not a Spotify URI', { context_uri: 'https://open.spotify.com/x' }, 'context_uri'],
    ['a shuffle that is not a boolean', { shuffle: 'yes' }, 'shuffle'],
    ['an enabled that is not a boolean', { enabled: 1 }, 'enabled'],
    ['an empty device name', { device: '' }, 'device'],
    ['a label of 500 characters', { label: 'x'.repeat(500) }, 'label'],
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['an id in the body', { id: 'mine' }, 'id'],
  ];

  for (const [what, change, field] of badFields) {
    it(`rejects ${what} with 400 naming ${field}`, async () => {
      for (const res of [
        await post('/api/alarms', { ...valid, ...change }),
        await app.inject({
          method: 'PATCH',
          url: `/api/alarms/${(await post('/api/alarms', valid)).json().id}`,
          payload: change,
        }),
      ]) {
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatchObject({ status: 400, field });
        expect(typeof res.json().error.message).toBe('string');
      }
    });
  }

  it('says in words which type a field needs', async () => {
    for (const [change, message] of [
      [{ volume: '40' }, 'volume must be a number'],
      [{ volume: 40.5 }, 'volume must be a whole number'],
      [{ days: 'mon' }, 'days must be a list'],
      [{ shuffle: 'yes' }, 'shuffle must be true or false'],
      [{ device: 3 }, 'device must be a string or null'],
      [{ label: 7 }, 'label must be a string'],
    ] as const) {
      const res = await post('/api/alarms', { ...valid, ...change });
      expect(res.json().error.message, JSON.stringify(change)).toBe(message);
    }
  });

  it('stores a time zone under its canonical name', async () => {
    const res = await post('/api/alarms', { ...valid, timezone: 'europe/berlin' });
    expect(res.statusCode).toBe(201);
    expect(res.json().timezone).toBe('Europe/Berlin');
    expect(res.json().next_fire_at).toMatch(/\+01:00$/);
  });

  it('rejects a snooze body that is not an object, naming the body', async () => {
    const a = (await post('/api/alarms', { ...valid, time: '07:01', fade_in_seconds: 0, days: [] })).json();
    await clock.advance(60_000);
    await scheduler.idle();
    const res = await post(`/api/alarms/${a.id}/snooze`, [5]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ status: 400, message: 'body must be a JSON object', field: 'body' });
  });

  it('names a missing required field', async () => {
    const { time: _t, ...noTime } = valid;
    const res = await post('/api/alarms', noTime);
    expect(res.json().error).toEqual({ status: 400, message: 'time is required', field: 'time' });
  });

  it('rejects malformed JSON, a non-object body and an oversized body', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/alarms',
      headers: { 'content-type': 'application/json' },
      payload: '{"time": "07:30",',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toEqual({
      status: 400,
      message: 'The request body is not valid JSON.',
      field: 'body',
    });

    const list = await post('/api/alarms', [valid]);
    expect(list.statusCode).toBe(400);
    expect(list.json().error.message).toBe('body must be a JSON object');

    const huge = await post('/api/alarms', { ...valid, label: 'x'.repeat(20_000) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error).toMatchObject({ status: 413, field: 'body' });
  });

  it('rejects a plain-text body with 400 naming the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/alarms',
      headers: { 'content-type': 'text/plain' },
      payload: 'time=07:30',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ status: 400, message: 'body must be a JSON object', field: 'body' });
  });

  it('changes nothing when a request is rejected', async () => {
    await post('/api/alarms', { ...valid, volume: 120 });
    expect((await app.inject({ url: '/api/alarms' })).json().alarms).toEqual([]);
  });
});

describe('sleep routes', () => {
  it('starts, reports and cancels a sleep timer', async () => {
    const started = await post('/api/sleep', { minutes: 15, context_uri: 'spotify:album:abc', volume: 20 });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toMatchObject({ active: true, remaining_seconds: 900, device: 'Kitchen' });
    await clock.advance(60_000);
    expect((await app.inject({ url: '/api/sleep' })).json().remaining_seconds).toBe(840);
    const cancelled = await app.inject({ method: 'DELETE', url: '/api/sleep' });
    expect(cancelled.json()).toMatchObject({ cancelled: true, active: false });
    expect((await app.inject({ method: 'DELETE', url: '/api/sleep' })).json().cancelled).toBe(false);
  });

  it('rejects bad sleep input naming the field', async () => {
    for (const [body, field] of [
      [{ minutes: null }, 'minutes'],
      [{ minutes: 0 }, 'minutes'],
      [{ minutes: 'ten' }, 'minutes'],
      [{ minutes: 10, volume: 120 }, 'volume'],
      [{ minutes: 10, fade_out_seconds: -1 }, 'fade_out_seconds'],
      [{ minutes: 10, context_uri: 'nope' }, 'context_uri'],
      [{ minutes: 10, snooze: true }, 'snooze'],
    ] as const) {
      const res = await post('/api/sleep', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.field).toBe(field);
    }
  });

  it('reads and updates the sleep defaults', async () => {
    expect((await app.inject({ url: '/api/sleep/settings' })).json()).toMatchObject({
      minutes: 30,
      volume: 30,
    });
    const put = await app.inject({
      method: 'PUT',
      url: '/api/sleep/settings',
      payload: { volume: 15, device: 'Kitchen' },
    });
    expect(put.json()).toMatchObject({ volume: 15, device: 'Kitchen', minutes: 30 });
    const bad = await app.inject({ method: 'PUT', url: '/api/sleep/settings', payload: { volume: 101 } });
    expect(bad.json().error.field).toBe('volume');
  });
});
