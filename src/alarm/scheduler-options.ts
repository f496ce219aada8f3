import type { Clock, Logger } from '../token/types.js';
import type { FallbackSound } from './fallback-port.js';
import type { AlarmPlayer } from './player.js';
import type { Readiness } from './readiness.js';

/** The slice of the sleep timer an alarm needs: it lets go of the speaker when an alarm starts. */
export interface SleepTimerHandle {
  /** Ends a running sleep timer without fading or pausing (an alarm takes the speaker). */
  yieldToAlarm(alarmLabel: string): Promise<void>;
}

/** Everything the scheduler needs; only `stateDir`, `player` and `defaultTimezone` are required. */
export interface AlarmSchedulerOptions {
  stateDir: string;
  player: AlarmPlayer;
  /** IANA zone for alarms created without one (the machine's zone, from config). */
  defaultTimezone: string;
  clock?: Clock;
  logger?: Logger;
  /** Called a little before each alarm so a usable access token is ready (e.g. `() => cache.getAccessToken()`). */
  warmToken?: () => Promise<unknown>;
  /** How long before an alarm to warm the token; default 90 s. */
  warmLeadMs?: number;
  /**
   * An alarm missed while down (or through a clock jump) still fires if at most this late, and
   * a ring keeps retrying Spotify for this long after it was due; default 10 min.
   */
  graceMs?: number;
  /** Default snooze length; default 9 min. */
  snoozeMinutes?: number;
  /** Longest single sleep of the scheduling loop, so wall-clock jumps are noticed; default 30 s. */
  maxSleepMs?: number;
  /** How long after its due time a ring keeps retrying Spotify; default `graceMs` (the whole grace window). */
  retryForMs?: number;
  /** First retry back-off (doubling up to 30 s); default 2 s. */
  retryBaseMs?: number;
  /** Interval between fade-in steps; default 3 s. */
  fadeStepMs?: number;
  /** A ringing alarm nobody snoozes or stops counts as done after this; default 60 min. */
  ringTimeoutMs?: number;
  /**
   * An absent configured device gives way to another device after this long (at most half the
   * retry window, so a fallback device still gets its chance); default 120 s.
   */
  deviceFallbackMs?: number;
  /** The fallback sound (none: rings only through Spotify). */
  fallback?: FallbackSound;
  /** Music not started this long after a ring was due starts the fallback sound; default 120 s. */
  fallbackAfterMs?: number;
  /** The preflight's verdict per alarm, shown in the view. */
  readinessOf?: (alarmId: string) => Readiness | null;
  /** A sleep timer to cancel when an alarm starts (so its fade-out never fades the alarm). */
  sleepTimer?: SleepTimerHandle;
  /** Pausing on the speaker within this long after a ring started snoozes it; default 10 min. */
  pauseSnoozeWindowMs?: number;
  /** How often a ringing alarm checks for a pause on the speaker; default 5 s. */
  pauseCheckMs?: number;
  /** How long a test ring lasts unless stopped; default 60 s. */
  testRingMs?: number;
  /**
   * List Spotify's devices when an alarm with a device is saved and when the token is warmed
   * before a ring, so the device memory knows a speaker before it goes idle; default true.
   */
  learnDevices?: boolean;
  /** Id generator (tests). */
  newId?: () => string;
}

/** Every timing option with its default filled in and its range checked. */
export interface ResolvedTimings {
  warmLeadMs: number;
  graceMs: number;
  snoozeMinutes: number;
  maxSleepMs: number;
  retryForMs: number;
  retryBaseMs: number;
  fadeStepMs: number;
  ringTimeoutMs: number;
  deviceFallbackMs: number;
  fallbackAfterMs: number;
  pauseSnoozeWindowMs: number;
  pauseCheckMs: number;
  testRingMs: number;
}

/** A non-negative finite option, or a RangeError naming it. */
function checked(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min) throw new RangeError(`${name} must be a number >= ${min} (got ${v})`);
  return v;
}

/** Fills in defaults and checks ranges, once, at construction; throws a RangeError naming the option. */
export function resolveTimings(opts: AlarmSchedulerOptions): ResolvedTimings {
  const graceMs = checked('graceMs', opts.graceMs, 10 * 60_000);
  return {
    warmLeadMs: checked('warmLeadMs', opts.warmLeadMs, 90_000),
    graceMs,
    snoozeMinutes: checked('snoozeMinutes', opts.snoozeMinutes, 9, 1),
    maxSleepMs: checked('maxSleepMs', opts.maxSleepMs, 30_000, 1),
    retryForMs: checked('retryForMs', opts.retryForMs, graceMs),
    retryBaseMs: checked('retryBaseMs', opts.retryBaseMs, 2_000, 1),
    fadeStepMs: checked('fadeStepMs', opts.fadeStepMs, 3_000, 1),
    ringTimeoutMs: checked('ringTimeoutMs', opts.ringTimeoutMs, 60 * 60_000, 1),
    deviceFallbackMs: checked('deviceFallbackMs', opts.deviceFallbackMs, 120_000),
    fallbackAfterMs: checked('fallbackAfterMs', opts.fallbackAfterMs, 120_000),
    pauseSnoozeWindowMs: checked('pauseSnoozeWindowMs', opts.pauseSnoozeWindowMs, 10 * 60_000),
    pauseCheckMs: checked('pauseCheckMs', opts.pauseCheckMs, 5_000, 1),
    testRingMs: checked('testRingMs', opts.testRingMs, 60_000, 1),
  };
}
