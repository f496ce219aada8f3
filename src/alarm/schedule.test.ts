import { describe, expect, it } from 'vitest';
import type { Day } from './model.js';
import { formatInZone, latestFireBetween, nextFireTime } from './schedule.js';

const berlin = (time: string, days: Day[] = []) => ({ time, days, timezone: 'Europe/Berlin' });
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('nextFireTime', () => {
  it('returns the same day when the time is still ahead', () => {
    // 2026-01-05 is a Monday; 06:00Z = 07:00 in Berlin.
    expect(iso(nextFireTime(berlin('07:30'), Date.UTC(2026, 0, 5, 6, 0)))).toBe('2026-01-05T06:30:00.000Z');
  });

  it('returns the next day when the time has passed today', () => {
    expect(iso(nextFireTime(berlin('06:30'), Date.UTC(2026, 0, 5, 6, 0)))).toBe('2026-01-06T05:30:00.000Z');
  });

  it('is strictly after the given instant', () => {
    const at = Date.UTC(2026, 0, 5, 6, 30);
    expect(iso(nextFireTime(berlin('07:30'), at))).toBe('2026-01-06T06:30:00.000Z');
  });

  it('only picks the listed weekdays', () => {
    // From Monday 2026-01-05 08:00 local: next Wed then Sat.
    const r = berlin('07:30', ['wed', 'sat']);
    const first = nextFireTime(r, Date.UTC(2026, 0, 5, 7, 0));
    expect(iso(first)).toBe('2026-01-07T06:30:00.000Z');
    expect(iso(nextFireTime(r, first!))).toBe('2026-01-10T06:30:00.000Z');
  });

  it('treats sunday as the last ISO day', () => {
    expect(iso(nextFireTime(berlin('09:00', ['sun']), Date.UTC(2026, 0, 5, 7, 0)))).toBe(
      '2026-01-11T08:00:00.000Z',
    );
  });

  it('fires a nonexistent spring-forward time at the first valid minute after the gap', () => {
    // Berlin 2026-03-29: 02:00 CET -> 03:00 CEST; 02:30 does not exist; 03:00 CEST = 01:00Z.
    const r = berlin('02:30');
    const fire = nextFireTime(r, Date.UTC(2026, 2, 28, 12, 0));
    expect(iso(fire)).toBe('2026-03-29T01:00:00.000Z');
    expect(formatInZone(fire!, 'Europe/Berlin')).toBe('2026-03-29T03:00:00+02:00');
    // And the day after is a normal 02:30 CEST again.
    expect(iso(nextFireTime(r, fire!))).toBe('2026-03-30T00:30:00.000Z');
  });

  it('fires a repeated fall-back time once, at its first occurrence', () => {
    // Berlin 2026-10-25: 03:00 CEST -> 02:00 CET; 02:30 happens at 00:30Z and again at 01:30Z.
    const r = berlin('02:30');
    const fire = nextFireTime(r, Date.UTC(2026, 9, 24, 12, 0));
    expect(iso(fire)).toBe('2026-10-25T00:30:00.000Z');
    const after = nextFireTime(r, fire!);
    expect(iso(after)).toBe('2026-10-26T01:30:00.000Z');
  });

  it('never fires the second pass of a repeated time, even when asked from between the two', () => {
    // 00:45Z is 02:45 CEST, after the first 02:30 and before the second (01:30Z).
    expect(iso(nextFireTime(berlin('02:30'), Date.UTC(2026, 9, 25, 0, 45)))).toBe('2026-10-26T01:30:00.000Z');
  });

  it('fires a time repeated by a 30-minute fall-back once, at its first pass (Lord Howe)', () => {
    // 2026-04-05 02:00 +11:00 -> 01:30 +10:30: 01:30 happens at 14:30Z and again at 15:00Z.
    const r = { time: '01:30', days: [] as Day[], timezone: 'Australia/Lord_Howe' };
    const fire = nextFireTime(r, Date.UTC(2026, 3, 4, 12, 0));
    expect(iso(fire)).toBe('2026-04-04T14:30:00.000Z');
    expect(iso(nextFireTime(r, fire!))).toBe('2026-04-05T15:00:00.000Z');
  });

  it('corrects the gap for a weekday-only alarm on the spring-forward Sunday', () => {
    expect(iso(nextFireTime(berlin('02:30', ['sun']), Date.UTC(2026, 2, 27, 0, 0)))).toBe(
      '2026-03-29T01:00:00.000Z',
    );
    expect(iso(nextFireTime(berlin('02:00', ['sun']), Date.UTC(2026, 2, 27, 0, 0)))).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('honours other zones, including a negative offset', () => {
    const r = { time: '06:00', days: [] as Day[], timezone: 'America/New_York' };
    const fire = nextFireTime(r, Date.UTC(2026, 6, 1, 0, 0));
    expect(iso(fire)).toBe('2026-07-01T10:00:00.000Z');
    expect(formatInZone(fire!, r.timezone)).toBe('2026-07-01T06:00:00-04:00');
  });
});

describe('latestFireBetween', () => {
  it('finds the most recent occurrence in a window and nothing in an empty one', () => {
    const r = berlin('07:00');
    expect(iso(latestFireBetween(r, Date.UTC(2026, 0, 3, 0, 0), Date.UTC(2026, 0, 5, 12, 0)))).toBe(
      '2026-01-05T06:00:00.000Z',
    );
    expect(latestFireBetween(r, Date.UTC(2026, 0, 5, 7, 0), Date.UTC(2026, 0, 5, 12, 0))).toBeUndefined();
  });
});

describe('formatInZone', () => {
  it('prints UTC with a +00:00 offset', () => {
    expect(formatInZone(Date.UTC(2026, 0, 1, 0, 0, 5), 'UTC')).toBe('2026-01-01T00:00:05+00:00');
  });
});
