import type { Clock, Logger } from '../token/types.js';
import type { Ring, StoredAlarm } from './alarm-record.js';
import type { DeviceMemory } from './device-memory.js';
import { actionFor } from './error-kinds.js';
import { describeError } from './errors.js';
import { type FadePlan, runFade, volumeAt } from './fade.js';
import type { FallbackSound } from './fallback-port.js';
import type { AlarmSpec, LastResult } from './model.js';
import type { AlarmPlayer } from './player.js';
import type { RingEvent } from './ring-machine.js';
import { formatInZone } from './schedule.js';
import { WakeUpFailedError, wakeUp } from './wake-up.js';

/** What the scheduler holds for an alarm with a firing, fade or watch in progress. */
interface Live {
  ctl: AbortController;
  task: Promise<void>;
  /** The device the ring started playback on (also when aborted right after). */
  startedOn?: string;
  /** The latest failed attempt's reason (quoted by the fallback sound). */
  lastError?: string;
}

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

/** Resolved timing options the ringer uses (see AlarmSchedulerOptions for their meaning). */
export interface RingerTimings {
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

/** What the ringer needs from the scheduler that owns the alarms. */
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

/**
 * Starts, fades and silences rings: one alarm's firing (through `wakeUp`), its fade-in, the
 * fallback sound, the pause-on-speaker watch and test rings. Holds one record per alarm with
 * something in progress; every change of a ring goes through the host's `setRing`.
 */
export class Ringer {
  /** The firing, fade or pause watch of each alarm that has one. */
  private readonly live = new Map<string, Live>();
  private readonly tasks = new Set<Promise<void>>();
  /** Pause watches: long, quiet polls that `idle()` does not wait for (`close()` does). */
  private readonly watches = new Set<Promise<void>>();
  /** Test rings being ended (so the loop does not end one twice). */
  private readonly endingTests = new Set<string>();

  constructor(private readonly h: RingHost) {}

  /** True while an alarm has a firing, fade or watch in progress. */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /** Aborts whatever the alarm has in progress (without pausing anything). */
  abort(id: string): void {
    this.live.get(id)?.ctl.abort();
  }

  /** Resolves when firings and fades (not pause watches) have finished. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Aborts everything and waits for it. */
  async close(): Promise<void> {
    for (const live of this.live.values()) live.ctl.abort();
    await Promise.allSettled([...this.tasks, ...this.watches]);
  }

  /** Time-driven changes of a starting or ringing alarm: fallback sound, test end, ring timeout. */
  checkRing(stored: StoredAlarm, ring: Ring, now: number): number | undefined {
    const id = stored.spec.id;
    const due = ring.due ?? ring.occurrence;
    if (ring.test) {
      const end = due + this.h.o.testRingMs;
      if (now < end) return this.fallbackCheck(stored, ring, now) ?? end;
      if (!this.endingTests.has(id)) {
        this.endingTests.add(id);
        this.endTest(stored)
          .catch((err) =>
            this.h.log.error({ alarm: id, err: describeError(err) }, 'could not end the test ring'),
          )
          .finally(() => this.endingTests.delete(id));
      }
      return undefined;
    }
    if (ring.state === 'starting') return this.fallbackCheck(stored, ring, now);
    if (this.live.has(id)) return undefined;
    if (now - ring.since >= this.h.o.ringTimeoutMs) {
      if (ring.fallback) this.h.fallback?.stop(id);
      this.h.setRing(stored, 'ring_timeout', undefined, 'nobody answered');
      return undefined;
    }
    return ring.since + this.h.o.ringTimeoutMs;
  }

  /** Starts the fallback sound when the music has not started `fallbackAfterMs` after the ring was due. */
  private fallbackCheck(stored: StoredAlarm, ring: Ring, now: number): number | undefined {
    if (!this.h.fallback || ring.fallback || ring.state !== 'starting') return undefined;
    const at = (ring.due ?? ring.occurrence) + this.h.o.fallbackAfterMs;
    if (now < at) return at;
    const lastError = this.live.get(stored.spec.id)?.lastError;
    const reason = `Spotify had not started playing ${Math.round(this.h.o.fallbackAfterMs / 1000)} s after the alarm time${lastError ? `: ${lastError}` : ''}`;
    this.startFallback(stored, ring, reason);
    return undefined;
  }

  private startFallback(stored: StoredAlarm, ring: Ring, reason: string): void {
    const id = stored.spec.id;
    this.h.log.warn({ alarm: id, reason }, 'ringing the fallback sound');
    this.h.fallback?.start(id, reason);
    if (ring.state === 'starting') {
      this.h.setRing(
        stored,
        'fallback',
        { ...ring, state: 'ringing', since: this.h.clock.now(), fallback: true },
        reason,
      );
    }
    this.h.record(stored, ring, { status: 'fallback_sound', reason });
    this.h.save();
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
    if (ring.fallback) this.h.fallback?.stop(stored.spec.id);
    this.h.setRing(stored, 'superseded', undefined, SUPERSEDED);
    this.h.record(stored, ring, {
      status: 'superseded',
      reason: 'another alarm fired at the same time and took over playback',
      ...(device ? { device } : {}),
    });
    this.h.log.warn({ alarm: stored.spec.id }, 'alarm gave way to another alarm firing at the same time');
    this.h.save();
  }

  /** Registers a background task of an alarm (its firing, resumed fade or pause watch). */
  private track(
    id: string,
    ctl: AbortController,
    run: (live: Live) => Promise<void>,
    set: Set<Promise<void>> = this.tasks,
  ): Live {
    const live: Live = { ctl, task: Promise.resolve() };
    this.live.set(id, live);
    const task = run(live)
      .catch((err) => this.h.log.error({ alarm: id, err: describeError(err) }, 'alarm task failed'))
      .finally(() => {
        if (this.live.get(id) === live) this.live.delete(id);
        set.delete(task);
      });
    live.task = task;
    set.add(task);
    return live;
  }

  /** Hands a ringing alarm over from its firing task to a pause watch (same abort controller). */
  private startWatch(stored: StoredAlarm, ring: Ring, spec: AlarmSpec, ctl: AbortController): void {
    if (!spec.pause_snoozes || ring.test || ctl.signal.aborted || this.h.closed()) return;
    const id = spec.id;
    const startedOn = ring.deviceId;
    // Queued so the firing task has ended and released its live entry first.
    queueMicrotask(() => {
      if (ctl.signal.aborted || stored.runtime.ring !== ring) return;
      const live = this.track(id, ctl, () => this.watchForPause(stored, ring, spec, ctl), this.watches);
      if (startedOn) live.startedOn = startedOn;
    });
  }

  /** Starts an alarm (or a snooze's re-ring, or a test ring) in the background. */
  fire(stored: StoredAlarm, at: RingStart): void {
    const id = stored.spec.id;
    // One speaker, one alarm: a new ring ends any other alarm's start or fade.
    for (const [otherId, live] of this.live) {
      if (otherId !== id) live.ctl.abort(SUPERSEDED);
    }
    this.live.get(id)?.ctl.abort();
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
    this.track(id, ctl, (live) => this.ring(stored, spec, ring, ctl, live, context));
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
    let result: Awaited<ReturnType<typeof wakeUp>>;
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
    if (current.fallback) this.h.fallback?.stop(id);
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
    if (plan) {
      const outcome = await this.fadeIn(stored, next, plan, ctl, context, result.priorVolume);
      if (outcome === 'person_paused') {
        this.pausedOnSpeaker(next, spec);
        return;
      }
      if (outcome === 'aborted') return;
    }
    this.startWatch(stored, next, spec, ctl);
  }

  /** Spotify could not be made to play: ring the fallback sound if there is one, else record the failure. */
  private gaveUp(stored: StoredAlarm, err: unknown, context: object): void {
    const ring = stored.runtime.ring;
    if (!ring) return;
    const reason = err instanceof WakeUpFailedError ? err.message : describeError(err);
    if (this.h.fallback) {
      const why = `Spotify could not play: ${reason}`;
      if (!ring.fallback) this.startFallback(stored, ring, why);
      else this.h.record(stored, ring, { status: 'fallback_sound', reason: why });
      this.h.save();
      return;
    }
    this.h.setRing(stored, 'gave_up', undefined, reason);
    this.h.record(stored, ring, { status: 'failed', reason });
    this.h.log.error({ ...context, reason }, 'alarm failed');
    this.h.save();
    if (!ring.test) this.h.emit('failed', this.h.view(stored));
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

  /** After a restart mid-fade: jump to the volume the fade should have reached, then carry on. */
  resumeFade(stored: StoredAlarm, ring: Ring, plan: FadePlan): void {
    const id = stored.spec.id;
    const deviceId = ring.deviceId;
    if (!deviceId) return;
    const spec = { ...stored.spec };
    const context = { alarm: id, label: spec.label };
    this.track(id, new AbortController(), async (live) => {
      const ctl = live.ctl;
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
      const outcome = await this.fadeIn(stored, ring, plan, ctl, context);
      if (outcome === 'person_paused') this.pausedOnSpeaker(ring, spec);
      else if (outcome !== 'aborted') this.startWatch(stored, ring, spec, ctl);
    });
  }

  /**
   * While a ring is young, pausing it on the speaker or in the Spotify app snoozes it (the
   * original SpotiPi's habit); polls the playback every `pauseCheckMs`.
   */
  private async watchForPause(
    stored: StoredAlarm,
    ring: Ring,
    spec: AlarmSpec,
    ctl: AbortController,
  ): Promise<void> {
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
        this.pausedOnSpeaker(ring, spec);
        return;
      }
    }
  }

  /** A pause on the speaker: the first snoozes, one after a snooze stops the alarm for the day. */
  private pausedOnSpeaker(ring: Ring, spec: AlarmSpec): void {
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

  /** Ends a test ring after `testRingMs`: pauses what it started and records `last_test`. */
  private async endTest(stored: StoredAlarm): Promise<void> {
    const ring = stored.runtime.ring;
    if (!ring?.test) return;
    await this.silence(stored.spec.id, ring, 'test over');
    if (stored.runtime.ring !== ring && stored.runtime.ring?.test !== true) return;
    this.recordTestEnd(stored, 'ended');
    this.h.setRing(stored, 'stop', undefined, 'test ring over');
    this.h.emit('stopped', this.h.view(stored));
  }

  recordTestEnd(stored: StoredAlarm, how: 'ended' | 'stopped'): void {
    const ring = stored.runtime.ring;
    if (!ring?.test) return;
    if (!ring.deviceId && !ring.fallback) {
      this.h.record(stored, ring, {
        status: 'failed',
        reason: `the test ${how} before Spotify played${this.live.get(stored.spec.id)?.lastError ? `: ${this.live.get(stored.spec.id)?.lastError}` : ''}`,
      });
    }
  }

  /**
   * Ends an alarm's firing or fade, waits for the Spotify call it may have in flight (a `play`
   * answered after our pause would start the music again), stops the fallback sound, then pauses.
   */
  async silence(id: string, ring: Ring, why: string, alreadyPaused = false): Promise<void> {
    const live = this.live.get(id);
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
