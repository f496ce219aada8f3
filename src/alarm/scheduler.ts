import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { AlarmBook, type AlarmView, type Edited, type NextAlarm } from './alarm-book.js';
import { type Ring, type RingState, type StoredAlarm, snoozedRing } from './alarm-record.js';
import { DeviceLearner } from './device-learner.js';
import { DeviceMemory } from './device-memory.js';
import { DueLoop } from './due-loop.js';
import { ConflictError, ValidationError } from './errors.js';
import { isValidTimeZone } from './model.js';
import { type RingEvent, type RingPhase, transition } from './ring-machine.js';
import { Ringer } from './ringer.js';
import { type AlarmSchedulerOptions, type ResolvedTimings, resolveTimings } from './scheduler-options.js';
import { TokenWarmer } from './token-warmer.js';

export { ALARMS_FILE, type AlarmView, type NextAlarm } from './alarm-book.js';
export type { AlarmSchedulerOptions, SleepTimerHandle } from './scheduler-options.js';
export type { RingState };

/** Events: `changed` (any state change), `ringing`, `snoozed`, `stopped`, `fired`, `failed`, `missed`. */
export type AlarmEvent = 'changed' | 'ringing' | 'snoozed' | 'stopped' | 'fired' | 'failed' | 'missed';

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Keeps the alarms and fires them on time: a façade over the alarm book (alarm-book.ts: the
 * alarms, their file and views), the scheduling loop (due-loop.ts, acting on due-check.ts's
 * decisions of what is due when), the ringer (ringer.ts: start, fade and silence one alarm), the
 * token warmer and the device learner. It owns `setRing`, the one place a ring changes, checked
 * against the transition table (ring-machine.ts).
 */
export class AlarmScheduler extends EventEmitter {
  /** Every Spotify Connect device seen (persisted as devices.json in the state dir). */
  readonly devices: DeviceMemory;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** The alarms and their file. */
  private readonly book: AlarmBook;
  /** Starts, fades and silences rings (ringer.ts). */
  private readonly ringer: Ringer;
  /** Lists Spotify's devices so the device memory learns them. */
  private readonly learner: DeviceLearner;
  /** Warms the token (and learns the devices) before each ring. */
  private readonly warmer: TokenWarmer;
  private readonly o: ResolvedTimings;
  /** The scheduling loop: what is due when (due-loop.ts). */
  private readonly loop: DueLoop;
  private closed = false;

  constructor(private readonly opts: AlarmSchedulerOptions) {
    super();
    if (!isValidTimeZone(opts.defaultTimezone)) {
      throw new Error(`default time zone "${opts.defaultTimezone}" is not a known IANA zone`);
    }
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.book = new AlarmBook({
      stateDir: opts.stateDir,
      clock: this.clock,
      log: this.log,
      defaultTimezone: opts.defaultTimezone,
      newId: opts.newId ?? (() => randomUUID().slice(0, 8)),
      ...(opts.readinessOf ? { readinessOf: opts.readinessOf } : {}),
    });
    this.devices = new DeviceMemory(opts.stateDir, this.clock, this.log);
    this.learner = new DeviceLearner(opts.player, this.devices, this.log, opts.learnDevices !== false);
    this.o = resolveTimings(opts);
    this.setMaxListeners(50);
    this.warmer = new TokenWarmer({
      ...(opts.warmToken ? { warmToken: opts.warmToken } : {}),
      leadMs: this.o.warmLeadMs,
      log: this.log,
      afterWarm: () => this.learner.learn(),
    });
    this.ringer = new Ringer({
      clock: this.clock,
      log: this.log,
      player: opts.player,
      devices: this.devices,
      o: this.o,
      ...(opts.fallback ? { fallback: opts.fallback } : {}),
      ...(opts.sleepTimer ? { sleepTimer: opts.sleepTimer } : {}),
      setRing: (stored, event, next, why) => this.setRing(stored, event, next, why),
      record: (stored, ring, result) => this.book.record(stored, ring, result),
      save: () => this.book.persistInBackground(),
      emit: (event, payload) => this.emit(event, payload),
      kick: () => this.loop.kick(),
      view: (stored) => this.book.view(stored),
      alarm: (id) => this.book.find(id),
      snooze: (id, how) => this.snooze(id, undefined, how),
      stop: (id, how) => this.stop(id, how),
      closed: () => this.closed,
    });
    this.loop = new DueLoop({
      clock: this.clock,
      log: this.log,
      o: this.o,
      book: this.book,
      ringer: this.ringer,
      warmer: this.warmer,
      setRing: (stored, event, next, why) => this.setRing(stored, event, next, why),
      emit: (event, payload) => this.emit(event, payload),
    });
  }

  /** Loads the alarms, resumes or records rings cut short by a restart, and starts the loop. */
  async start(): Promise<void> {
    await this.load();
    await this.devices.load();
    this.loop.start();
  }

  /** Reads the alarms file without scheduling anything (for offline edits such as import-config). */
  load(): Promise<void> {
    return this.book.load();
  }

  /** Stops the loop and any firing in progress, and flushes the files. */
  async close(): Promise<void> {
    this.closed = true;
    const learning = this.learner.close();
    this.loop.stop();
    await this.ringer.close();
    await this.loop.finished();
    await learning;
    await this.book.flush();
    await this.devices.flush();
  }

  /** Resolves when firings in progress (start and fade, not the pause watch) have finished. For tests and shutdown. */
  async idle(): Promise<void> {
    await this.ringer.idle();
    await this.book.flush();
  }

  /**
   * Applies defaults changed on the settings page without a restart: the next snooze, the next
   * missed-alarm check and alarms created from now on use them.
   */
  setDefaults(d: {
    snoozeMinutes?: number;
    graceMs?: number;
    defaultTimezone?: string;
    volume?: number;
    fadeInSeconds?: number;
  }): void {
    if (d.snoozeMinutes !== undefined) this.o.snoozeMinutes = d.snoozeMinutes;
    if (d.graceMs !== undefined) {
      this.o.graceMs = d.graceMs;
      // A ring retries Spotify for the grace window unless told otherwise.
      if (this.opts.retryForMs === undefined) this.o.retryForMs = d.graceMs;
    }
    this.book.setDefaults(d);
  }

  /** Every alarm, ordered by next fire time (disabled last). */
  list(): AlarmView[] {
    return this.book.list();
  }

  /** One alarm; throws NotFoundError. */
  get(id: string): AlarmView {
    return this.book.view(this.book.mustGet(id));
  }

  /** Validates and adds an alarm; with `options.id` an existing alarm of that id is replaced. */
  async create(input: unknown, options: { id?: string } = {}): Promise<AlarmView> {
    const stored = this.book.add(input, options.id);
    await this.changed(stored.spec.id, 'alarm created');
    if (stored.spec.device) this.learner.learn();
    return this.book.view(stored);
  }

  /** Replaces an alarm's settings (PUT): omitted optional fields take their defaults. */
  async replace(id: string, input: unknown): Promise<AlarmView> {
    return this.edited(this.book.replace(id, input), 'alarm replaced');
  }

  /** Changes some fields (PATCH). */
  async update(id: string, input: unknown): Promise<AlarmView> {
    return this.edited(this.book.update(id, input), 'alarm updated');
  }

  /** Deletes an alarm (stopping it, and pausing playback, if it rings). */
  async remove(id: string): Promise<void> {
    const stored = this.book.mustGet(id);
    const ring = stored.runtime.ring;
    if (ring && ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'delete');
    else this.ringer.abort(id);
    this.book.delete(id);
    await this.changed(id, 'alarm deleted');
  }

  /** Pauses a ringing alarm and fires it again after `minutes` (default: the configured snooze). */
  async snooze(id: string, minutes?: number, how: { pausedOnSpeaker?: boolean } = {}): Promise<AlarmView> {
    const stored = this.book.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing`, 'notRinging');
    if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 120)) {
      throw new ValidationError('minutes must be an integer from 1 to 120', 'minutes');
    }
    const length = minutes ?? this.o.snoozeMinutes;
    if (ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'snooze', how.pausedOnSpeaker === true);
    const next = snoozedRing(stored.runtime.ring ?? ring, this.clock.now(), length);
    this.setRing(stored, 'snooze', next, how.pausedOnSpeaker ? 'paused on the speaker' : 'snoozed');
    await this.changed(
      id,
      how.pausedOnSpeaker ? 'alarm snoozed by a pause on the speaker' : 'alarm snoozed',
      {
        minutes: length,
      },
    );
    this.emit('snoozed', this.book.view(stored));
    return this.book.view(stored);
  }

  /** Ends a ringing or snoozed alarm for the day (pausing playback if it is sounding). */
  async stop(id: string, how: { pausedOnSpeaker?: boolean } = {}): Promise<AlarmView> {
    const stored = this.book.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing or snoozed`, 'notRingingOrSnoozed');
    if (ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'stop', how.pausedOnSpeaker === true);
    if (ring.test) this.ringer.recordTestEnd(stored, 'stopped');
    this.setRing(stored, 'stop', undefined, how.pausedOnSpeaker ? 'paused on the speaker again' : 'stopped');
    await this.changed(
      id,
      how.pausedOnSpeaker ? 'alarm stopped by a second pause on the speaker' : 'alarm stopped',
    );
    this.emit('stopped', this.book.view(stored));
    return this.book.view(stored);
  }

  /**
   * Rings an alarm now through the same path as a real ring (device, volume, fade, fallback) for
   * up to `testRingMs` or until stopped. Leaves `last_result` alone; the outcome is `last_test`.
   */
  async test(id: string): Promise<AlarmView> {
    const stored = this.book.mustGet(id);
    if (stored.runtime.ring)
      throw new ConflictError(`alarm ${id} is ringing or snoozed; stop it first`, 'busy');
    const now = this.clock.now();
    this.ringer.fire(stored, { occurrence: now, due: now, snoozeCount: 0, test: true, event: 'due' });
    await this.changed(id, 'alarm test ring started');
    return this.book.view(stored);
  }

  /** The next alarm or snooze to sound, or null. */
  next(): NextAlarm | null {
    return this.book.next();
  }

  /** Alarms currently starting, ringing or snoozed. */
  ringing(): AlarmView[] {
    return this.book.ringing();
  }

  /** A compact summary for status output. */
  status(): { alarms: number; enabled: number; next: NextAlarm | null; ringing: AlarmView[] } {
    return this.book.status();
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * After a PUT or PATCH. A user who disables a snoozed alarm expects silence: the pending
   * snooze goes too. Only an explicit `enabled: false` counts: a snoozed one-off is already
   * disabled, and renaming it must not cancel its snooze.
   */
  private async edited(edit: Edited, msg: string): Promise<AlarmView> {
    const { stored } = edit;
    if (edit.enabled === false && stored.runtime.ring?.state === 'snoozed') {
      this.setRing(stored, 'disable', undefined, 'alarm disabled');
    }
    await this.changed(stored.spec.id, msg);
    if (edit.namesDevice) this.learner.learn();
    return this.book.view(stored);
  }

  /**
   * The one place a ring changes: checks (phase, event) against the transition table, refuses
   * an illegal change, logs `from → to`, persists and emits `changed`.
   */
  private setRing(stored: StoredAlarm, event: RingEvent, next: Ring | undefined, why: string): boolean {
    const from: RingPhase = stored.runtime.ring?.state ?? 'idle';
    const to = transition(from, event);
    const wanted: RingPhase = next?.state ?? 'idle';
    if (to === null || to !== wanted) {
      this.log.warn({ alarm: stored.spec.id, from, event, wanted }, 'refused an illegal ring change');
      return false;
    }
    stored.runtime.ring = next;
    this.log.debug({ alarm: stored.spec.id, from, to, event, why }, 'ring changed');
    this.book.persistInBackground();
    this.emit('changed', { id: stored.spec.id });
    return true;
  }

  /** Persists an edit, then tells listeners and the loop. */
  private async changed(id: string, msg: string, extra: object = {}): Promise<void> {
    await this.book.persist();
    this.log.info({ alarm: id, ...extra }, msg);
    this.emit('changed', { id });
    this.loop.kick();
  }
}
