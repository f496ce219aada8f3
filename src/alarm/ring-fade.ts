import type { Ring, StoredAlarm } from './alarm-record.js';
import { actionFor } from './error-kinds.js';
import { describeError } from './errors.js';
import { type FadePlan, runFade, volumeAt } from './fade.js';
import type { AlarmSpec } from './model.js';
import type { PauseWatch } from './pause-watch.js';
import type { RingHost } from './ring-host.js';
import type { RingTasks } from './ring-tasks.js';

/**
 * A ring's fade-in: runs the fade (fade.ts), notes its outcome in the ring and `last_result`,
 * then hands the ring to the pause watch; after a restart mid-fade, picks the fade up again.
 */
export class RingFade {
  constructor(
    private readonly h: RingHost,
    private readonly tasks: RingTasks,
    private readonly pauses: PauseWatch,
  ) {}

  /** Fades in, then watches for a pause (or acts on one seen during the fade). */
  async run(
    stored: StoredAlarm,
    ring: Ring,
    plan: FadePlan,
    spec: AlarmSpec,
    ctl: AbortController,
    context: object,
    priorVolume?: number,
  ): Promise<void> {
    const outcome = await this.fadeIn(stored, ring, plan, ctl, context, priorVolume);
    if (outcome === 'person_paused') this.pauses.paused(ring, spec);
    else if (outcome !== 'aborted') this.pauses.start(stored, ring, spec, ctl);
  }

  /** After a restart mid-fade: jump to the volume the fade should have reached, then carry on. */
  resume(stored: StoredAlarm, ring: Ring, plan: FadePlan): void {
    const id = stored.spec.id;
    const deviceId = ring.deviceId;
    if (!deviceId) return;
    const spec = { ...stored.spec };
    const context = { alarm: id, label: spec.label };
    this.tasks.track(id, new AbortController(), async (live) => {
      const volume = volumeAt(plan, this.h.clock.now());
      this.h.log.warn(
        { ...context, volume },
        'alarm was fading in when the server stopped; resuming the fade',
      );
      try {
        await this.h.player.setVolume(volume, deviceId);
        if (stored.runtime.lastResult) stored.runtime.lastResult.volume = volume;
      } catch (err) {
        const { action } = actionFor('fade', err);
        this.h.log.warn({ ...context, err: describeError(err) }, 'could not resume the fade volume');
        if (action === 'end') return;
      }
      await this.run(stored, ring, plan, spec, live.ctl, context);
    });
  }

  /** Runs the fade and notes its outcome in the ring and `last_result`. */
  private async fadeIn(
    stored: StoredAlarm,
    ring: Ring,
    plan: FadePlan,
    ctl: AbortController,
    context: object,
    priorVolume?: number,
  ): Promise<Awaited<ReturnType<typeof runFade>>> {
    const result = () => (ring.test ? stored.runtime.lastTest : stored.runtime.lastResult);
    const outcome = await runFade({
      player: this.h.player,
      clock: this.h.clock,
      logger: this.h.log,
      deviceId: ring.deviceId ?? '',
      plan,
      stepMs: this.h.o.fadeStepMs,
      signal: ctl.signal,
      context,
      ...(priorVolume !== undefined ? { priorVolume } : {}),
      onStep: (volume) => {
        const r = result();
        if (r) r.volume = volume;
      },
    });
    this.h.log.info({ ...context, outcome }, 'fade-in finished');
    if (outcome === 'aborted') return outcome;
    const r = result();
    if (r && outcome === 'not_controllable') {
      r.volume_controllable = false;
      r.reason = [r.reason, "volume not controllable: played at the device's own volume"]
        .filter(Boolean)
        .join('; ');
    }
    if (r && outcome === 'person_changed') {
      r.reason = [r.reason, 'the fade stopped when the volume was changed by hand']
        .filter(Boolean)
        .join('; ');
    }
    // The fade is over: a restart must not resume it (mutated in place: the ring stays the same record).
    if (stored.runtime.ring === ring) delete ring.fade;
    this.h.save();
    this.h.emit('changed', { id: stored.spec.id });
    return outcome;
  }
}
