import type { Clock, Logger } from '../token/types.js';
import { actionFor } from './error-kinds.js';
import { describeError } from './errors.js';
import { FadeGuard } from './fade-guard.js';
import type { AlarmPlayer } from './player.js';

/** A fade-in as persisted with the ring, so a restart can resume it where it should be. */
export interface FadePlan {
  from: number;
  to: number;
  /** Wall ms the fade began. */
  startedAt: number;
  durationMs: number;
}

/** How a fade ended. */
export type FadeOutcome =
  | 'completed'
  | 'person_changed'
  | 'person_paused'
  | 'not_controllable'
  /** A minute past its end the target was still not set (steps kept failing or reports stayed unexplained). */
  | 'incomplete'
  | 'aborted';

/** How long past its planned end a fade keeps trying before it gives up. */
const OVERRUN_MS = 60_000;

/** What a fade needs. */
export interface FadeOptions {
  player: AlarmPlayer;
  clock: Clock;
  logger: Logger;
  deviceId: string;
  plan: FadePlan;
  stepMs: number;
  /** The device's volume before the alarm set its own (a lagging report may still show it). */
  priorVolume?: number;
  signal: AbortSignal;
  /** Called after each volume set (the scheduler persists progress). */
  onStep?: (volume: number) => void;
  context?: object;
}

/** The volume the plan has reached at wall ms `now` (the target once its time is up). */
export function volumeAt(plan: FadePlan, now: number): number {
  if (plan.durationMs <= 0) return plan.to;
  const f = Math.min(1, Math.max(0, (now - plan.startedAt) / plan.durationMs));
  return Math.round(plan.from + (plan.to - plan.from) * f);
}

/**
 * Raises the volume along `plan`, one step every `stepMs` of wall time (so a resumed fade jumps
 * to where it should be). Before each step it reads the playback: a pause, or a volume the
 * FadeGuard attributes to the person, ends the fade and leaves their choice alone; a report it
 * only suspects holds the fade until it is confirmed or explained.
 */
export async function runFade(o: FadeOptions): Promise<FadeOutcome> {
  const ctx = o.context ?? {};
  const guard = new FadeGuard();
  const start = o.clock.now();
  if (o.priorVolume !== undefined) guard.recordSet(o.priorVolume, start);
  let last = volumeAt(o.plan, start);
  let pausedReads = 0;
  guard.recordSet(last, start);
  const steps = Math.max(1, Math.round(o.plan.durationMs / o.stepMs));
  const interval = o.plan.durationMs / steps;
  for (;;) {
    try {
      await o.clock.sleep(interval, o.signal);
    } catch {
      return 'aborted';
    }
    if (o.signal.aborted) return 'aborted';
    const now = o.clock.now();
    if (now - o.plan.startedAt - o.plan.durationMs >= OVERRUN_MS) return 'incomplete';
    try {
      const state = await o.player.getPlaybackState();
      if (o.signal.aborted) return 'aborted';
      if (state?.device?.id === o.deviceId) {
        // Spotify may report a fresh play as paused for a moment: a pause counts when seen twice in a row.
        if (!state.is_playing) {
          if (++pausedReads >= 2) {
            o.logger.info({ ...ctx }, 'fade stopped: playback was paused');
            return 'person_paused';
          }
          continue;
        }
        pausedReads = 0;
        const reported = state.device.volume_percent;
        if (typeof reported === 'number') {
          const verdict = guard.judge(reported, now);
          if (verdict === 'person') {
            o.logger.info(
              { ...ctx, expected: last, found: reported },
              'fade stopped: volume changed by the user',
            );
            return 'person_changed';
          }
          if (verdict === 'suspect') {
            o.logger.debug(
              { ...ctx, expected: last, found: reported },
              'fade held: unexplained volume report',
            );
            continue;
          }
        }
      }
    } catch (err) {
      o.logger.warn({ ...ctx, err: describeError(err) }, 'fade: could not read playback state');
    }
    const volume = volumeAt(o.plan, now);
    if (volume !== last) {
      try {
        await o.player.setVolume(volume, o.deviceId);
        last = volume;
        guard.recordSet(volume, o.clock.now());
        o.onStep?.(volume);
        o.logger.debug({ ...ctx, volume }, 'fade step');
      } catch (err) {
        const { kind, action } = actionFor('fade', err);
        if (action === 'end') {
          o.logger.warn(
            { ...ctx, kind, err: describeError(err) },
            'fade ended: the device refuses volume control',
          );
          return 'not_controllable';
        }
        o.logger.warn({ ...ctx, volume, kind, err: describeError(err) }, 'fade step failed; continuing');
      }
    }
    if (last === o.plan.to && now - o.plan.startedAt >= o.plan.durationMs) return 'completed';
  }
}
