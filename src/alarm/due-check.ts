/**
 * What is due when, as pure decisions: the scheduling loop asks these about each alarm and acts
 * on the answer (fire, record a miss, ring a snooze again, sleep until then), and `start()` asks
 * `afterRestart` what to do with a ring a restart cut short.
 */
import type { Ring, Runtime } from './alarm-record.js';
import type { FadePlan } from './fade.js';
import type { AlarmSpec } from './model.js';
import { latestFireBetween, nextFireTime } from './schedule.js';

/** The part of a stored alarm the decisions read. */
export interface DueAlarm {
  spec: AlarmSpec;
  runtime: Pick<Runtime, 'anchorAt'>;
}

/** When the alarm next fires on its own schedule (after its anchor), or undefined when disabled. */
export function nextFire(alarm: DueAlarm): number | undefined {
  if (!alarm.spec.enabled) return undefined;
  return nextFireTime(alarm.spec, alarm.runtime.anchorAt);
}

/** What an alarm's current ring needs at `now`. */
export type RingDue =
  /** No ring. */
  | { kind: 'none' }
  /** Starting or ringing: the ringer's own time checks (fallback sound, test end, timeout). */
  | { kind: 'live' }
  /** Snoozed until `until`. */
  | { kind: 'snoozing'; until: number }
  /** The snooze is over within the grace window: ring again, due at its end. */
  | { kind: 'snooze_over'; due: number }
  /** The snooze ended more than the grace window ago (the server was down): missed. */
  | { kind: 'snooze_lapsed' };

/** Decides what a ring needs at `now`. */
export function ringDue(ring: Ring | undefined, now: number, graceMs: number): RingDue {
  if (ring?.state === 'snoozed' && ring.snoozedUntil !== undefined) {
    const until = ring.snoozedUntil;
    if (until > now) return { kind: 'snoozing', until };
    return now - until <= graceMs ? { kind: 'snooze_over', due: until } : { kind: 'snooze_lapsed' };
  }
  return ring ? { kind: 'live' } : { kind: 'none' };
}

/** What an alarm's own schedule needs at `now`. */
export type ScheduleDue =
  /** Disabled: nothing to fire. */
  | { kind: 'none' }
  /** Fires at `at`, later. */
  | { kind: 'upcoming'; at: number }
  /**
   * An occurrence came: `fire` within the grace window, else `missed`. `oneOff`: an alarm
   * without days, which is disabled after it.
   */
  | { kind: 'fire' | 'missed'; occurrence: number; oneOff: boolean };

/** Decides whether the alarm's schedule fires now, was missed, or comes later. */
export function scheduleDue(alarm: DueAlarm, now: number, graceMs: number): ScheduleDue {
  const next = nextFire(alarm);
  if (next === undefined) return { kind: 'none' };
  if (next > now) return { kind: 'upcoming', at: next };
  // After a long sleep (or a clock jump) several occurrences passed: only the latest counts.
  const occurrence = latestFireBetween(alarm.spec, alarm.runtime.anchorAt, now) ?? next;
  return {
    kind: now - occurrence <= graceMs ? 'fire' : 'missed',
    occurrence,
    oneOff: alarm.spec.days.length === 0,
  };
}

/** What to do with a ring found in the file at start-up. */
export type Recovery =
  /** Nothing (no ring, a snooze, which the loop handles, or a ring past its fade). */
  | { kind: 'none' }
  /** A test ring: over, not rung again. */
  | { kind: 'end_test' }
  /** Was starting (or only had the fallback sound) and is still within grace: fire again. */
  | { kind: 'refire'; due: number; event: 'resumed' | 'due' }
  /** Was starting past the grace window: drop it; `missed` unless the fallback sound rang. */
  | { kind: 'expire'; missed: boolean }
  /** Was fading in and has not timed out: carry the fade on. */
  | { kind: 'resume_fade'; plan: FadePlan };

/** Decides what a restart does with a ring cut short (timings as the scheduler resolved them). */
export function afterRestart(
  ring: Ring | undefined,
  now: number,
  t: { graceMs: number; ringTimeoutMs: number },
): Recovery {
  if (!ring || ring.state === 'snoozed') return { kind: 'none' };
  if (ring.test) return { kind: 'end_test' };
  if (ring.state === 'starting' || !ring.deviceId) {
    // Grace counts from when this ring was due: for a snooze's re-ring, the end of the snooze.
    const due = ring.due ?? ring.occurrence;
    if (now - due <= t.graceMs) {
      // A ring that only had the fallback sound starts over (and the sound with it).
      return { kind: 'refire', due, event: ring.state === 'starting' ? 'resumed' : 'due' };
    }
    // One that did ring (the fallback sound) already says so in last_result: nothing was missed.
    return { kind: 'expire', missed: !ring.fallback };
  }
  if (ring.fade && now - ring.since < t.ringTimeoutMs) return { kind: 'resume_fade', plan: ring.fade };
  return { kind: 'none' };
}
