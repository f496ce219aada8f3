import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { ValidationError } from './errors.js';

/** Day names in ISO order (Monday first), as used in the API. */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

/**
 * Keyword for the user's Liked Songs. Spotify exposes them as the context
 * `spotify:user:<id>:collection`; the keyword saves the user from looking up their id.
 */
export const LIKED_SONGS = 'liked';

/** What an alarm is, as stored and as the API shows it (without runtime fields). */
export interface AlarmSpec {
  id: string;
  label: string;
  /** "HH:MM", 24 h, in `timezone`. */
  time: string;
  /** Days it repeats on; empty = one-off at the next occurrence of `time`. */
  days: Day[];
  /** IANA time zone name. */
  timezone: string;
  /** Playlist/album/artist/track URI, `spotify:user:<id>:collection`, or `liked`. */
  context_uri: string;
  shuffle: boolean;
  /** Device name or id; null = the active device, else any available. */
  device: string | null;
  /** Target volume 0–100. */
  volume: number;
  /** 0 = start at `volume` immediately. */
  fade_in_seconds: number;
  enabled: boolean;
  /** Pausing on the speaker or in the Spotify app while it rings snoozes it (a second pause stops it). */
  pause_snoozes: boolean;
}

/** The outcome of an alarm's latest occurrence. */
export interface LastResult {
  /**
   * `fired`: music played; `failed`: nothing could ring; `missed`: the ring was dropped (server
   * down, clock jump); `fallback_sound`: Spotify failed and the fallback sound rang;
   * `superseded`: another alarm took over the speaker.
   */
  status: 'fired' | 'failed' | 'missed' | 'fallback_sound' | 'superseded';
  /** Wall time of the outcome (ISO 8601 with offset in the alarm's zone). */
  at: string;
  /** The occurrence it belongs to (ISO 8601 with offset). */
  scheduled_for: string;
  reason?: string;
  /** Name of the device that played. */
  device?: string;
  /** False when the device refused volume control and played at its own volume. */
  volume_controllable?: boolean;
  /** The volume the alarm last set (the target once the fade completed). */
  volume?: number;
}

/** The system's time zone database (tzdata), where /etc/localtime points. */
const ZONEINFO = '/usr/share/zoneinfo';
const ZONE_NAME = /^[A-Z][\w+-]*(?:\/[\w+-]+)*$/;

/**
 * True when `tz` is a time zone name this runtime's Intl knows. A name of the system's tz
 * database (a file under /usr/share/zoneinfo, such as the machine's own zone) counts without
 * asking Intl: ICU's first time-zone lookup touches ~6 MB of the Node binary and ~2 MB of private
 * memory, which a server without alarms never needs (the scheduler checks its default zone at start).
 */
export function isValidTimeZone(tz: string, zoneinfo = ZONEINFO): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  if (ZONE_NAME.test(tz) && isZoneFile(join(zoneinfo, tz))) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isZoneFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The runtime's canonical spelling of a valid zone ("utc" -> "UTC"), so alarms store one name. */
export function canonicalTimeZone(tz: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const CONTEXT_RE =
  /^(liked|spotify:(playlist|album|artist|show|episode|track):[A-Za-z0-9]{1,64}|spotify:user:[^:\s]{1,64}:(collection|playlist:[A-Za-z0-9]{1,64}))$/;
/** Max length of free text fields; keeps the state file small and the UI sane. */
const MAX_TEXT = 200;

/** Control characters and bidi overrides/isolates: they can disguise a label (and what follows it). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Field rules shared by the alarm and sleep schemas. */
export const fields = {
  label: z
    .string()
    .max(MAX_TEXT, 'label is at most 200 characters')
    .refine((v) => v.search(UNSAFE_TEXT) === -1, {
      message: 'label must not contain control characters or bidi overrides',
    }),
  time: z.string().regex(TIME_RE, 'time must be "HH:MM" (00:00–23:59)'),
  days: z
    .array(z.enum(DAYS, { error: `days must contain only ${DAYS.join(', ')}` }))
    .max(7, 'days has at most 7 entries')
    .refine((d) => new Set(d).size === d.length, 'days must not repeat a day'),
  timezone: z
    .string()
    .refine(isValidTimeZone, 'timezone is not a known IANA time zone (e.g. "Europe/Berlin")')
    .transform(canonicalTimeZone),
  context_uri: z
    .string()
    .regex(CONTEXT_RE, `context_uri must be a spotify: playlist/album/artist/track URI or "${LIKED_SONGS}"`),
  shuffle: z.boolean(),
  device: z.string().min(1, 'device must not be empty (use null for any)').max(MAX_TEXT).nullable(),
  volume: z.number().int('volume must be an integer').min(0, 'volume is 0–100').max(100, 'volume is 0–100'),
  fade_in_seconds: z
    .number()
    .int('fade_in_seconds must be an integer')
    .min(0, 'fade_in_seconds must not be negative')
    .max(3600, 'fade_in_seconds is at most 3600'),
  enabled: z.boolean(),
  pause_snoozes: z.boolean(),
};

/** Body of POST /api/alarms and PUT /api/alarms/:id: `time` and `context_uri` are required. */
export const alarmInputSchema = z.strictObject({
  label: fields.label.optional(),
  time: fields.time,
  days: fields.days.optional(),
  timezone: fields.timezone.optional(),
  context_uri: fields.context_uri,
  shuffle: fields.shuffle.optional(),
  device: fields.device.optional(),
  volume: fields.volume.optional(),
  fade_in_seconds: fields.fade_in_seconds.optional(),
  enabled: fields.enabled.optional(),
  pause_snoozes: fields.pause_snoozes.optional(),
});
export type AlarmInput = z.infer<typeof alarmInputSchema>;

/** Body of PATCH /api/alarms/:id: any subset of the fields. */
export const alarmPatchSchema = z.strictObject({
  label: fields.label.optional(),
  time: fields.time.optional(),
  days: fields.days.optional(),
  timezone: fields.timezone.optional(),
  context_uri: fields.context_uri.optional(),
  shuffle: fields.shuffle.optional(),
  device: fields.device.optional(),
  volume: fields.volume.optional(),
  fade_in_seconds: fields.fade_in_seconds.optional(),
  enabled: fields.enabled.optional(),
  pause_snoozes: fields.pause_snoozes.optional(),
});
export type AlarmPatch = z.infer<typeof alarmPatchSchema>;

/** A stored alarm as read back from disk (all fields required). */
export const alarmSpecSchema = z.strictObject({
  id: z.string().min(1).max(64),
  ...fields,
  // Files written before pause-snooze existed lack it: the default applies.
  pause_snoozes: fields.pause_snoozes.default(true),
  // An alarm saved before labels were checked still loads (and rings), its label cleaned.
  label: z.string().transform((v) => v.replace(UNSAFE_TEXT, '').slice(0, MAX_TEXT)),
});

/** Body of POST /api/sleep; omitted fields take the stored sleep defaults. */
export const sleepInputSchema = z.strictObject({
  minutes: z
    .number()
    .int('minutes must be an integer')
    .min(1, 'minutes must be at least 1')
    .max(720, 'minutes is at most 720')
    .optional(),
  context_uri: fields.context_uri.optional(),
  device: fields.device.optional(),
  volume: fields.volume.optional(),
  fade_out_seconds: z
    .number()
    .int('fade_out_seconds must be an integer')
    .min(0, 'fade_out_seconds must not be negative')
    .max(600, 'fade_out_seconds is at most 600')
    .optional(),
});
export type SleepInput = z.infer<typeof sleepInputSchema>;

/** Parses `value` with `schema`, turning the first issue into a ValidationError naming its field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ValidationError('invalid input');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return throwField(`unknown field "${key}"`, key);
  }
  const field = issue.path.length > 0 ? String(issue.path[0]) : undefined;
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    throw new ValidationError('body must be a JSON object', 'body');
  }
  if (issue.code === 'invalid_type' && field !== undefined) {
    const missing = (value as Record<string, unknown>)[field] === undefined;
    const nullable = issue.path.length === 1 && field === 'device' ? ' or null' : '';
    throw new ValidationError(
      missing ? `${field} is required` : `${field} must be ${expectedWords(issue.expected)}${nullable}`,
      field,
    );
  }
  throw new ValidationError(issue.message, field);
}

/** Zod's type names in the words of an error message. */
function expectedWords(expected: string): string {
  const words: Record<string, string> = {
    number: 'a number',
    int: 'a whole number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'an object',
  };
  return words[expected] ?? expected;
}

function throwField(message: string, field: string): never {
  throw new ValidationError(message, field);
}

/** Normalises days to ISO order so stored alarms compare and display consistently. */
export function sortDays(days: readonly Day[]): Day[] {
  return DAYS.filter((d) => days.includes(d));
}
