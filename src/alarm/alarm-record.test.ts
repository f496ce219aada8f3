import { describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { type Ring, snoozedRing } from './alarm-record.js';

describe('snoozedRing', () => {
  it('keeps the occurrence and the device, ends after the minutes given and counts one more snooze', () => {
    const clock = new ManualClock();
    const ringing: Ring = {
      state: 'ringing',
      since: clock.now(),
      occurrence: clock.now(),
      due: clock.now(),
      snoozeCount: 1,
      deviceId: 'pi',
      deviceName: 'Bedroom Pi',
      fade: { from: 0, to: 50, startedAt: clock.now(), durationMs: 60_000 },
      fallback: true,
    };
    const now = clock.now() + 120_000;
    expect(snoozedRing(ringing, now, 9)).toEqual({
      state: 'snoozed',
      since: now,
      occurrence: ringing.occurrence,
      snoozedUntil: now + 9 * 60_000,
      snoozeCount: 2,
      deviceId: 'pi',
      deviceName: 'Bedroom Pi',
    });
  });

  it('names no device when the ring never reached one', () => {
    const clock = new ManualClock();
    const starting: Ring = { state: 'starting', since: clock.now(), occurrence: clock.now(), snoozeCount: 0 };
    const snoozed = snoozedRing(starting, clock.now(), 5);
    expect(snoozed).not.toHaveProperty('deviceId');
    expect(snoozed).not.toHaveProperty('deviceName');
    expect(snoozed.snoozeCount).toBe(1);
  });
});
