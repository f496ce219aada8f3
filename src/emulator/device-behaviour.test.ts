/**
 * The emulator's device behaviours over real HTTP, in Spotify's documented shapes: a
 * volume-locked device, lagging and rounding volume reports, idle speakers, outages and a
 * person at the speaker.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { IDLE_DEMO_SPEAKER } from './device-behaviour.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './types.js';

let emu: RunningEmulator;
let clock: ManualClock;
let token: string;

beforeEach(async () => {
  clock = new ManualClock();
  emu = await startEmulator({ clock });
  token = emu.issueAccessToken().accessToken;
});
afterEach(() => emu.close());

// biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the tests assert on field by field
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const id = (name: string) => emu.devices().find((d) => d.name === name)!.id;
const listed = async () =>
  (await call('GET', '/v1/me/player/devices')).json.devices as {
    name: string;
    volume_percent: number | null;
  }[];

describe('emulator device behaviours', () => {
  it('a volume-locked device is listed with supports_volume false and answers 403 VOLUME_CONTROL_DISALLOW', async () => {
    const tv = (await listed()).find((d) => d.name === 'Living Room TV');
    expect(tv).toMatchObject({ supports_volume: false, volume_percent: null });
    const res = await call('PUT', `/v1/me/player/volume?volume_percent=40&device_id=${id('Living Room TV')}`);
    expect(res).toEqual({
      status: 403,
      json: {
        error: {
          status: 403,
          message: 'Player command failed: Cannot control device volume',
          reason: 'VOLUME_CONTROL_DISALLOW',
        },
      },
    });
  });

  it('reports a volume change only after the lag, rounded to the step', async () => {
    const kitchen = id('Kitchen Speaker');
    emu.configureDevice(kitchen, { volumeLagMs: 3_000, volumeStepPercent: 10 });
    expect((await call('PUT', `/v1/me/player/volume?volume_percent=24&device_id=${kitchen}`)).status).toBe(
      204,
    );
    const report = async () => (await listed()).find((d) => d.name === 'Kitchen Speaker')!.volume_percent;
    expect(await report()).toBe(60); // 55 before, rounded
    await clock.advance(2_999);
    expect(await report()).toBe(60);
    await clock.advance(1);
    expect(await report()).toBe(20);
    expect(emu.deviceVolume(kitchen)).toBe(24);
    emu.configureDevice(kitchen, {});
    expect(await report()).toBe(24);
  });

  it('an idle speaker is not listed, yet a transfer by id wakes it and it is listed again', async () => {
    expect((await listed()).map((d) => d.name)).not.toContain(IDLE_DEMO_SPEAKER.name);
    expect(
      (await call('PUT', `/v1/me/player/volume?volume_percent=10&device_id=${IDLE_DEMO_SPEAKER.id}`)).status,
    ).toBe(404);
    expect((await call('PUT', '/v1/me/player', { device_ids: [IDLE_DEMO_SPEAKER.id] })).status).toBe(204);
    expect((await listed()).map((d) => d.name)).toContain(IDLE_DEMO_SPEAKER.name);
    expect(emu.playback()?.deviceId).toBe(IDLE_DEMO_SPEAKER.id);
  });

  it('play?device_id= wakes an idle speaker too; a gone device stays 404', async () => {
    emu.setDeviceIdle('Kitchen Speaker', true);
    expect((await listed()).map((d) => d.name)).not.toContain('Kitchen Speaker');
    expect(
      (
        await call('PUT', `/v1/me/player/play?device_id=${id('Kitchen Speaker')}`, {
          context_uri: 'spotify:collection:tracks',
        })
      ).status,
    ).toBe(204);
    expect(emu.playback()).toMatchObject({ deviceId: id('Kitchen Speaker'), isPlaying: true });
    emu.setDeviceAvailable(id('Bedroom Pi'), false);
    expect((await call('PUT', '/v1/me/player', { device_ids: [id('Bedroom Pi')] })).status).toBe(404);
  });

  it('an outage answers 503 for its window on the emulator clock, then ends by itself', async () => {
    emu.startOutage({ forMs: 10_000 });
    expect(await call('GET', '/v1/me/player/devices')).toEqual({
      status: 503,
      json: { error: { status: 503, message: 'Service unavailable' } },
    });
    await clock.advance(10_000);
    expect((await call('GET', '/v1/me/player/devices')).status).toBe(200);
  });

  it('a reset outage drops connections until ended', async () => {
    emu.startOutage({ mode: 'reset' });
    await expect(call('GET', '/v1/me/player/devices')).rejects.toThrow();
    emu.endOutage();
    expect((await call('GET', '/v1/me/player/devices')).status).toBe(200);
    expect(() => emu.startOutage({ status: 404 })).toThrow(RangeError);
  });

  it('a person at the speaker can turn a locked device and pause playback', async () => {
    await call('PUT', `/v1/me/player/play?device_id=${id('Bedroom Pi')}`, {});
    emu.personSetsVolume('Living Room TV', 12);
    expect(emu.deviceVolume('Living Room TV')).toBe(12);
    expect(emu.personPauses()).toBe(true);
    expect((await call('GET', '/v1/me/player')).json.is_playing).toBe(false);
    expect(emu.personPauses()).toBe(false);
  });

  it('the admin routes drive outages, idle speakers, lagging reports and the person, naming a bad field', async () => {
    const admin = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${emu.url}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
    expect((await admin('POST', '/__emulator/outage', { mode: 'sometimes' })).json.error.field).toBe('mode');
    expect((await admin('POST', '/__emulator/outage', { forMs: 5_000, status: 502 })).status).toBe(204);
    expect((await call('GET', '/v1/me/player/devices')).status).toBe(502);
    expect((await admin('DELETE', '/__emulator/outage')).status).toBe(204);
    expect((await call('GET', '/v1/me/player/devices')).status).toBe(200);

    expect(
      (
        await admin('POST', '/__emulator/devices/Kitchen%20Speaker/behaviour', {
          idle: true,
          volumeStepPercent: 10,
        })
      ).status,
    ).toBe(204);
    expect((await listed()).map((d) => d.name)).not.toContain('Kitchen Speaker');
    expect((await admin('POST', '/__emulator/devices/nope/behaviour', { idle: true })).status).toBe(404);
    expect(
      (await admin('POST', '/__emulator/devices/Kitchen%20Speaker/behaviour', { volumeLagMs: -1 })).json.error
        .field,
    ).toBe('volumeLagMs');

    await call('PUT', `/v1/me/player/play?device_id=${id('Bedroom Pi')}`, {});
    expect(
      (await admin('POST', '/__emulator/person', { device: 'Bedroom Pi', volume: 33, pause: true })).json,
    ).toEqual({ paused: true });
    expect(emu.deviceVolume('Bedroom Pi')).toBe(33);
    expect((await admin('POST', '/__emulator/person', { volume: 10 })).json.error.field).toBe('device');
  });
});
