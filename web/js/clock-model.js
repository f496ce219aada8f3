/** The bedside clock's decisions (pure, unit-tested): night dimming, next alarm, ringing. */

/** Minutes since midnight of "HH:MM"; null when malformed. */
export function minutesOf(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(String(hhmm ?? ''));
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : null;
}

/**
 * True when `date` (local time) falls in the dimming window [from, until). The window may cross
 * midnight (22:00–07:00); equal or malformed times mean "never dim by schedule".
 * @param {Date} date
 * @param {string} from
 * @param {string} until
 */
export function isNight(date, from, until) {
  const a = minutesOf(from);
  const b = minutesOf(until);
  if (a === null || b === null || a === b) return false;
  const now = date.getHours() * 60 + date.getMinutes();
  return a < b ? now >= a && now < b : now >= a || now < b;
}

/**
 * Dim when the schedule says night, or when an ambient light reading (lux) is dark; a bright
 * reading overrides the schedule (a lamp switched on at night).
 * @param {{night: boolean, lux?: number|null}} input
 */
export function shouldDim({ night, lux }) {
  if (typeof lux === 'number' && Number.isFinite(lux)) return lux < 10;
  return night;
}

/** The alarm sounding now (ringing or starting), else one snoozed, else null. */
export function activeAlarm(alarms) {
  const list = Array.isArray(alarms) ? alarms : [];
  return (
    list.find((a) => a?.state === 'ringing' || a?.state === 'starting') ??
    list.find((a) => a?.state === 'snoozed') ??
    null
  );
}

/**
 * The next alarm to show: the soonest `next_fire_at` (or snooze end) of enabled alarms.
 * @returns {{alarm: any, at: number}|null}
 */
export function nextAlarm(alarms, now) {
  let best = null;
  for (const a of Array.isArray(alarms) ? alarms : []) {
    const when = a?.state === 'snoozed' && a.snoozed_until ? a.snoozed_until : a?.next_fire_at;
    const at = when ? Date.parse(when) : Number.NaN;
    if (!Number.isFinite(at) || at < now - 60_000) continue;
    if (!best || at < best.at) best = { alarm: a, at };
  }
  return best;
}

/**
 * Readiness as the clock shows it: null when the server does not report it (an older server),
 * else its status and first reason.
 */
export function readinessOf(alarm) {
  const r = alarm?.readiness;
  if (!r || typeof r !== 'object' || !['ok', 'warning', 'failing'].includes(r.status)) return null;
  return { status: r.status, reason: Array.isArray(r.reasons) ? String(r.reasons[0] ?? '') : '' };
}

/** "HH:MM" of `date` in 24-hour form (fixed width: no layout shift as minutes tick). */
export function clockText(date) {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** Milliseconds until the next minute starts (the clock redraws then, not every frame). */
export function msToNextMinute(date) {
  return 60_000 - (date.getSeconds() * 1000 + date.getMilliseconds());
}
