import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type * as z from 'zod';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { type Ring, type RingState, runtimeSchema, type StoredAlarm } from './alarm-record.js';
import {
  decodeAlarmsFile,
  encodeAlarmsFile,
  NO_PRESERVED_FIELDS,
  type PreservedFields,
} from './alarms-file.js';
import { DeviceMemory } from './device-memory.js';
import { ConflictError, describeError, NotFoundError, ValidationError } from './errors.js';
import {
  type AlarmSpec,
  alarmInputSchema,
  alarmPatchSchema,
  alarmSpecSchema,
  isValidTimeZone,
  type LastResult,
  parseOrThrow,
  sortDays,
} from './model.js';
import type { Readiness } from './readiness.js';
import { type RingEvent, type RingPhase, transition } from './ring-machine.js';
import { Ringer } from './ringer.js';
import { formatInZone, latestFireBetween, nextFireTime } from './schedule.js';
import { type AlarmSchedulerOptions, type ResolvedTimings, resolveTimings } from './scheduler-options.js';
import { JsonStateFile } from './state-file.js';
import { TokenWarmer } from './token-warmer.js';

export type { AlarmSchedulerOptions, SleepTimerHandle } from './scheduler-options.js';
export type { RingState };

/** The alarms file's name inside the state dir. */
export const ALARMS_FILE = 'alarms.json';

/** An alarm as the API shows it: its settings plus schedule and last outcome. */
export interface AlarmView extends AlarmSpec {
  /** ISO 8601 with the alarm zone's offset; null when disabled. */
  next_fire_at: string | null;
  last_result: LastResult | null;
  /** Outcome of the latest test ring (`POST /api/alarms/:id/test`). */
  last_test: LastResult | null;
  state: 'idle' | RingState;
  snoozed_until: string | null;
  /** True while the fallback sound rings for this alarm (open pages ring too). */
  fallback_sound: boolean;
  /** True while a test ring runs. */
  testing: boolean;
  /** The preflight's verdict (null when no preflight runs). */
  readiness: Readiness | null;
}

/** The next thing that will sound. */
export interface NextAlarm {
  alarm: AlarmView;
  kind: 'alarm' | 'snooze';
  fire_at: string;
  /** Epoch ms of `fire_at`. */
  fire_at_ms: number;
  in_seconds: number;
}

/** Events: `changed` (any state change), `ringing`, `snoozed`, `stopped`, `fired`, `failed`, `missed`. */
export type AlarmEvent = 'changed' | 'ringing' | 'snoozed' | 'stopped' | 'fired' | 'failed' | 'missed';

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Keeps the alarms, persists them, and fires them on time: one loop sleeps until the next
 * due moment (in chunks of at most `maxSleepMs`, so a wall-clock jump is seen within that),
 * then fires, marks missed, wakes snoozes and warms the token. Starting the music is
 * `wakeUp` (wake-up.ts), the fade is `runFade` (fade.ts); every change of a ring goes through
 * `setRing`, which checks it against the transition table (ring-machine.ts).
 */
export class AlarmScheduler extends EventEmitter {
  /** Every Spotify Connect device seen (persisted as devices.json in the state dir). */
  readonly devices: DeviceMemory;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly file: JsonStateFile<ReturnType<typeof encodeAlarmsFile>>;
  /** Fields of the alarms file this version does not know, written back unchanged (alarms-file.ts). */
  private preserved: PreservedFields = NO_PRESERVED_FIELDS;
  private readonly alarms = new Map<string, StoredAlarm>();
  /** Starts, fades and silences rings (ringer.ts). */
  private readonly ringer: Ringer;
  /** Device listings in flight (learnDevices). */
  private readonly listings = new Set<Promise<void>>();
  /** Warms the token (and learns the devices) before each ring. */
  private readonly warmer: TokenWarmer;
  private readonly o: ResolvedTimings;
  private wake = new AbortController();
  private closed = false;
  private loopDone: Promise<void> | undefined;
  private readonly newId: () => string;
  /** Volume and fade-in of alarms created without them (settings page). */
  private readonly newAlarm = { volume: 50, fadeInSeconds: 0 };

  constructor(private readonly opts: AlarmSchedulerOptions) {
    super();
    if (!isValidTimeZone(opts.defaultTimezone)) {
      throw new Error(`default time zone "${opts.defaultTimezone}" is not a known IANA zone`);
    }
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.file = new JsonStateFile(join(opts.stateDir, ALARMS_FILE), this.log, 'refuse');
    this.devices = new DeviceMemory(opts.stateDir, this.clock, this.log);
    this.newId = opts.newId ?? (() => randomUUID().slice(0, 8));
    this.o = resolveTimings(opts);
    this.setMaxListeners(50);
    this.warmer = new TokenWarmer({
      ...(opts.warmToken ? { warmToken: opts.warmToken } : {}),
      leadMs: this.o.warmLeadMs,
      log: this.log,
      afterWarm: () => this.learnDevices(),
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
      record: (stored, ring, result) => this.record(stored, ring, result),
      save: () => this.persistInBackground(),
      emit: (event, payload) => this.emit(event, payload),
      kick: () => this.kick(),
      view: (stored) => this.view(stored),
      alarm: (id) => this.alarms.get(id),
      snooze: (id, how) => this.snooze(id, undefined, how),
      stop: (id, how) => this.stop(id, how),
      closed: () => this.closed,
    });
  }

  /** Loads the alarms, resumes or records rings cut short by a restart, and starts the loop. */
  async start(): Promise<void> {
    await this.load();
    await this.devices.load();
    const now = this.clock.now();
    for (const stored of this.alarms.values()) {
      const ring = stored.runtime.ring;
      if (!ring || ring.state === 'snoozed') continue;
      const due = ring.due ?? ring.occurrence;
      if (ring.test) {
        // A test ring cut short by a restart is over; it is not rung again.
        this.setRing(stored, 'stop', undefined, 'test ring cut short by a restart');
        continue;
      }
      if (ring.state === 'starting' || !ring.deviceId) {
        // Grace counts from when this ring was due: for a snooze's re-ring, the end of the snooze.
        if (now - due <= this.o.graceMs) {
          this.log.warn(
            { alarm: stored.spec.id },
            'alarm was starting when the server stopped; firing again',
          );
          // A ring that only had the fallback sound starts over (and the sound with it).
          this.ringer.fire(stored, { ...ring, due, event: ring.state === 'starting' ? 'resumed' : 'due' });
        } else if (ring.fallback) {
          // It did ring (the fallback sound): last_result already says so; nothing was missed.
          this.setRing(stored, 'expired', undefined, 'restart after the grace window');
        } else {
          this.setRing(stored, 'expired', undefined, 'restart after the grace window');
          this.recordMissed(
            stored,
            ring.occurrence,
            now,
            `the server stopped while the alarm was starting and came back more than ${this.graceMinutes()} min after it was due`,
          );
        }
      } else if (ring.fade && now - ring.since < this.o.ringTimeoutMs) {
        this.ringer.resumeFade(stored, ring, ring.fade);
      }
    }
    this.tick();
    this.loopDone = this.loop();
  }

  /** Reads the alarms file without scheduling anything (for offline edits such as import-config). */
  async load(): Promise<void> {
    this.alarms.clear();
    // Throws UnreadableStateFileError rather than dropping alarms it cannot read.
    const decoded = await this.file.load((raw) =>
      decodeAlarmsFile(raw, { spec: alarmSpecSchema, runtime: runtimeSchema }),
    );
    this.preserved = decoded?.preserved ?? NO_PRESERVED_FIELDS;
    for (const { spec, runtime } of decoded?.entries ?? []) {
      const stored: StoredAlarm = { spec: { ...spec, days: sortDays(spec.days) }, runtime: { ...runtime } };
      this.alarms.set(spec.id, stored);
    }
    this.log.info({ alarms: this.alarms.size }, 'alarms loaded');
  }

  /** Stops the loop and any firing in progress, and flushes the files. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake.abort();
    await this.ringer.close();
    await this.loopDone;
    await Promise.allSettled([...this.listings]);
    await this.file.flush();
    await this.devices.flush();
  }

  /** Resolves when firings in progress (start and fade, not the pause watch) have finished. For tests and shutdown. */
  async idle(): Promise<void> {
    await this.ringer.idle();
    await this.file.flush();
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
    if (d.defaultTimezone !== undefined && isValidTimeZone(d.defaultTimezone))
      this.opts.defaultTimezone = d.defaultTimezone;
    if (d.volume !== undefined) this.newAlarm.volume = d.volume;
    if (d.fadeInSeconds !== undefined) this.newAlarm.fadeInSeconds = d.fadeInSeconds;
  }

  /** Every alarm, ordered by next fire time (disabled last). */
  list(): AlarmView[] {
    return [...this.alarms.values()]
      .map((a) => this.view(a))
      .sort((a, b) => (a.next_fire_at ? 0 : 1) - (b.next_fire_at ? 0 : 1) || a.time.localeCompare(b.time));
  }

  /** One alarm; throws NotFoundError. */
  get(id: string): AlarmView {
    return this.view(this.mustGet(id));
  }

  /** Validates and adds an alarm; with `options.id` an existing alarm of that id is replaced. */
  async create(input: unknown, options: { id?: string } = {}): Promise<AlarmView> {
    const body = parseOrThrow(alarmInputSchema, input);
    const id = options.id ?? this.newId();
    const spec = this.withDefaults(id, body);
    const stored: StoredAlarm = { spec, runtime: { anchorAt: this.clock.now() } };
    this.alarms.set(id, stored);
    await this.changed(stored, 'alarm created');
    if (spec.device) this.learnDevices();
    return this.view(stored);
  }

  /** Replaces an alarm's settings (PUT): omitted optional fields take their defaults. */
  async replace(id: string, input: unknown): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const body = parseOrThrow(alarmInputSchema, input);
    stored.spec = this.withDefaults(id, body);
    stored.runtime.anchorAt = this.clock.now();
    this.dropSnoozeIfDisabled(stored, body.enabled);
    await this.changed(stored, 'alarm replaced');
    if (stored.spec.device) this.learnDevices();
    return this.view(stored);
  }

  /** Changes some fields (PATCH). */
  async update(id: string, input: unknown): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const patch = parseOrThrow(alarmPatchSchema, input);
    const next: AlarmSpec = { ...stored.spec };
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    next.days = sortDays(next.days);
    stored.spec = next;
    stored.runtime.anchorAt = this.clock.now();
    this.dropSnoozeIfDisabled(stored, patch.enabled);
    await this.changed(stored, 'alarm updated');
    if (patch.device) this.learnDevices();
    return this.view(stored);
  }

  /**
   * A user who disables a snoozed alarm expects silence: the pending snooze goes too. Only an
   * explicit `enabled: false` counts: a snoozed one-off is already disabled, and renaming it
   * must not cancel its snooze.
   */
  private dropSnoozeIfDisabled(stored: StoredAlarm, enabled: boolean | undefined): void {
    if (enabled === false && stored.runtime.ring?.state === 'snoozed') {
      this.setRing(stored, 'disable', undefined, 'alarm disabled');
    }
  }

  /** Deletes an alarm (stopping it, and pausing playback, if it rings). */
  async remove(id: string): Promise<void> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (ring && ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'delete');
    else this.ringer.abort(id);
    this.alarms.delete(id);
    await this.persist();
    this.log.info({ alarm: id }, 'alarm deleted');
    this.emit('changed', { id });
    this.kick();
  }

  /** Pauses a ringing alarm and fires it again after `minutes` (default: the configured snooze). */
  async snooze(id: string, minutes?: number, how: { pausedOnSpeaker?: boolean } = {}): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing`);
    if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 120)) {
      throw new ValidationError('minutes must be an integer from 1 to 120', 'minutes');
    }
    const length = minutes ?? this.o.snoozeMinutes;
    if (ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'snooze', how.pausedOnSpeaker === true);
    const now = this.clock.now();
    const current = stored.runtime.ring ?? ring;
    this.setRing(
      stored,
      'snooze',
      {
        state: 'snoozed',
        since: now,
        occurrence: current.occurrence,
        snoozedUntil: now + length * 60_000,
        snoozeCount: current.snoozeCount + 1,
        ...(current.deviceId ? { deviceId: current.deviceId } : {}),
        ...(current.deviceName ? { deviceName: current.deviceName } : {}),
      },
      how.pausedOnSpeaker ? 'paused on the speaker' : 'snoozed',
    );
    await this.changed(
      stored,
      how.pausedOnSpeaker ? 'alarm snoozed by a pause on the speaker' : 'alarm snoozed',
      {
        minutes: length,
      },
    );
    this.emit('snoozed', this.view(stored));
    return this.view(stored);
  }

  /** Ends a ringing or snoozed alarm for the day (pausing playback if it is sounding). */
  async stop(id: string, how: { pausedOnSpeaker?: boolean } = {}): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing or snoozed`);
    if (ring.state !== 'snoozed') await this.ringer.silence(id, ring, 'stop', how.pausedOnSpeaker === true);
    if (ring.test) this.ringer.recordTestEnd(stored, 'stopped');
    this.setRing(stored, 'stop', undefined, how.pausedOnSpeaker ? 'paused on the speaker again' : 'stopped');
    await this.changed(
      stored,
      how.pausedOnSpeaker ? 'alarm stopped by a second pause on the speaker' : 'alarm stopped',
    );
    this.emit('stopped', this.view(stored));
    return this.view(stored);
  }

  /**
   * Rings an alarm now through the same path as a real ring (device, volume, fade, fallback) for
   * up to `testRingMs` or until stopped. Leaves `last_result` alone; the outcome is `last_test`.
   */
  async test(id: string): Promise<AlarmView> {
    const stored = this.mustGet(id);
    if (stored.runtime.ring) throw new ConflictError(`alarm ${id} is ringing or snoozed; stop it first`);
    const now = this.clock.now();
    this.ringer.fire(stored, { occurrence: now, due: now, snoozeCount: 0, test: true, event: 'due' });
    await this.changed(stored, 'alarm test ring started');
    return this.view(stored);
  }

  /** The next alarm or snooze to sound, or null. */
  next(): NextAlarm | null {
    const now = this.clock.now();
    let best: { stored: StoredAlarm; at: number; kind: 'alarm' | 'snooze' } | undefined;
    for (const stored of this.alarms.values()) {
      const snoozeAt = stored.runtime.ring?.snoozedUntil;
      if (stored.runtime.ring?.state === 'snoozed' && snoozeAt !== undefined) {
        if (!best || snoozeAt < best.at) best = { stored, at: snoozeAt, kind: 'snooze' };
      }
      const at = this.nextFire(stored);
      if (at !== undefined && (!best || at < best.at)) best = { stored, at, kind: 'alarm' };
    }
    if (!best) return null;
    return {
      alarm: this.view(best.stored),
      kind: best.kind,
      fire_at: formatInZone(best.at, best.stored.spec.timezone),
      fire_at_ms: best.at,
      in_seconds: Math.max(0, Math.round((best.at - now) / 1000)),
    };
  }

  /** Alarms currently starting, ringing or snoozed. */
  ringing(): AlarmView[] {
    return [...this.alarms.values()].filter((a) => a.runtime.ring).map((a) => this.view(a));
  }

  /** A compact summary for status output. */
  status(): { alarms: number; enabled: number; next: NextAlarm | null; ringing: AlarmView[] } {
    const all = [...this.alarms.values()];
    return {
      alarms: all.length,
      enabled: all.filter((a) => a.spec.enabled).length,
      next: this.next(),
      ringing: this.ringing(),
    };
  }

  // ---- internals -------------------------------------------------------------------------

  private withDefaults(id: string, body: z.infer<typeof alarmInputSchema>): AlarmSpec {
    return {
      id,
      label: body.label ?? 'Alarm',
      time: body.time,
      days: sortDays(body.days ?? []),
      timezone: body.timezone ?? this.opts.defaultTimezone,
      context_uri: body.context_uri,
      shuffle: body.shuffle ?? false,
      device: body.device ?? null,
      volume: body.volume ?? this.newAlarm.volume,
      fade_in_seconds: body.fade_in_seconds ?? this.newAlarm.fadeInSeconds,
      enabled: body.enabled ?? true,
      pause_snoozes: body.pause_snoozes ?? true,
    };
  }

  private mustGet(id: string): StoredAlarm {
    const stored = this.alarms.get(id);
    if (!stored) throw new NotFoundError(`no alarm with id "${id}"`);
    return stored;
  }

  private nextFire(stored: StoredAlarm): number | undefined {
    if (!stored.spec.enabled) return undefined;
    return nextFireTime(stored.spec, stored.runtime.anchorAt);
  }

  private graceMinutes(): number {
    return Math.round(this.o.graceMs / 60_000);
  }

  private view(stored: StoredAlarm): AlarmView {
    const next = this.nextFire(stored);
    const ring = stored.runtime.ring;
    return {
      ...stored.spec,
      days: [...stored.spec.days],
      next_fire_at: next === undefined ? null : formatInZone(next, stored.spec.timezone),
      last_result: stored.runtime.lastResult ?? null,
      last_test: stored.runtime.lastTest ?? null,
      state: ring?.state ?? 'idle',
      snoozed_until:
        ring?.state === 'snoozed' && ring.snoozedUntil !== undefined
          ? formatInZone(ring.snoozedUntil, stored.spec.timezone)
          : null,
      fallback_sound: ring?.fallback === true,
      testing: ring?.test === true,
      readiness: this.opts.readinessOf?.(stored.spec.id) ?? null,
    };
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
    this.persistInBackground();
    this.emit('changed', { id: stored.spec.id });
    return true;
  }

  /** Records a ring's outcome: `last_result`, or `last_test` for a test ring. */
  private record(
    stored: StoredAlarm,
    ring: Pick<Ring, 'occurrence' | 'test'>,
    result: Omit<LastResult, 'at' | 'scheduled_for'>,
  ): void {
    const tz = stored.spec.timezone;
    const full: LastResult = {
      ...result,
      at: formatInZone(this.clock.now(), tz),
      scheduled_for: formatInZone(ring.occurrence, tz),
    };
    if (ring.test) stored.runtime.lastTest = full;
    else stored.runtime.lastResult = full;
  }

  private async changed(stored: StoredAlarm, msg: string, extra: object = {}): Promise<void> {
    await this.persist();
    this.log.info({ alarm: stored.spec.id, ...extra }, msg);
    this.emit('changed', { id: stored.spec.id });
    this.kick();
  }

  private persist(): Promise<void> {
    return this.file.save(encodeAlarmsFile([...this.alarms.values()], this.preserved));
  }

  private persistInBackground(): void {
    this.persist().catch((err) => this.log.error({ err: describeError(err) }, 'could not save alarms'));
  }

  /** Wakes the loop so it recomputes its next wake-up. */
  private kick(): void {
    this.wake.abort();
  }

  private async loop(): Promise<void> {
    let lastZeroAt: number | undefined;
    while (!this.closed) {
      this.wake = new AbortController();
      const now = this.clock.now();
      const wakeAt = this.tick();
      let delay = Math.min(this.o.maxSleepMs, Math.max(0, (wakeAt ?? Number.POSITIVE_INFINITY) - now));
      // Safety net: never spin if something stays "due" without being handled.
      if (delay === 0 && lastZeroAt === now) delay = 250;
      lastZeroAt = delay === 0 ? now : undefined;
      try {
        await this.clock.sleep(delay, this.wake.signal);
      } catch {
        // Woken early by a change; loop around.
      }
    }
  }

  /** Handles everything due now; returns the wall ms of the next thing to do. */
  private tick(): number | undefined {
    if (this.closed) return undefined;
    const now = this.clock.now();
    let wakeAt: number | undefined;
    const soonest = (t: number | undefined) => {
      if (t !== undefined && (wakeAt === undefined || t < wakeAt)) wakeAt = t;
    };
    let dirty = false;
    for (const stored of this.alarms.values()) {
      const id = stored.spec.id;
      const ring = stored.runtime.ring;
      if (ring?.state === 'snoozed' && ring.snoozedUntil !== undefined) {
        if (ring.snoozedUntil <= now) {
          if (now - ring.snoozedUntil <= this.o.graceMs) {
            this.log.info({ alarm: id, snoozeCount: ring.snoozeCount }, 'snooze over; ringing again');
            this.ringer.fire(stored, { ...ring, due: ring.snoozedUntil, event: 'due' });
          } else {
            this.log.warn({ alarm: id }, 'snooze ended while the server was down; not ringing again');
            this.setRing(stored, 'expired', undefined, 'snooze ended while down');
            this.recordMissed(
              stored,
              ring.occurrence,
              now,
              `the snooze ended while the server was not running; back more than ${this.graceMinutes()} min later`,
            );
          }
          dirty = true;
        } else {
          soonest(ring.snoozedUntil);
          this.warmer.before(`${id}:snooze`, ring.snoozedUntil, now, soonest);
        }
      } else if (ring) {
        soonest(this.ringer.checkRing(stored, ring, now));
      }

      const next = this.nextFire(stored);
      if (next === undefined) continue;
      if (next <= now) {
        const occurrence = latestFireBetween(stored.spec, stored.runtime.anchorAt, now) ?? next;
        stored.runtime.anchorAt = occurrence;
        if (now - occurrence <= this.o.graceMs) {
          this.ringer.fire(stored, { occurrence, due: occurrence, snoozeCount: 0, event: 'due' });
        } else {
          this.recordMissed(
            stored,
            occurrence,
            now,
            `server was not running (or the clock jumped) at the alarm time; more than ${this.graceMinutes()} min late`,
          );
        }
        if (stored.spec.days.length === 0) {
          stored.spec.enabled = false;
          this.log.info({ alarm: id }, 'one-off alarm disabled after its occurrence');
        }
        dirty = true;
        soonest(this.nextFire(stored));
        continue;
      }
      soonest(next);
      this.warmer.before(id, next, now, soonest);
    }
    if (dirty) {
      this.persistInBackground();
      this.emit('changed', {});
    }
    return wakeAt;
  }

  /** Lists Spotify's devices in the background and remembers them (idle speakers drop out later). */
  private learnDevices(): void {
    if (this.opts.learnDevices === false || this.closed) return;
    const listing = this.opts.player.getDevices().then(
      (list) => {
        if (!this.closed) this.devices.remember(list);
      },
      (err) => this.log.debug({ err: describeError(err) }, 'could not list devices to remember them'),
    );
    // close() waits for it, so no write lands in the state dir after the scheduler stopped.
    this.listings.add(listing);
    listing.finally(() => this.listings.delete(listing));
  }

  private recordMissed(stored: StoredAlarm, occurrence: number, now: number, reason: string): void {
    const tz = stored.spec.timezone;
    stored.runtime.lastResult = {
      status: 'missed',
      at: formatInZone(now, tz),
      scheduled_for: formatInZone(occurrence, tz),
      reason,
    };
    this.log.warn(
      { alarm: stored.spec.id, scheduledFor: formatInZone(occurrence, tz), reason },
      'alarm missed',
    );
    this.persistInBackground();
    this.emit('missed', this.view(stored));
  }
}
