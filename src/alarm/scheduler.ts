import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { z } from 'zod';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import {
  decodeAlarmsFile,
  encodeAlarmsFile,
  NO_PRESERVED_FIELDS,
  type PreservedFields,
} from './alarms-file.js';
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
import { rampVolume, startPlayback } from './playback.js';
import type { AlarmPlayer } from './player.js';
import { formatInZone, latestFireBetween, nextFireTime } from './schedule.js';
import { JsonStateFile } from './state-file.js';

/** Where a ringing alarm is in its life. */
export type RingState = 'starting' | 'ringing' | 'snoozed';

interface Ring {
  state: RingState;
  /** Wall ms the current ring (or snooze) began. */
  since: number;
  /** Wall ms of the scheduled occurrence this ring belongs to. */
  occurrence: number;
  snoozedUntil?: number;
  deviceId?: string;
  snoozeCount: number;
}

interface Runtime {
  /** Occurrences at or before this wall ms have been handled (fired, missed or skipped). */
  anchorAt: number;
  lastResult?: LastResult;
  ring?: Ring;
}

interface StoredAlarm {
  spec: AlarmSpec;
  runtime: Runtime;
}

const ringSchema = z.object({
  state: z.enum(['starting', 'ringing', 'snoozed']),
  since: z.number(),
  occurrence: z.number(),
  snoozedUntil: z.number().optional(),
  deviceId: z.string().optional(),
  snoozeCount: z.number().int().min(0),
});
const lastResultSchema = z.object({
  status: z.enum(['fired', 'failed', 'missed']),
  at: z.string(),
  scheduled_for: z.string(),
  reason: z.string().optional(),
  device: z.string().optional(),
});
const runtimeSchema = z.object({
  anchorAt: z.number(),
  lastResult: lastResultSchema.optional(),
  ring: ringSchema.optional(),
});

/** Abort reason when another alarm's firing takes over playback. */
const SUPERSEDED = 'superseded by another alarm';

/** The alarms file's name inside the state dir. */
export const ALARMS_FILE = 'alarms.json';

/** An alarm as the API shows it: its settings plus schedule and last outcome. */
export interface AlarmView extends AlarmSpec {
  /** ISO 8601 with the alarm zone's offset; null when disabled. */
  next_fire_at: string | null;
  last_result: LastResult | null;
  state: 'idle' | RingState;
  snoozed_until: string | null;
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
  /** An alarm missed while down (or through a clock jump) still fires if at most this late; default 10 min. */
  graceMs?: number;
  /** Default snooze length; default 9 min. */
  snoozeMinutes?: number;
  /** Longest single sleep of the scheduling loop, so wall-clock jumps are noticed; default 30 s. */
  maxSleepMs?: number;
  /** How long to keep retrying Spotify when an alarm fires; default 90 s. */
  retryForMs?: number;
  /** First retry back-off; default 2 s. */
  retryBaseMs?: number;
  /** Interval between fade-in steps; default 3 s. */
  fadeStepMs?: number;
  /** A ringing alarm nobody snoozes or stops counts as done after this; default 60 min. */
  ringTimeoutMs?: number;
  /** Id generator (tests). */
  newId?: () => string;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Keeps the alarms, persists them, and fires them on time: one loop sleeps until the next
 * due moment (in chunks of at most `maxSleepMs`, so a wall-clock jump is seen within that),
 * then fires, marks missed, wakes snoozes and warms the token.
 */
export class AlarmScheduler extends EventEmitter {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly file: JsonStateFile<ReturnType<typeof encodeAlarmsFile>>;
  /** Fields of the alarms file this version does not know, written back unchanged (alarms-file.ts). */
  private preserved: PreservedFields = NO_PRESERVED_FIELDS;
  private readonly alarms = new Map<string, StoredAlarm>();
  /** Aborts the firing/fade of a ringing alarm. */
  private readonly active = new Map<string, AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  /** The firing task of each alarm that has one, so stop/snooze can wait for its last Spotify call. */
  private readonly running = new Map<string, Promise<void>>();
  /** The device each alarm's latest firing started playback on (also when it was aborted right after). */
  private readonly startedOn = new Map<string, string>();
  /** Occurrence each alarm's token was last warmed for. */
  private readonly warmed = new Map<string, number>();
  private readonly o: Required<
    Pick<
      AlarmSchedulerOptions,
      'warmLeadMs' | 'graceMs' | 'snoozeMinutes' | 'maxSleepMs' | 'retryForMs' | 'retryBaseMs' | 'fadeStepMs'
    > & { ringTimeoutMs: number }
  >;
  private wake = new AbortController();
  private closed = false;
  private loopDone: Promise<void> | undefined;
  private readonly newId: () => string;

  constructor(private readonly opts: AlarmSchedulerOptions) {
    super();
    if (!isValidTimeZone(opts.defaultTimezone)) {
      throw new Error(`default time zone "${opts.defaultTimezone}" is not a known IANA zone`);
    }
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.file = new JsonStateFile(join(opts.stateDir, ALARMS_FILE), this.log, 'refuse');
    this.newId = opts.newId ?? (() => randomUUID().slice(0, 8));
    this.o = {
      warmLeadMs: opts.warmLeadMs ?? 90_000,
      graceMs: opts.graceMs ?? 10 * 60_000,
      snoozeMinutes: opts.snoozeMinutes ?? 9,
      maxSleepMs: opts.maxSleepMs ?? 30_000,
      retryForMs: opts.retryForMs ?? 90_000,
      retryBaseMs: opts.retryBaseMs ?? 2_000,
      fadeStepMs: opts.fadeStepMs ?? 3_000,
      ringTimeoutMs: opts.ringTimeoutMs ?? 60 * 60_000,
    };
    // EventEmitter throws on an unhandled 'error'; we never emit it, but be explicit.
    this.setMaxListeners(50);
  }

  /** Loads the alarms, handles anything missed while down, and starts the loop. */
  async start(): Promise<void> {
    await this.load();
    const now = this.clock.now();
    for (const stored of this.alarms.values()) {
      const ring = stored.runtime.ring;
      // A firing cut short by the restart is retried if still within grace.
      if (ring?.state === 'starting' && now - ring.occurrence <= this.o.graceMs) {
        this.log.warn({ alarm: stored.spec.id }, 'alarm was starting when the server stopped; firing again');
        this.fire(stored, ring.occurrence, ring.snoozeCount);
      } else if (ring?.state === 'starting') {
        stored.runtime.ring = undefined;
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

  /** Stops the loop and any firing in progress, and flushes the file. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake.abort();
    for (const ctl of this.active.values()) ctl.abort();
    await this.loopDone;
    await Promise.allSettled([...this.tasks]);
    await this.file.flush();
  }

  /** Resolves when firings in progress (start + fade) have finished. For tests and shutdown. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.file.flush();
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
    return this.view(stored);
  }

  /**
   * A user who disables a snoozed alarm expects silence: the pending snooze goes too. Only an
   * explicit `enabled: false` counts: a snoozed one-off is already disabled, and renaming it
   * must not cancel its snooze.
   */
  private dropSnoozeIfDisabled(stored: StoredAlarm, enabled: boolean | undefined): void {
    if (enabled === false && stored.runtime.ring?.state === 'snoozed') stored.runtime.ring = undefined;
  }

  /** Deletes an alarm (stopping it, and pausing playback, if it rings). */
  async remove(id: string): Promise<void> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (ring && ring.state !== 'snoozed') await this.silence(id, ring, 'delete');
    else this.active.get(id)?.abort();
    this.alarms.delete(id);
    this.startedOn.delete(id);
    await this.persist();
    this.log.info({ alarm: id }, 'alarm deleted');
    this.emit('changed', { id });
    this.kick();
  }

  /** Pauses a ringing alarm and fires it again after `minutes` (default: the configured snooze). */
  async snooze(id: string, minutes?: number): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing`);
    if (minutes !== undefined && (!Number.isInteger(minutes) || minutes < 1 || minutes > 120)) {
      throw new ValidationError('minutes must be an integer from 1 to 120', 'minutes');
    }
    const length = minutes ?? this.o.snoozeMinutes;
    if (ring.state !== 'snoozed') await this.silence(id, ring, 'snooze');
    const now = this.clock.now();
    stored.runtime.ring = {
      ...(stored.runtime.ring ?? ring),
      state: 'snoozed',
      since: now,
      snoozedUntil: now + length * 60_000,
      snoozeCount: ring.snoozeCount + 1,
    };
    await this.changed(stored, 'alarm snoozed', { minutes: length });
    this.emit('snoozed', this.view(stored));
    return this.view(stored);
  }

  /** Ends a ringing or snoozed alarm for the day (pausing playback if it is sounding). */
  async stop(id: string): Promise<AlarmView> {
    const stored = this.mustGet(id);
    const ring = stored.runtime.ring;
    if (!ring) throw new ConflictError(`alarm ${id} is not ringing or snoozed`);
    if (ring.state !== 'snoozed') await this.silence(id, ring, 'stop');
    stored.runtime.ring = undefined;
    await this.changed(stored, 'alarm stopped');
    this.emit('stopped', this.view(stored));
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
      volume: body.volume ?? 50,
      fade_in_seconds: body.fade_in_seconds ?? 0,
      enabled: body.enabled ?? true,
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

  private view(stored: StoredAlarm): AlarmView {
    const next = this.nextFire(stored);
    const ring = stored.runtime.ring;
    return {
      ...stored.spec,
      days: [...stored.spec.days],
      next_fire_at: next === undefined ? null : formatInZone(next, stored.spec.timezone),
      last_result: stored.runtime.lastResult ?? null,
      state: ring?.state ?? 'idle',
      snoozed_until:
        ring?.state === 'snoozed' && ring.snoozedUntil !== undefined
          ? formatInZone(ring.snoozedUntil, stored.spec.timezone)
          : null,
    };
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
            this.fire(stored, ring.occurrence, ring.snoozeCount);
          } else {
            this.log.warn({ alarm: id }, 'snooze ended while the server was down; not ringing again');
            stored.runtime.ring = undefined;
          }
          dirty = true;
        } else {
          soonest(ring.snoozedUntil);
          this.warmBefore(`${id}:snooze`, ring.snoozedUntil, now, soonest);
        }
      } else if (ring?.state === 'ringing') {
        if (now - ring.since >= this.o.ringTimeoutMs && !this.active.has(id)) {
          stored.runtime.ring = undefined;
          dirty = true;
        } else if (!this.active.has(id)) {
          soonest(ring.since + this.o.ringTimeoutMs);
        }
      }

      const next = this.nextFire(stored);
      if (next === undefined) continue;
      if (next <= now) {
        const occurrence = latestFireBetween(stored.spec, stored.runtime.anchorAt, now) ?? next;
        stored.runtime.anchorAt = occurrence;
        if (now - occurrence <= this.o.graceMs) {
          this.fire(stored, occurrence, 0);
        } else {
          this.recordMissed(stored, occurrence, now);
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
      this.warmBefore(id, next, now, soonest);
    }
    if (dirty) {
      this.persistInBackground();
      this.emit('changed', {});
    }
    return wakeAt;
  }

  /** Warms the token once per upcoming ring when it is `warmLeadMs` away; else schedules a wake-up for it. */
  private warmBefore(key: string, at: number, now: number, soonest: (t: number) => void): void {
    if (this.warmed.get(key) === at) return;
    const warmAt = at - this.o.warmLeadMs;
    if (warmAt > now) {
      soonest(warmAt);
      return;
    }
    this.warmed.set(key, at);
    this.warm(key);
  }

  private warm(id: string): void {
    if (!this.opts.warmToken) return;
    this.log.debug({ alarm: id }, 'warming the access token before the alarm');
    this.opts.warmToken().then(
      () => this.log.info({ alarm: id }, 'access token ready for the alarm'),
      (err) =>
        this.log.warn({ alarm: id, err: describeError(err) }, 'could not warm the token before the alarm'),
    );
  }

  private recordMissed(stored: StoredAlarm, occurrence: number, now: number): void {
    const tz = stored.spec.timezone;
    stored.runtime.lastResult = {
      status: 'missed',
      at: formatInZone(now, tz),
      scheduled_for: formatInZone(occurrence, tz),
      reason: `server was not running (or the clock jumped) at the alarm time; more than ${Math.round(this.o.graceMs / 60_000)} min late`,
    };
    this.log.warn({ alarm: stored.spec.id, scheduledFor: formatInZone(occurrence, tz) }, 'alarm missed');
    this.emit('missed', this.view(stored));
  }

  /**
   * An alarm still starting when another one fired gives the speaker up; without this it would
   * stay "starting" until the next restart. Other aborts (stop, snooze, delete, shutdown) leave
   * the state to whoever aborted.
   */
  private endSuperseded(
    stored: StoredAlarm,
    signal: AbortSignal,
    occurrence: number,
    device: string | undefined,
  ): void {
    if (signal.reason !== SUPERSEDED || stored.runtime.ring?.state !== 'starting') return;
    const tz = stored.spec.timezone;
    stored.runtime.ring = undefined;
    stored.runtime.lastResult = {
      status: device ? 'fired' : 'failed',
      at: formatInZone(this.clock.now(), tz),
      scheduled_for: formatInZone(occurrence, tz),
      reason: 'another alarm fired at the same time and took over playback',
      ...(device ? { device } : {}),
    };
    this.log.warn({ alarm: stored.spec.id }, 'alarm gave way to another alarm firing at the same time');
    this.persistInBackground();
    this.emit('changed', { id: stored.spec.id });
  }

  /** Starts an alarm (or a snooze's re-ring) in the background. */
  private fire(stored: StoredAlarm, occurrence: number, snoozeCount: number): void {
    const id = stored.spec.id;
    // One speaker, one alarm: a new ring ends any other alarm's start or fade.
    for (const [otherId, ctl] of this.active) {
      if (otherId !== id) ctl.abort(SUPERSEDED);
    }
    this.active.get(id)?.abort();
    const ctl = new AbortController();
    this.active.set(id, ctl);
    const spec = { ...stored.spec };
    const tz = spec.timezone;
    stored.runtime.ring = { state: 'starting', since: this.clock.now(), occurrence, snoozeCount };
    this.startedOn.delete(id);
    const context = { alarm: id, label: spec.label };
    this.log.info({ ...context, scheduledFor: formatInZone(occurrence, tz), snoozeCount }, 'alarm firing');

    const task = (async () => {
      const fade = spec.fade_in_seconds > 0 && spec.volume > 0;
      const startVolume = fade ? 0 : spec.volume;
      let device: Awaited<ReturnType<typeof startPlayback>>;
      try {
        device = await startPlayback(
          this.opts.player,
          { contextUri: spec.context_uri, device: spec.device, shuffle: spec.shuffle, startVolume },
          {
            clock: this.clock,
            logger: this.log,
            retryForMs: this.o.retryForMs,
            retryBaseMs: this.o.retryBaseMs,
            signal: ctl.signal,
            context,
          },
        );
      } catch (err) {
        if (ctl.signal.aborted) {
          this.endSuperseded(stored, ctl.signal, occurrence, undefined);
          return;
        }
        stored.runtime.ring = undefined;
        stored.runtime.lastResult = {
          status: 'failed',
          at: formatInZone(this.clock.now(), tz),
          scheduled_for: formatInZone(occurrence, tz),
          reason: describeError(err),
        };
        this.log.error({ ...context, reason: describeError(err) }, 'alarm failed');
        this.persistInBackground();
        this.emit('failed', this.view(stored));
        this.emit('changed', { id });
        return;
      }
      this.startedOn.set(id, device.id);
      if (ctl.signal.aborted) {
        this.endSuperseded(stored, ctl.signal, occurrence, device.name);
        return;
      }
      stored.runtime.ring = {
        state: 'ringing',
        since: this.clock.now(),
        occurrence,
        snoozeCount,
        deviceId: device.id,
      };
      stored.runtime.lastResult = {
        status: 'fired',
        at: formatInZone(this.clock.now(), tz),
        scheduled_for: formatInZone(occurrence, tz),
        device: device.name,
      };
      // Not awaited: the fade must not wait on the SD card; writes are serialised anyway.
      this.persistInBackground();
      this.emit('fired', this.view(stored));
      this.emit('ringing', this.view(stored));
      this.emit('changed', { id });
      this.kick();
      if (fade) {
        const outcome = await rampVolume(this.opts.player, {
          clock: this.clock,
          logger: this.log,
          deviceId: device.id,
          from: startVolume,
          to: spec.volume,
          durationMs: spec.fade_in_seconds * 1000,
          stepMs: this.o.fadeStepMs,
          signal: ctl.signal,
          context,
        });
        this.log.info({ ...context, outcome }, 'fade-in finished');
      }
    })().finally(() => {
      if (this.active.get(id) === ctl) this.active.delete(id);
      if (this.running.get(id) === task) this.running.delete(id);
      this.tasks.delete(task);
    });
    this.tasks.add(task);
    this.running.set(id, task);
  }

  /**
   * Ends an alarm's firing or fade, waits for the Spotify call it may have in flight (a `play`
   * answered after our pause would start the music again), then pauses.
   */
  private async silence(id: string, ring: Ring, why: string): Promise<void> {
    this.active.get(id)?.abort();
    await this.running.get(id)?.catch(() => {});
    const deviceId = ring.deviceId ?? this.startedOn.get(id);
    if (deviceId === undefined) {
      // Still trying to start: nothing of ours plays, so leave whatever else plays alone.
      this.log.info({ alarm: id, why }, 'alarm had not started playing; nothing to pause');
      return;
    }
    await this.pauseQuietly(deviceId, id, why);
  }

  private async pauseQuietly(deviceId: string, id: string, why: string): Promise<void> {
    try {
      await this.opts.player.pause(deviceId);
    } catch (err) {
      // Already paused (or the device went away): the alarm state still changes.
      this.log.warn({ alarm: id, why, err: describeError(err) }, 'could not pause playback');
    }
  }
}
