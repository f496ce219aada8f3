/**
 * Pure logic behind the readiness banner and the in-page fallback ring (no DOM, no audio), so it
 * is unit-tested in Node.
 */

/** Enabled alarms with a next fire time, soonest first. */
function upcoming(alarms) {
  return (Array.isArray(alarms) ? alarms : [])
    .filter((a) => a?.enabled && a.next_fire_at && a.readiness && typeof a.readiness === 'object')
    .sort((a, b) => Date.parse(a.next_fire_at) - Date.parse(b.next_fire_at));
}

/**
 * What the readiness banner should say: the soonest alarm that will fail, else the soonest whose
 * login is about to run out (a warning that needs a login); null when nothing needs attention.
 * @returns {{ level: 'failing'|'warning', alarm: any, reason: string, needsLogin: boolean } | null}
 */
export function readinessBanner(alarms) {
  const list = upcoming(alarms);
  const pick =
    list.find((a) => a.readiness.status === 'failing') ??
    list.find((a) => a.readiness.status === 'warning' && a.readiness.needs_login);
  if (!pick) return null;
  const reasons = Array.isArray(pick.readiness.reasons) ? pick.readiness.reasons : [];
  return {
    level: pick.readiness.status,
    alarm: pick,
    reason: String(reasons[0] ?? ''),
    needsLogin: Boolean(pick.readiness.needs_login),
  };
}

/**
 * Reason `index` of a readiness in the page's language: its code's catalogue sentence
 * (`readiness.reason.<code>`) when there is one, else the server's English sentence.
 * @param {(key: string, params?: Record<string, unknown>) => string} t
 */
export function reasonText(readiness, index, t) {
  const detail = Array.isArray(readiness?.details) ? readiness.details[index] : undefined;
  if (detail && typeof detail.code === 'string') {
    const key = `readiness.reason.${detail.code}`;
    const text = t(key, detail.params ?? {});
    if (text !== key) return text;
  }
  const reasons = Array.isArray(readiness?.reasons) ? readiness.reasons : [];
  return String(reasons[index] ?? '');
}

/** The alarm ringing through the fallback sound (the page rings too), or null. */
export function fallbackAlarm(alarms) {
  return (Array.isArray(alarms) ? alarms : []).find((a) => a?.fallback_sound === true) ?? null;
}

/**
 * The chime as notes for Web Audio, the same bell the server's `chime.ts` writes: a rising C6–E6–G6
 * and the chord, each note a few decaying sine partials. Times in seconds from the chime's start.
 */
export const CHIME_SECONDS = 3.2;
export function chimeNotes() {
  const strikes = [
    { at: 0, hz: 1046.5, gain: 0.8 },
    { at: 0.35, hz: 1318.5, gain: 0.8 },
    { at: 0.7, hz: 1568.0, gain: 0.8 },
    { at: 1.3, hz: 1046.5, gain: 0.5 },
    { at: 1.3, hz: 1318.5, gain: 0.5 },
    { at: 1.3, hz: 1568.0, gain: 0.5 },
  ];
  const partials = [
    [1, 1, 1.1],
    [2, 0.45, 0.6],
    [3.01, 0.22, 0.35],
    [4.2, 0.12, 0.2],
  ];
  const notes = [];
  for (const s of strikes) {
    for (const [ratio, level, tau] of partials) {
      notes.push({ at: s.at, hz: s.hz * ratio, gain: (s.gain * level) / 6, decay: tau });
    }
  }
  return notes;
}
