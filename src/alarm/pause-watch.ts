import type { Ring, StoredAlarm } from './alarm-record.js';
import { describeError } from './errors.js';
import type { AlarmSpec } from './model.js';
import type { AlarmPlayer } from './player.js';
import type { RingHost } from './ring-host.js';
import type { RingTasks } from './ring-tasks.js';

/**
 * Snooze from the speaker: while a ring is young, pausing it on the speaker or in the Spotify app
 * snoozes it (the original SpotiPi's habit), and a pause after a snooze stops it for the day.
 */
export class PauseWatch {
  constructor(
    private readonly h: RingHost,
    private readonly tasks: RingTasks,
  ) {}

  /** Hands a ringing alarm over from its firing task to a pause watch (same abort controller). */
  start(stored: StoredAlarm, ring: Ring, spec: AlarmSpec, ctl: AbortController): void {
    if (!spec.pause_snoozes || ring.test || ctl.signal.aborted || this.h.closed()) return;
    const id = spec.id;
    const startedOn = ring.deviceId;
    // Queued so the firing task has ended and released its live entry first.
    queueMicrotask(() => {
      if (ctl.signal.aborted || stored.runtime.ring !== ring) return;
      const live = this.tasks.track(id, ctl, () => this.watch(stored, ring, spec, ctl), true);
      if (startedOn) live.startedOn = startedOn;
    });
  }

  /** A pause on the speaker: the first snoozes, one after a snooze stops the alarm for the day. */
  paused(ring: Ring, spec: AlarmSpec): void {
    if (!spec.pause_snoozes || ring.test) return;
    const id = spec.id;
    // Not awaited: snooze/stop wait for this alarm's task, which is the caller.
    queueMicrotask(() => {
      const act =
        ring.snoozeCount === 0
          ? this.h.snooze(id, { pausedOnSpeaker: true })
          : this.h.stop(id, { pausedOnSpeaker: true });
      act.catch((err) =>
        this.h.log.warn({ alarm: id, err: describeError(err) }, 'could not act on the pause'),
      );
    });
  }

  /** Polls the playback every `pauseCheckMs` until `pauseSnoozeWindowMs` after the ring began. */
  private async watch(stored: StoredAlarm, ring: Ring, spec: AlarmSpec, ctl: AbortController): Promise<void> {
    if (!spec.pause_snoozes || ring.test) return;
    const until = ring.since + this.h.o.pauseSnoozeWindowMs;
    let pausedReads = 0;
    while (this.h.clock.now() < until) {
      try {
        await this.h.clock.sleep(Math.min(this.h.o.pauseCheckMs, until - this.h.clock.now()), ctl.signal);
      } catch {
        return;
      }
      if (ctl.signal.aborted || stored.runtime.ring !== ring) return;
      let state: Awaited<ReturnType<AlarmPlayer['getPlaybackState']>>;
      try {
        state = await this.h.player.getPlaybackState();
      } catch {
        continue;
      }
      if (ctl.signal.aborted || stored.runtime.ring !== ring) return;
      if (!state || state.device?.id !== ring.deviceId) return; // moved elsewhere: the person took over
      // A pause counts when seen twice in a row (a fresh play can read as paused for a moment).
      pausedReads = state.is_playing ? 0 : pausedReads + 1;
      if (pausedReads >= 2) {
        this.paused(ring, spec);
        return;
      }
    }
  }
}
