import { join } from 'node:path';
import type * as z from 'zod';
import type { Clock, Logger } from '../token/types.js';
import { type Ring, type RingState, runtimeSchema, type StoredAlarm } from './alarm-record.js';
import {
  decodeAlarmsFile,
  encodeAlarmsFile,
  NO_PRESERVED_FIELDS,
  type PreservedFields,
} from './alarms-file.js';
import { nextFire } from './due-check.js';
import { describeError, NotFoundError } from './errors.js';
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
import { formatInZone } from './schedule.js';
import { JsonStateFile } from './state-file.js';

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

/** An edited alarm and what the edit said that its caller acts on. */
export interface Edited {
  stored: StoredAlarm;
  /** The edit's explicit `enabled` (a disabled snoozed alarm loses its snooze). */
  enabled: boolean | undefined;
  /** The edit names a device (worth listing Spotify's devices to remember it). */
  namesDevice: boolean;
}

/** What the book needs. */
export interface AlarmBookOptions {
  stateDir: string;
  clock: Clock;
  log: Logger;
  defaultTimezone: string;
  newId: () => string;
  readinessOf?: (alarmId: string) => Readiness | null;
}

/**
 * The alarms and their file: loads and persists `alarms.json` (keeping fields this version does
 * not know), validates and edits specs with their defaults, records outcomes and builds views.
 * Knows nothing of rings in progress beyond what each alarm's runtime stores.
 */
export class AlarmBook {
  private readonly alarms = new Map<string, StoredAlarm>();
  private readonly file: JsonStateFile<ReturnType<typeof encodeAlarmsFile>>;
  /** Fields of the alarms file this version does not know, written back unchanged (alarms-file.ts). */
  private preserved: PreservedFields = NO_PRESERVED_FIELDS;
  /** Zone, volume and fade-in of alarms created without them (settings page). */
  private readonly defaults: { timezone: string; volume: number; fadeInSeconds: number };

  constructor(private readonly o: AlarmBookOptions) {
    // 'refuse': an unreadable file throws rather than being overwritten by an empty book.
    this.file = new JsonStateFile(join(o.stateDir, ALARMS_FILE), o.log, 'refuse');
    this.defaults = { timezone: o.defaultTimezone, volume: 50, fadeInSeconds: 0 };
  }

  /** Reads the alarms file, replacing what the book held. */
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
    this.o.log.info({ alarms: this.alarms.size }, 'alarms loaded');
  }

  /** Every stored alarm, in insertion order. */
  all(): IterableIterator<StoredAlarm> {
    return this.alarms.values();
  }

  /** One alarm, or undefined. */
  find(id: string): StoredAlarm | undefined {
    return this.alarms.get(id);
  }

  /** One alarm; throws NotFoundError. */
  mustGet(id: string): StoredAlarm {
    const stored = this.alarms.get(id);
    if (!stored) throw new NotFoundError(`no alarm with id "${id}"`);
    return stored;
  }

  /** Defaults for alarms created from now on; an unknown zone is ignored. */
  setDefaults(d: { defaultTimezone?: string; volume?: number; fadeInSeconds?: number }): void {
    if (d.defaultTimezone !== undefined && isValidTimeZone(d.defaultTimezone))
      this.defaults.timezone = d.defaultTimezone;
    if (d.volume !== undefined) this.defaults.volume = d.volume;
    if (d.fadeInSeconds !== undefined) this.defaults.fadeInSeconds = d.fadeInSeconds;
  }

  /** Validates and adds an alarm (not yet persisted); an existing alarm of `id` is replaced. */
  add(input: unknown, id?: string): StoredAlarm {
    const body = parseOrThrow(alarmInputSchema, input);
    const alarmId = id ?? this.o.newId();
    const stored: StoredAlarm = {
      spec: this.withDefaults(alarmId, body),
      runtime: { anchorAt: this.o.clock.now() },
    };
    this.alarms.set(alarmId, stored);
    return stored;
  }

  /** Replaces an alarm's settings (PUT): omitted optional fields take their defaults. */
  replace(id: string, input: unknown): Edited {
    const stored = this.mustGet(id);
    const body = parseOrThrow(alarmInputSchema, input);
    stored.spec = this.withDefaults(id, body);
    stored.runtime.anchorAt = this.o.clock.now();
    return { stored, enabled: body.enabled, namesDevice: Boolean(stored.spec.device) };
  }

  /** Changes some fields (PATCH). */
  update(id: string, input: unknown): Edited {
    const stored = this.mustGet(id);
    const patch = parseOrThrow(alarmPatchSchema, input);
    const next: AlarmSpec = { ...stored.spec };
    for (const [k, v] of Object.entries(patch)) {
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    }
    next.days = sortDays(next.days);
    stored.spec = next;
    stored.runtime.anchorAt = this.o.clock.now();
    return { stored, enabled: patch.enabled, namesDevice: Boolean(patch.device) };
  }

  /** Forgets an alarm (not yet persisted). */
  delete(id: string): void {
    this.alarms.delete(id);
  }

  /**
   * Records a ring's outcome at `at` (default now): `last_result`, or `last_test` for a test
   * ring. The one writer of both fields.
   */
  record(
    stored: StoredAlarm,
    ring: Pick<Ring, 'occurrence' | 'test'>,
    result: Omit<LastResult, 'at' | 'scheduled_for'>,
    at: number = this.o.clock.now(),
  ): void {
    const tz = stored.spec.timezone;
    const full: LastResult = {
      ...result,
      at: formatInZone(at, tz),
      scheduled_for: formatInZone(ring.occurrence, tz),
    };
    if (ring.test) stored.runtime.lastTest = full;
    else stored.runtime.lastResult = full;
  }

  /** Writes the file now. */
  persist(): Promise<void> {
    return this.file.save(encodeAlarmsFile([...this.alarms.values()], this.preserved));
  }

  /** Writes the file without waiting; a failure is logged. */
  persistInBackground(): void {
    this.persist().catch((err) => this.o.log.error({ err: describeError(err) }, 'could not save alarms'));
  }

  /** Resolves when pending writes have landed. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** One alarm as the API shows it. */
  view(stored: StoredAlarm): AlarmView {
    const next = nextFire(stored);
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
      readiness: this.o.readinessOf?.(stored.spec.id) ?? null,
    };
  }

  /** Every alarm, ordered by next fire time (disabled last). */
  list(): AlarmView[] {
    return [...this.alarms.values()]
      .map((a) => this.view(a))
      .sort((a, b) => (a.next_fire_at ? 0 : 1) - (b.next_fire_at ? 0 : 1) || a.time.localeCompare(b.time));
  }

  /** The next alarm or snooze to sound, or null. */
  next(): NextAlarm | null {
    const now = this.o.clock.now();
    let best: { stored: StoredAlarm; at: number; kind: 'alarm' | 'snooze' } | undefined;
    for (const stored of this.alarms.values()) {
      const snoozeAt = stored.runtime.ring?.snoozedUntil;
      if (stored.runtime.ring?.state === 'snoozed' && snoozeAt !== undefined) {
        if (!best || snoozeAt < best.at) best = { stored, at: snoozeAt, kind: 'snooze' };
      }
      const at = nextFire(stored);
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

  private withDefaults(id: string, body: z.infer<typeof alarmInputSchema>): AlarmSpec {
    return {
      id,
      label: body.label ?? 'Alarm',
      time: body.time,
      days: sortDays(body.days ?? []),
      timezone: body.timezone ?? this.defaults.timezone,
      context_uri: body.context_uri,
      shuffle: body.shuffle ?? false,
      device: body.device ?? null,
      volume: body.volume ?? this.defaults.volume,
      fade_in_seconds: body.fade_in_seconds ?? this.defaults.fadeInSeconds,
      enabled: body.enabled ?? true,
      pause_snoozes: body.pause_snoozes ?? true,
    };
  }
}
