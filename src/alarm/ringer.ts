import type { Ring, StoredAlarm } from './alarm-record.js';
import { describeError } from './errors.js';
import type { FadePlan } from './fade.js';
import { FallbackRing } from './fallback-ring.js';
import type { AlarmSpec } from './model.js';
import { PauseWatch } from './pause-watch.js';
import { RingFade } from './ring-fade.js';
import type { RingHost } from './ring-host.js';
import type { RingEvent } from './ring-machine.js';
import { type Live, RingTasks } from './ring-tasks.js';
import { formatInZone } from './schedule.js';
import { TestRings } from './test-ring.js';
import { WakeUpFailedError, type WakeUpResult, wakeUp } from './wake-up.js';

export type { RingerTimings, RingHost } from './ring-host.js';

/** Abort reason when another alarm's firing takes over playback. */
const SUPERSEDED = 'superseded by another alarm';

/** Which ring `fire` starts. */
export interface RingStart {
  occurrence: number;
  due: number;
  snoozeCount: number;
  test?: boolean;
  event: RingEvent;
}

/**
 * Starts, fades and silences rings: one alarm's firing (through `wakeUp`), handing it on to its
 * fade-in (ring-fade.ts), the fallback sound (fallback-ring.ts), the pause-on-speaker watch
 * (pause-watch.ts) and test rings (test-ring.ts). Every change of a ring goes through the
 * host's `setRing`.
 */
export class Ringer {
  /** The firing, fade or pause watch of each alarm that has one. */
  private readonly tasks: RingTasks;
  private readonly fallback: FallbackRing;
  private readonly pauses: PauseWatch;
  private readonly fade: RingFade;
  private readonly tests: TestRings;

  constructor(private readonly h: RingHost) {
    this.tasks = new RingTasks(h.log);
    this.fallback = new FallbackRing(h, this.tasks);
    this.pauses = new PauseWatch(h, this.tasks);
    this.fade = new RingFade(h, this.tasks, this.pauses);
    this.tests = new TestRings(h, this.tasks, this.fallback, (id, ring, why) => this.silence(id, ring, why));
  }

  /** True while an alarm has a firing, fade or watch in progress. */
  has(id: string): boolean {
    return this.tasks.has(id);
  }

  /** Aborts whatever the alarm has in progress (without pausing anything). */
  abort(id: string): void {
    this.tasks.abort(id);
  }

  /** Resolves when firings and fades (not pause watches) have finished. */
  idle(): Promise<void> {
    return this.tasks.idle();
  }

  /** Aborts everything and waits for it. */
  close(): Promise<void> {
    return this.tasks.close();
  }

  /** Time-driven changes of a starting or ringing alarm: fallback sound, test end, ring timeout. */
  checkRing(stored: StoredAlarm, ring: Ring, now: number): number | undefined {
    if (ring.test) return this.tests.check(stored, ring, now);
    if (ring.state === 'starting') return this.fallback.check(stored, ring, now);
    if (this.tasks.has(stored.spec.id)) return undefined;
    if (now - ring.since >= this.h.o.ringTimeoutMs) {
      this.fallback.stopFor(stored.spec.id, ring);
      this.h.setRing(stored, 'ring_timeout', undefined, 'nobody answered');
      return undefined;
    }
    return ring.since + this.h.o.ringTimeoutMs;
  }

  /** After a restart mid-fade: jump to the volume the fade should have reached, then carry on. */
  resumeFade(stored: StoredAlarm, ring: Ring, plan: FadePlan): void {
    this.fade.resume(stored, ring, plan);
  }

  /** Records a test ring that ended before Spotify played as failed (`last_test`). */
  recordTestEnd(stored: StoredAlarm, how: 'ended' | 'stopped'): void {
    this.tests.recordEnd(stored, how);
  }

  /** Starts an alarm (or a snooze's re-ring, or a test ring) in the background. */
  fire(stored: StoredAlarm, at: RingStart): void {
    const id = stored.spec.id;
    // One speaker, one alarm: a new ring ends any other alarm's start or fade.
    this.tasks.abortOthers(id, SUPERSEDED);
    this.tasks.abort(id);
    const ring: Ring = {
      state: 'starting',
      since: this.h.clock.now(),
      occurrence: at.occurrence,
      due: at.due,
      snoozeCount: at.snoozeCount,
      ...(at.test ? { test: true } : {}),
    };
    if (!this.h.setRing(stored, at.event, ring, at.test ? 'test ring' : 'due')) return;
    const spec = { ...stored.spec };
    const context = { alarm: id, label: spec.label, ...(at.test ? { test: true } : {}) };
    this.h.log.info(
      { ...context, scheduledFor: formatInZone(at.occurrence, spec.timezone), snoozeCount: at.snoozeCount },
      'alarm firing',
    );
    const ctl = new AbortController();
    this.tasks.track(id, ctl, (live) => this.ring(stored, spec, ring, ctl, live, context));
  }

  /** One ring: start the music (or give up), then fade in and watch for a pause on the speaker. */
  private async ring(
    stored: StoredAlarm,
    spec: AlarmSpec,
    ring: Ring,
    ctl: AbortController,
    live: Live,
    context: object,
  ): Promise<void> {
    const id = spec.id;
    if (this.h.sleepTimer) {
      await this.h.sleepTimer
        .yieldToAlarm(spec.label)
        .catch((err) =>
          this.h.log.warn({ ...context, err: describeError(err) }, 'could not end the sleep timer'),
        );
    }
    const fade = spec.fade_in_seconds > 0 && spec.volume > 0;
    const due = ring.due ?? ring.occurrence;
    const retryFor = ring.test ? Math.min(this.h.o.retryForMs, this.h.o.testRingMs) : this.h.o.retryForMs;
    let result: WakeUpResult;
    try {
      result = await wakeUp(
        {
          contextUri: spec.context_uri,
          device: spec.device,
          shuffle: spec.shuffle,
          startVolume: fade ? 0 : spec.volume,
          due,
          deadline: due + retryFor,
        },
        {
          player: this.h.player,
          clock: this.h.clock,
          logger: this.h.log,
          memory: this.h.devices,
          retryBaseMs: this.h.o.retryBaseMs,
          deviceFallbackMs: Math.min(this.h.o.deviceFallbackMs, retryFor / 2),
          signal: ctl.signal,
          context,
          onStep: (step) => {
            const current = stored.runtime.ring;
            if (current && !ctl.signal.aborted && current.state !== 'snoozed') {
              current.step = step;
              this.h.save();
            }
          },
          onAttemptFailed: (reason) => {
            live.lastError = reason;
          },
        },
      );
    } catch (err) {
      if (ctl.signal.aborted) {
        this.endSuperseded(stored, ctl.signal, stored.runtime.ring ?? ring, undefined);
        return;
      }
      this.gaveUp(stored, err, context);
      return;
    }
    live.startedOn = result.deviceId;
    const current = stored.runtime.ring ?? ring;
    if (ctl.signal.aborted) {
      this.endSuperseded(stored, ctl.signal, current, result.deviceName);
      return;
    }
    this.fallback.stopFor(id, current);
    const { next, plan } = this.played(stored, spec, current, result, { due, fade });
    if (plan) await this.fade.run(stored, next, plan, spec, ctl, context, result.priorVolume);
    else this.pauses.start(stored, next, spec, ctl);
  }

  /** The music started: the ring becomes ringing on that device, `last_result` says how, listeners hear. */
  private played(
    stored: StoredAlarm,
    spec: AlarmSpec,
    current: Ring,
    result: WakeUpResult,
    { due, fade }: { due: number; fade: boolean },
  ): { next: Ring; plan: FadePlan | undefined } {
    const now = this.h.clock.now();
    const plan: FadePlan | undefined =
      fade && result.volumeControllable
        ? { from: 0, to: spec.volume, startedAt: now, durationMs: spec.fade_in_seconds * 1000 }
        : undefined;
    const next: Ring = {
      state: 'ringing',
      since: now,
      occurrence: current.occurrence,
      due,
      snoozeCount: current.snoozeCount,
      deviceId: result.deviceId,
      deviceName: result.deviceName,
      ...(plan ? { fade: plan } : {}),
      ...(current.test ? { test: true } : {}),
    };
    this.h.setRing(stored, 'played', next, 'music started');
    const notes: string[] = [];
    if (result.why) notes.push(`played on ${result.deviceName} because ${result.why}`);
    if (!result.volumeControllable) notes.push("volume not controllable: played at the device's own volume");
    if (current.fallback)
      notes.push(
        `music started ${Math.round((now - due) / 1000)} s after the alarm time, after the fallback sound`,
      );
    this.h.record(stored, current, {
      status: 'fired',
      device: result.deviceName,
      volume_controllable: result.volumeControllable,
      ...(result.volumeControllable ? { volume: fade ? 0 : spec.volume } : {}),
      ...(notes.length > 0 ? { reason: notes.join('; ') } : {}),
    });
    this.h.save();
    if (!current.test) this.h.emit('fired', this.h.view(stored));
    this.h.emit('ringing', this.h.view(stored));
    this.h.kick();
    return { next, plan };
  }

  /** Spotify could not be made to play: ring the fallback sound if there is one, else record the failure. */
  private gaveUp(stored: StoredAlarm, err: unknown, context: object): void {
    const ring = stored.runtime.ring;
    if (!ring) return;
    const reason = err instanceof WakeUpFailedError ? err.message : describeError(err);
    if (this.fallback.instead(stored, ring, reason)) return;
    this.h.setRing(stored, 'gave_up', undefined, reason);
    this.h.record(stored, ring, { status: 'failed', reason });
    this.h.log.error({ ...context, reason }, 'alarm failed');
    this.h.save();
    if (!ring.test) this.h.emit('failed', this.h.view(stored));
  }

  /**
   * An alarm still starting when another one fired gives the speaker up; without this it would
   * stay "starting" until the next restart. Other aborts (stop, snooze, delete, shutdown) leave
   * the state to whoever aborted.
   */
  private endSuperseded(
    stored: StoredAlarm,
    signal: AbortSignal,
    ring: Ring,
    device: string | undefined,
  ): void {
    if (signal.reason !== SUPERSEDED || stored.runtime.ring?.state !== 'starting') return;
    this.fallback.stopFor(stored.spec.id, ring);
    this.h.setRing(stored, 'superseded', undefined, SUPERSEDED);
    this.h.record(stored, ring, {
      status: 'superseded',
      reason: 'another alarm fired at the same time and took over playback',
      ...(device ? { device } : {}),
    });
    this.h.log.warn({ alarm: stored.spec.id }, 'alarm gave way to another alarm firing at the same time');
    this.h.save();
  }

  /**
   * Ends an alarm's firing or fade, waits for the Spotify call it may have in flight (a `play`
   * answered after our pause would start the music again), stops the fallback sound, then pauses.
   */
  async silence(id: string, ring: Ring, why: string, alreadyPaused = false): Promise<void> {
    const live = this.tasks.get(id);
    live?.ctl.abort();
    await live?.task.catch(() => {});
    if (ring.fallback || this.h.alarm(id)?.runtime.ring?.fallback) this.h.fallback?.stop(id);
    const deviceId = ring.deviceId ?? this.h.alarm(id)?.runtime.ring?.deviceId ?? live?.startedOn;
    if (deviceId === undefined) {
      // Still trying to start: nothing of ours plays, so leave whatever else plays alone.
      this.h.log.info({ alarm: id, why }, 'alarm had not started playing; nothing to pause');
      return;
    }
    if (alreadyPaused) return;
    try {
      await this.h.player.pause(deviceId);
    } catch (err) {
      // Already paused (or the device went away): the alarm state still changes.
      this.h.log.warn({ alarm: id, why, err: describeError(err) }, 'could not pause playback');
    }
  }
}
