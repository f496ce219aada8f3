import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAYS, type Day } from './model.js';
import { nextFireTime, zonedParts } from './schedule.js';

// Zones with ordinary DST, southern-hemisphere DST, a 30-minute DST shift and none at all.
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Asia/Kolkata',
  'UTC',
];
const MIN = 60_000;

function weekday(ms: number, tz: string): Day {
  const p = zonedParts(ms, tz);
  // Day of week of the local calendar date (UTC arithmetic on the date alone).
  const dow = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
  return DAYS[(dow + 6) % 7]!;
}

function matches(ms: number, tz: string, time: string, days: readonly Day[]): boolean {
  const p = zonedParts(ms, tz);
  const hhmm = `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
  return hhmm === time && (days.length === 0 || days.includes(weekday(ms, tz)));
}

/** Instants in 2026 at which `tz` changes its offset (hour resolution is enough to aim near them). */
function transitions(tz: string): number[] {
  const out: number[] = [];
  let prev = zonedParts(Date.UTC(2026, 0, 1), tz).offsetMinutes;
  for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3_600_000) {
    const off = zonedParts(t, tz).offsetMinutes;
    if (off !== prev) out.push(t);
    prev = off;
  }
  return out;
}

/** True when `t` is the second pass of a wall-clock time repeated by a fall-back. */
function isSecondPass(t: number, tz: string): boolean {
  const delta = zonedParts(t - 3 * 3_600_000, tz).offsetMinutes - zonedParts(t, tz).offsetMinutes;
  if (delta <= 0) return false;
  const a = zonedParts(t, tz);
  const b = zonedParts(t - delta * MIN, tz);
  return a.hour === b.hour && a.minute === b.minute;
}

function check(tz: string, time: string, days: Day[], after: number): void {
  const r = nextFireTime({ time, days, timezone: tz }, after);
  expect(r).toBeDefined();
  const fire = r!;
  expect(fire).toBeGreaterThan(after);
  expect(fire % MIN).toBe(0);
  expect(isSecondPass(fire, tz), 'fired at the second pass of a repeated time').toBe(false);
  if (!matches(fire, tz, time, days)) {
    // Only allowed at the end of a spring-forward gap that swallowed the time.
    expect(zonedParts(fire - MIN, tz).offsetMinutes).toBeLessThan(zonedParts(fire, tz).offsetMinutes);
    if (days.length > 0) expect(days).toContain(weekday(fire, tz));
  }
  // Nothing matching was skipped between the start and the answer (a repeated time's second pass aside).
  for (let t = Math.ceil((after + 1) / MIN) * MIN; t < fire; t += MIN) {
    if (matches(t, tz, time, days) && !isSecondPass(t, tz)) {
      throw new Error(`skipped ${new Date(t).toISOString()} in ${tz}`);
    }
  }
}

describe('nextFireTime (properties)', () => {
  it('behaves around every 2026 DST transition of zones that have one', () => {
    const cases = ZONES.flatMap((tz) => transitions(tz).map((t) => ({ tz, t })));
    expect(cases.length).toBeGreaterThanOrEqual(8);
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        // Times near the usual transition hours, and any other.
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 23 })),
        fc.integer({ min: 0, max: 59 }),
        fc.subarray([...DAYS]),
        fc.integer({ min: -36 * 60, max: 4 * 60 }),
        ({ tz, t }, h, m, days, offsetMin) => {
          const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
          check(tz, time, days, t + offsetMin * MIN);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('returns the first matching minute after the start, or the end of a DST gap on the right day', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.subarray([...DAYS]),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 20) }),
        (tz, h, m, days, after) => {
          const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
          check(tz, time, days, after);
        },
      ),
      { numRuns: 40 },
    );
  });
});
