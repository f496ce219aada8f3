import { Cron } from 'croner';
import { DAYS, type Day } from './model.js';

/** What the fire-time computation needs from an alarm. */
export interface Recurrence {
  time: string;
  days: readonly Day[];
  timezone: string;
}

/** Wall-clock fields of an instant in a zone. */
export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset from UTC in minutes (east positive). */
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock reading and UTC offset of `ms` in `tz`. */
export function zonedParts(ms: number, tz: string): ZonedParts {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  const m = /GMT(?:([+-])(\d{2}):(\d{2}))?/.exec(parts.timeZoneName ?? '');
  const offsetMinutes = m?.[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    offsetMinutes,
  };
}

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** ISO 8601 with the zone's offset, e.g. `2026-03-29T03:00:00+02:00`. */
export function formatInZone(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  const sign = p.offsetMinutes < 0 ? '-' : '+';
  const off = `${sign}${pad(Math.trunc(Math.abs(p.offsetMinutes) / 60))}:${pad(Math.abs(p.offsetMinutes) % 60)}`;
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${off}`;
}

/** The local calendar date of `ms` in `tz` as "YYYY-MM-DD". */
export function localDate(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** Croner counts weekdays 0=Sun..6=Sat. */
function cronDay(day: Day): number {
  return (DAYS.indexOf(day) + 1) % 7;
}

/** The cron pattern for an alarm: minute hour * * weekdays. */
export function cronPattern(r: Recurrence): string {
  const [hh, mm] = r.time.split(':').map(Number);
  const dow = r.days.length === 0 ? '*' : r.days.map(cronDay).join(',');
  return `${mm} ${hh} * * ${dow}`;
}

/**
 * The first fire time strictly after `afterMs` (epoch ms), or undefined if none within a year.
 *
 * Croner does the calendar work; two DST cases are normalised here. A repeated (fall-back) time
 * fires at its first pass only (croner picks the second for some zones). A nonexistent (spring-forward) time comes back
 * shifted by the gap's length (02:30 -> 03:30); the product rule is "the first valid minute
 * after it", which is the end of the gap (03:00), so that case is corrected here.
 */
export function nextFireTime(r: Recurrence, afterMs: number): number | undefined {
  const cron = new Cron(cronPattern(r), { timezone: r.timezone, paused: true });
  let from = afterMs;
  // A gap correction can move the answer to at or before `afterMs`; then look further.
  for (let i = 0; i < 4; i++) {
    const next = cron.nextRun(new Date(from));
    if (!next) return undefined;
    const at = next.getTime();
    const fire = correctGap(r, at);
    const first = firstPass(r.timezone, fire);
    if (first !== fire) {
      // Croner answers the second pass of a repeated time for some shifts (30-min Lord Howe):
      // fire at the first pass if it is still ahead, never at the second.
      if (first > afterMs) return first;
    } else if (fire > afterMs) {
      return fire;
    }
    from = at;
  }
  return undefined;
}

/** For the second pass of a wall time repeated by a fall-back, the instant of its first pass; else `at`. */
function firstPass(tz: string, at: number): number {
  const delta = zonedParts(at - 3 * 3_600_000, tz).offsetMinutes - zonedParts(at, tz).offsetMinutes;
  if (delta <= 0) return at;
  const candidate = at - delta * 60_000;
  const a = zonedParts(at, tz);
  const b = zonedParts(candidate, tz);
  return a.hour === b.hour && a.minute === b.minute ? candidate : at;
}

function correctGap(r: Recurrence, at: number): number {
  const p = zonedParts(at, r.timezone);
  const [hh, mm] = r.time.split(':').map(Number);
  if (p.hour === hh && p.minute === mm) return at;
  // `at` lies after a forward transition; find the transition instant (the gap's end).
  let lo = at - 6 * 3_600_000;
  let hi = at;
  const offsetAt = p.offsetMinutes;
  if (zonedParts(lo, r.timezone).offsetMinutes === offsetAt) return at;
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 2 / 60_000) * 60_000;
    if (mid <= lo) break;
    if (zonedParts(mid, r.timezone).offsetMinutes === offsetAt) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The latest fire time in (afterMs, uptoMs], or undefined. Used to find missed occurrences. */
export function latestFireBetween(r: Recurrence, afterMs: number, uptoMs: number): number | undefined {
  let latest: number | undefined;
  let t = nextFireTime(r, afterMs);
  // Bounded: a few weeks of downtime at most is scanned occurrence by occurrence.
  for (let i = 0; t !== undefined && t <= uptoMs && i < 400; i++) {
    latest = t;
    t = nextFireTime(r, t);
  }
  return latest;
}
