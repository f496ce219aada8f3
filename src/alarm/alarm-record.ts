/** An alarm as stored in `alarms.json`: its settings and its runtime (outcomes and the current ring). */
import * as z from 'zod';
import type { WakeStep } from './error-kinds.js';
import type { FadePlan } from './fade.js';
import type { AlarmSpec, LastResult } from './model.js';

/** Where a ringing alarm is in its life. */
export type RingState = 'starting' | 'ringing' | 'snoozed';

/** One alarm's current ring, persisted: the one source of truth for what it is doing. */
export interface Ring {
  state: RingState;
  /** Wall ms the current phase began. */
  since: number;
  /** Wall ms of the scheduled occurrence this ring belongs to. */
  occurrence: number;
  /** Wall ms this ring was due (the alarm time, or the end of the snooze it follows); grace counts from here. */
  due?: number;
  snoozedUntil?: number;
  deviceId?: string;
  deviceName?: string;
  snoozeCount: number;
  /** While starting: the wake-up step in progress. */
  step?: WakeStep;
  /** While fading in: the plan (its progress follows from the clock, so a restart resumes it). */
  fade?: FadePlan;
  /** The fallback sound rings for this ring. */
  fallback?: boolean;
  /** A test ring (`POST /api/alarms/:id/test`): ends by itself, leaves `last_result` alone. */
  test?: boolean;
}

/** The snoozed ring that follows `current` at `now` for `minutes`: same occurrence and device, one more snooze. */
export function snoozedRing(current: Ring, now: number, minutes: number): Ring {
  return {
    state: 'snoozed',
    since: now,
    occurrence: current.occurrence,
    snoozedUntil: now + minutes * 60_000,
    snoozeCount: current.snoozeCount + 1,
    ...(current.deviceId ? { deviceId: current.deviceId } : {}),
    ...(current.deviceName ? { deviceName: current.deviceName } : {}),
  };
}

export interface Runtime {
  /** Occurrences at or before this wall ms have been handled (fired, missed or skipped). */
  anchorAt: number;
  lastResult?: LastResult;
  /** Outcome of the latest test ring. */
  lastTest?: LastResult;
  ring?: Ring;
}

export interface StoredAlarm {
  spec: AlarmSpec;
  runtime: Runtime;
}

export const ringSchema = z.object({
  state: z.enum(['starting', 'ringing', 'snoozed']),
  since: z.number(),
  occurrence: z.number(),
  due: z.number().optional(),
  snoozedUntil: z.number().optional(),
  deviceId: z.string().optional(),
  deviceName: z.string().optional(),
  snoozeCount: z.number().int().min(0),
  step: z.enum(['resolve', 'transfer', 'volume', 'shuffle', 'play', 'fade', 'pause']).optional(),
  fade: z
    .object({ from: z.number(), to: z.number(), startedAt: z.number(), durationMs: z.number() })
    .optional(),
  fallback: z.boolean().optional(),
  test: z.boolean().optional(),
});
export const lastResultSchema = z.object({
  status: z.enum(['fired', 'failed', 'missed', 'fallback_sound', 'superseded']),
  at: z.string(),
  scheduled_for: z.string(),
  reason: z.string().optional(),
  device: z.string().optional(),
  volume_controllable: z.boolean().optional(),
  volume: z.number().optional(),
});
export const fileSchema = z.object({
  version: z.literal(1),
  alarms: z.array(z.unknown()),
});
export const runtimeSchema = z.object({
  anchorAt: z.number(),
  lastResult: lastResultSchema.optional(),
  lastTest: lastResultSchema.optional(),
  ring: ringSchema.optional(),
});
