/** Formatting of times and numbers in the active language (pure functions, unit-tested). */

/** "3:07" for milliseconds of a track; "1:02:03" past an hour. */
export function formatTrackTime(ms) {
  const total = Math.max(0, Math.floor((Number(ms) || 0) / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** A countdown such as "59:12" or "1:05:00" from seconds; "0:00" when past. */
export function formatCountdown(seconds) {
  return formatTrackTime(Math.max(0, seconds) * 1000);
}

/**
 * When an alarm fires next, relative to `now`: "Today 07:30", "Tomorrow 07:30", or a weekday and date.
 * @param {string|number|Date} when
 * @param {string} lang
 * @param {(key: string) => string} t
 * @param {Date} [now]
 * @param {string} [timeZone] the alarm's zone, so the shown clock time matches what the user set
 */
export function formatFireTime(when, lang, t, now = new Date(), timeZone) {
  const date = when instanceof Date ? when : new Date(when);
  if (Number.isNaN(date.getTime())) return '';
  const zone = timeZone ? { timeZone } : {};
  const time = new Intl.DateTimeFormat(lang, {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...zone,
  }).format(date);
  const dayKey = (d) =>
    new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', ...zone }).format(
      d,
    );
  const today = dayKey(now);
  const tomorrow = dayKey(new Date(now.getTime() + 86_400_000));
  const day = dayKey(date);
  if (day === today) return `${t('time.today')} ${time}`;
  if (day === tomorrow) return `${t('time.tomorrow')} ${time}`;
  const label = new Intl.DateTimeFormat(lang, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...zone,
  }).format(date);
  return `${label} ${time}`;
}

/** A percentage with one decimal in the language's style ("66.7 %" / "66,7 %"). */
export function formatPercent(value, lang) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return '–';
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(
    Number(value) / 100,
  );
}

/** A plain integer in the language's style. */
export function formatCount(value, lang) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return '–';
  return new Intl.NumberFormat(lang).format(Number(value));
}

/** Short weekday names Monday-first for the language, e.g. ["Mon", …] / ["Mo.", …]. */
export function weekdayNames(lang) {
  // 2024-01-01 was a Monday.
  return Array.from({ length: 7 }, (_, i) =>
    new Intl.DateTimeFormat(lang, { weekday: 'short', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2024, 0, 1 + i)),
    ),
  );
}

export const DAY_CODES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** "Mon–Fri", "Every day", "Weekends", "Once" or a list, for an alarm's days. */
export function describeDays(days, lang, t) {
  const set = new Set(days ?? []);
  if (set.size === 0) return t('alarm.days.once');
  if (set.size === 7) return t('alarm.days.every');
  const weekdays = DAY_CODES.slice(0, 5);
  if (set.size === 5 && weekdays.every((d) => set.has(d))) return t('alarm.days.weekdays');
  if (set.size === 2 && set.has('sat') && set.has('sun')) return t('alarm.days.weekends');
  const names = weekdayNames(lang);
  return DAY_CODES.filter((d) => set.has(d))
    .map((d) => names[DAY_CODES.indexOf(d)])
    .join(', ');
}

/** Accepts "730", "0730", "7:30", "7.30" and returns "07:30"; anything else is returned unchanged for the API to judge. */
export function normaliseTimeInput(raw) {
  const text = String(raw ?? '').trim();
  const match = /^(\d{1,2})[:.]?(\d{2})$/.exec(text);
  if (!match) return text;
  return `${match[1].padStart(2, '0')}:${match[2]}`;
}
