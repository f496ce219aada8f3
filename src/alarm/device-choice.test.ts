import { describe, expect, it } from 'vitest';
import { chooseDevice } from './device-choice.js';
import type { RememberedDevice } from './device-memory.js';
import { NoDeviceError } from './error-kinds.js';

const bath: RememberedDevice = {
  id: 'dev-bath',
  name: 'Bathroom',
  type: 'Speaker',
  last_seen: '2026-01-04T22:00:00.000Z',
};
const phone = { id: 'dev-phone', name: 'Phone', is_active: true, supports_volume: false };
const kitchen = { id: 'dev-kitchen', name: 'Kitchen', is_active: false };
const memory = (idOrName: string) =>
  idOrName === bath.id || idOrName.toLowerCase() === 'bathroom' ? bath : undefined;
const base = { remembered: memory, lastSeen: undefined, waitedMs: 0, fallbackAfterMs: 120_000 };

describe('chooseDevice', () => {
  it('takes the configured device when it is listed (by id or name, any case)', () => {
    expect(chooseDevice({ ...base, listed: [phone, kitchen], preferred: 'kitchen' })).toMatchObject({
      id: 'dev-kitchen',
      how: 'preferred',
      active: false,
    });
    expect(chooseDevice({ ...base, listed: [phone, kitchen], preferred: 'dev-phone' })).toMatchObject({
      how: 'preferred',
      supportsVolume: false,
    });
  });

  it('addresses an unlisted configured device by its remembered id until the wait is over', () => {
    const c = chooseDevice({ ...base, listed: [phone, kitchen], preferred: 'Bathroom', waitedMs: 119_999 });
    expect(c).toMatchObject({ id: 'dev-bath', how: 'remembered' });
    expect(c.why).toBeUndefined();
  });

  it('falls back to the active device after the wait, saying why', () => {
    const c = chooseDevice({ ...base, listed: [kitchen, phone], preferred: 'Bathroom', waitedMs: 120_000 });
    expect(c).toMatchObject({ id: 'dev-phone', how: 'active', why: 'Bathroom did not answer for 120 s' });
  });

  it('keeps knocking on the remembered device when nothing else is listed, even after the wait', () => {
    expect(chooseDevice({ ...base, listed: [], preferred: 'Bathroom', waitedMs: 600_000 })).toMatchObject({
      id: 'dev-bath',
    });
  });

  it('asks to retry (NoDeviceError) for an unknown configured device until the wait is over', () => {
    expect(() => chooseDevice({ ...base, listed: [phone], preferred: 'Garage' })).toThrow(NoDeviceError);
    expect(
      chooseDevice({ ...base, listed: [kitchen], preferred: 'Garage', waitedMs: 120_000 }),
    ).toMatchObject({ id: 'dev-kitchen', how: 'any', why: 'Garage did not answer for 120 s' });
  });

  it('without a configured device: active, else first listed, else the last one seen, else retry', () => {
    expect(chooseDevice({ ...base, listed: [kitchen, phone], preferred: null })).toMatchObject({
      id: 'dev-phone',
      how: 'active',
    });
    expect(chooseDevice({ ...base, listed: [kitchen], preferred: null })).toMatchObject({
      id: 'dev-kitchen',
      how: 'any',
    });
    expect(chooseDevice({ ...base, listed: [], preferred: null, lastSeen: bath })).toMatchObject({
      id: 'dev-bath',
      how: 'remembered',
    });
    expect(() => chooseDevice({ ...base, listed: [], preferred: null })).toThrow(NoDeviceError);
  });

  it('ignores restricted devices and devices without an id', () => {
    const restricted = { id: 'dev-r', name: 'Kitchen', is_active: true, is_restricted: true };
    const noId = { id: null, name: 'Kitchen', is_active: true };
    expect(() => chooseDevice({ ...base, listed: [restricted, noId], preferred: null })).toThrow(
      NoDeviceError,
    );
  });
});
