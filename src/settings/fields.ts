import type { Config } from '../config/index.js';

/**
 * The settings a person changes at runtime (the settings page and `settings.json`). Each field
 * names the environment setting that, when set, locks it, and how its default is read from the
 * configuration loaded at start.
 */

export const THEMES = ['system', 'light', 'dark', 'black'] as const;
export const LANGUAGES = ['auto', 'en', 'de'] as const;

/** Values of the runtime settings, by their `settings.json` name. */
export interface RuntimeSettings {
  /** UI language; `auto` follows the browser. */
  language: (typeof LANGUAGES)[number];
  /** UI theme; `black` is true black for OLED screens; `system` follows the device. */
  theme: (typeof THEMES)[number];
  /** Volume of new alarms, 0–100. */
  alarm_volume: number;
  /** Fade-in of new alarms, seconds. */
  alarm_fade_in_seconds: number;
  /** Default snooze length, minutes. */
  snooze_minutes: number;
  /** How late a missed alarm may still ring, minutes. */
  alarm_grace_minutes: number;
  /** IANA zone given to new alarms. */
  timezone: string;
  /** How long the music library is served from cache, seconds. */
  library_cache_seconds: number;
  /** Bedside clock: dim from this time (HH:MM)… */
  clock_dim_from: string;
  /** …until this time (HH:MM); equal times turn scheduled dimming off. */
  clock_dim_until: string;
}

export type SettingName = keyof RuntimeSettings;

/** A validation failure: the message key in the catalogue and its parameters. */
export interface FieldProblem {
  /** Catalogue key, e.g. `error.settings.range`. */
  key: string;
  params: Record<string, string | number>;
}

interface FieldDef<K extends SettingName> {
  /** The configuration setting that overrides this field when set in env, .env or a config file. */
  env?: string;
  /** The default (from the configuration loaded at start, or a built-in one). */
  fallback(config: Config): RuntimeSettings[K];
  /** Returns the value, or a problem. */
  parse(value: unknown): RuntimeSettings[K] | FieldProblem;
}

const int =
  (min: number, max: number) =>
  (value: unknown): number | FieldProblem =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? value
      : { key: 'error.settings.range', params: { min, max } };

const oneOf =
  <T extends string>(options: readonly T[]) =>
  (value: unknown): T | FieldProblem =>
    typeof value === 'string' && (options as readonly string[]).includes(value)
      ? (value as T)
      : { key: 'error.settings.oneOf', params: { options: options.join(', ') } };

const clockTime = (value: unknown): string | FieldProblem =>
  typeof value === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(value)
    ? value
    : { key: 'error.settings.time', params: {} };

const timeZone = (value: unknown): string | FieldProblem => {
  if (typeof value === 'string' && value.length <= 64) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return value;
    } catch {
      // falls through to the problem
    }
  }
  return { key: 'error.settings.timezone', params: {} };
};

/** Every runtime setting: its parser, default and locking environment setting. */
export const FIELDS: { [K in SettingName]: FieldDef<K> } = {
  language: { fallback: () => 'auto', parse: oneOf(LANGUAGES) },
  theme: { fallback: () => 'system', parse: oneOf(THEMES) },
  alarm_volume: { fallback: () => 50, parse: int(0, 100) },
  alarm_fade_in_seconds: { fallback: () => 0, parse: int(0, 600) },
  snooze_minutes: { env: 'SPOTIPI_SNOOZE_MINUTES', fallback: (c) => c.snoozeMinutes, parse: int(1, 120) },
  alarm_grace_minutes: {
    env: 'SPOTIPI_ALARM_GRACE_MINUTES',
    fallback: (c) => Math.round(c.alarmGraceMs / 60_000),
    parse: int(0, 720),
  },
  timezone: { env: 'SPOTIPI_TIMEZONE', fallback: (c) => c.timezone, parse: timeZone },
  library_cache_seconds: {
    env: 'LIBRARY_CACHE_SECONDS',
    fallback: (c) => Math.round(c.libraryCacheMs / 1000),
    parse: int(0, 86_400),
  },
  clock_dim_from: { fallback: () => '22:00', parse: clockTime },
  clock_dim_until: { fallback: () => '07:00', parse: clockTime },
};

export const SETTING_NAMES = Object.keys(FIELDS) as SettingName[];

/** True when `value` is a validation problem rather than a value. */
export function isProblem(value: unknown): value is FieldProblem {
  return typeof value === 'object' && value !== null && 'key' in value && 'params' in value;
}
