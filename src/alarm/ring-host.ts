/** What the ringer and its parts need from the scheduler that owns the alarms. */
import type { Clock, Logger } from '../token/types.js';
import type { Ring, StoredAlarm } from './alarm-record.js';
import type { DeviceMemory } from './device-memory.js';
import type { FallbackSound } from './fallback-port.js';
import type { LastResult } from './model.js';
import type { AlarmPlayer } from './player.js';
import type { RingEvent } from './ring-machine.js';
import type { ResolvedTimings } from './scheduler-options.js';

/** Resolved timing options the ringer uses (see AlarmSchedulerOptions for their meaning). */
export type RingerTimings = Pick<
  ResolvedTimings,
  | 'retryForMs'
  | 'retryBaseMs'
  | 'fadeStepMs'
  | 'ringTimeoutMs'
  | 'deviceFallbackMs'
  | 'fallbackAfterMs'
  | 'pauseSnoozeWindowMs'
  | 'pauseCheckMs'
  | 'testRingMs'
>;

/** The scheduler's side of ringing: its parts, and the one way to change a ring or an outcome. */
export interface RingHost {
  clock: Clock;
  log: Logger;
  player: AlarmPlayer;
  devices: DeviceMemory;
  o: RingerTimings;
  fallback?: FallbackSound;
  sleepTimer?: { yieldToAlarm(alarmLabel: string): Promise<void> };
  /** The one place a ring changes (checked against the transition table). */
  setRing(stored: StoredAlarm, event: RingEvent, next: Ring | undefined, why: string): boolean;
  /** Records an outcome in `last_result` (or `last_test`). */
  record(
    stored: StoredAlarm,
    ring: Pick<Ring, 'occurrence' | 'test'>,
    result: Omit<LastResult, 'at' | 'scheduled_for'>,
  ): void;
  /** Persists in the background. */
  save(): void;
  emit(event: string, payload: unknown): void;
  /** Wakes the scheduling loop. */
  kick(): void;
  view(stored: StoredAlarm): unknown;
  alarm(id: string): StoredAlarm | undefined;
  snooze(id: string, how: { pausedOnSpeaker: boolean }): Promise<unknown>;
  stop(id: string, how: { pausedOnSpeaker: boolean }): Promise<unknown>;
  closed(): boolean;
}
