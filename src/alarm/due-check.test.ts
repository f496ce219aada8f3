import { describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import type { Ring } from './alarm-record.js';
import { afterRestart, nextFire, ringDue, scheduleDue } from './due-check.js';
import type { AlarmSpec, Day } from './model.js';

const MIN = 60_000;
const GRACE = 10 * MIN;
const timings = { graceMs: GRACE, ringTimeoutMs: 60 * MIN };

/** An alarm at 07:00 UTC, anchored at the clock's start (Monday 2026-01-05 06:00 UTC). */
function alarm(clock: ManualClock, over: Partial<AlarmSpec> = {}, days: Day[] = []) {
  const spec: AlarmSpec = {
    id: 'a',
    label: 'Work',
    time: '07:00',
    days,
    timezone: 'UTC',
    context_uri: 'spotify:playlist:x',
    shuffle: false,
    device: null,
    volume: 50,
    fade_in_seconds: 0,
    enabled: true,
    pause_snoozes: true,
    ...over,
  };
  return { spec, runtime: { anchorAt: clock.now() } };
}

const SEVEN = Date.UTC(2026, 0, 5, 7, 0);

function ring(over: Partial<Ring>): Ring {
  return { state: 'ringing', since: SEVEN, occurrence: SEVEN, snoozeCount: 0, ...over };
}

describe('scheduleDue', () => {
  it('says a disabled alarm has nothing to fire', async () => {
    const clock = new ManualClock();
    expect(nextFire(alarm(clock, { enabled: false }))).toBeUndefined();
    expect(scheduleDue(alarm(clock, { enabled: false }), clock.now(), GRACE)).toEqual({ kind: 'none' });
  });

  it('says an alarm comes later until its time', async () => {
    const clock = new ManualClock();
    const a = alarm(clock);
    await clock.advance(59 * MIN);
    expect(scheduleDue(a, clock.now(), GRACE)).toEqual({ kind: 'upcoming', at: SEVEN });
  });

  it('fires a one-off alarm at its time and marks it one-off', async () => {
    const clock = new ManualClock();
    const a = alarm(clock);
    await clock.advanceTo(SEVEN);
    expect(scheduleDue(a, clock.now(), GRACE)).toEqual({ kind: 'fire', occurrence: SEVEN, oneOff: true });
  });

  it('still fires an alarm up to the grace window late, and calls it missed after that', async () => {
    const clock = new ManualClock();
    const a = alarm(clock, {}, ['mon', 'tue']);
    await clock.advanceTo(SEVEN + GRACE);
    expect(scheduleDue(a, clock.now(), GRACE)).toEqual({ kind: 'fire', occurrence: SEVEN, oneOff: false });
    await clock.advance(1);
    expect(scheduleDue(a, clock.now(), GRACE)).toEqual({ kind: 'missed', occurrence: SEVEN, oneOff: false });
  });

  it('counts only the latest of several occurrences passed while asleep', async () => {
    const clock = new ManualClock();
    const a = alarm(clock, {}, ['mon', 'tue', 'wed']);
    // Wednesday 07:05: Monday's and Tuesday's are long gone; Wednesday's is within grace.
    await clock.advanceTo(SEVEN + 2 * 24 * 60 * MIN + 5 * MIN);
    expect(scheduleDue(a, clock.now(), GRACE)).toEqual({
      kind: 'fire',
      occurrence: SEVEN + 2 * 24 * 60 * MIN,
      oneOff: false,
    });
  });
});

describe('ringDue', () => {
  it('has nothing to do without a ring, and leaves a starting or ringing one to the ringer', () => {
    expect(ringDue(undefined, SEVEN, GRACE)).toEqual({ kind: 'none' });
    expect(ringDue(ring({ state: 'starting' }), SEVEN, GRACE)).toEqual({ kind: 'live' });
    expect(ringDue(ring({}), SEVEN, GRACE)).toEqual({ kind: 'live' });
  });

  it('waits for a snooze to end, then rings again due at its end', async () => {
    const clock = new ManualClock(SEVEN);
    const snoozed = ring({ state: 'snoozed', snoozedUntil: SEVEN + 9 * MIN, snoozeCount: 1 });
    expect(ringDue(snoozed, clock.now(), GRACE)).toEqual({ kind: 'snoozing', until: SEVEN + 9 * MIN });
    await clock.advance(9 * MIN);
    expect(ringDue(snoozed, clock.now(), GRACE)).toEqual({ kind: 'snooze_over', due: SEVEN + 9 * MIN });
  });

  it('calls a snooze that ended more than the grace window ago lapsed', async () => {
    const clock = new ManualClock(SEVEN);
    const snoozed = ring({ state: 'snoozed', snoozedUntil: SEVEN + 9 * MIN, snoozeCount: 1 });
    await clock.advance(9 * MIN + GRACE + 1);
    expect(ringDue(snoozed, clock.now(), GRACE)).toEqual({ kind: 'snooze_lapsed' });
  });
});

describe('afterRestart', () => {
  it('leaves alarms without a ring and snoozed ones to the loop', () => {
    expect(afterRestart(undefined, SEVEN, timings)).toEqual({ kind: 'none' });
    expect(afterRestart(ring({ state: 'snoozed', snoozedUntil: SEVEN + MIN }), SEVEN, timings)).toEqual({
      kind: 'none',
    });
  });

  it('ends a test ring instead of ringing it again', () => {
    expect(afterRestart(ring({ state: 'starting', test: true }), SEVEN, timings)).toEqual({
      kind: 'end_test',
    });
  });

  it('resumes a ring that was starting within the grace window, counted from a snooze end', async () => {
    const clock = new ManualClock(SEVEN);
    await clock.advance(15 * MIN);
    const starting = ring({ state: 'starting', due: SEVEN + 9 * MIN, snoozeCount: 1 });
    expect(afterRestart(starting, clock.now(), timings)).toEqual({
      kind: 'refire',
      due: SEVEN + 9 * MIN,
      event: 'resumed',
    });
  });

  it('starts over a ring that only had the fallback sound, as newly due', () => {
    const fallbackOnly = ring({ state: 'ringing', fallback: true });
    expect(afterRestart(fallbackOnly, SEVEN + MIN, timings)).toEqual({
      kind: 'refire',
      due: SEVEN,
      event: 'due',
    });
  });

  it('drops a ring past the grace window as missed, unless the fallback sound rang', () => {
    const late = SEVEN + GRACE + 1;
    expect(afterRestart(ring({ state: 'starting' }), late, timings)).toEqual({
      kind: 'expire',
      missed: true,
    });
    expect(afterRestart(ring({ state: 'ringing', fallback: true }), late, timings)).toEqual({
      kind: 'expire',
      missed: false,
    });
  });

  it('resumes a fade until the ring times out, and leaves a plain ringing alarm alone', () => {
    const fade = { from: 0, to: 50, startedAt: SEVEN, durationMs: 60_000 };
    const fading = ring({ deviceId: 'pi', fade });
    expect(afterRestart(fading, SEVEN + MIN, timings)).toEqual({ kind: 'resume_fade', plan: fade });
    expect(afterRestart(fading, SEVEN + 60 * MIN, timings)).toEqual({ kind: 'none' });
    expect(afterRestart(ring({ deviceId: 'pi' }), SEVEN + MIN, timings)).toEqual({ kind: 'none' });
  });
});
