import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../token/types.js';
import { readJsonFile, writeFileAtomic } from '../util/atomic-file.js';
import { FIELDS, isProblem, type RuntimeSettings, SETTING_NAMES, type SettingName } from './fields.js';

/** The settings file in the state dir. */
export const SETTINGS_FILE = 'settings.json';

/** Where a setting's current value comes from. */
export type SettingSource = 'default' | 'settings' | string;

/** One setting as the settings page shows it. */
export interface SettingInfo {
  /** `default`, `settings` (settings.json), or the configuration layer that locks it. */
  source: SettingSource;
  /** Set in the environment, a .env file or a config file: the page cannot change it. */
  locked: boolean;
  /** The configuration setting that locks it, when there is one. */
  env?: string;
}

/** `GET /api/settings`. */
export interface SettingsView {
  settings: RuntimeSettings;
  fields: Record<SettingName, SettingInfo>;
}

/** A PATCH named a field that is not a runtime setting, or gave a bad value. */
export class SettingsValidationError extends Error {
  override name = 'SettingsValidationError';
  constructor(
    readonly field: string,
    /** Catalogue key of the message. */
    readonly key: string,
    readonly params: Record<string, string | number>,
    message: string,
  ) {
    super(message);
  }
}

/** A PATCH tried to change a setting fixed by the environment, .env or a config file. */
export class SettingLockedError extends Error {
  override name = 'SettingLockedError';
  constructor(
    readonly field: string,
    readonly env: string,
    readonly source: string,
  ) {
    super(`${field} is set by ${env} in the ${source}; change it there.`);
  }
}

const ENGLISH: Record<string, (p: Record<string, string | number>) => string> = {
  'error.settings.range': (p) => `expected a whole number between ${p.min} and ${p.max}`,
  'error.settings.oneOf': (p) => `expected one of ${p.options}`,
  'error.settings.time': () => 'expected a time as HH:MM',
  'error.settings.timezone': () => 'expected an IANA time zone name such as Europe/Berlin',
};

/**
 * The runtime settings: `settings.json` in the state dir over built-in defaults, under whatever
 * the environment, .env or config file fix (those win and lock the field). Writes are atomic and
 * serialized; fields this version does not know are kept in the file untouched. Listeners hear
 * every change so the running server applies it without a restart.
 */
export class SettingsStore {
  private stored: Record<string, unknown> = {};
  private readonly defaults: RuntimeSettings;
  private readonly listeners = new Set<(settings: RuntimeSettings) => void>();
  private writing: Promise<unknown> = Promise.resolve();
  readonly path: string;

  private constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.path = join(config.stateDir, SETTINGS_FILE);
    // Captured once: the running config is updated in place from these settings later.
    this.defaults = Object.fromEntries(
      SETTING_NAMES.map((name) => [name, FIELDS[name].fallback(config)]),
    ) as unknown as RuntimeSettings;
  }

  /** Reads `settings.json` (missing: defaults; unreadable or invalid: logged, defaults). */
  static async open(config: Config, logger: Logger): Promise<SettingsStore> {
    const store = new SettingsStore(config, logger);
    try {
      const data = await readJsonFile(store.path);
      if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) {
        throw new Error('not a JSON object');
      }
      store.stored = (data as Record<string, unknown> | undefined) ?? {};
    } catch (err) {
      logger.warn(
        { path: store.path, reason: (err as Error).message },
        'settings.json unreadable; using defaults until the settings are saved again',
      );
    }
    return store;
  }

  /** The effective value of every setting. */
  current(): RuntimeSettings {
    const out = { ...this.defaults } as Record<SettingName, unknown>;
    for (const name of SETTING_NAMES) {
      const lock = this.lockOf(name);
      if (lock) {
        out[name] = this.defaults[name];
        continue;
      }
      if (name in this.stored) {
        const parsed = FIELDS[name].parse(this.stored[name]);
        if (!isProblem(parsed)) out[name] = parsed;
      }
    }
    return out as unknown as RuntimeSettings;
  }

  /** Values plus where each comes from. */
  view(): SettingsView {
    const fields = {} as Record<SettingName, SettingInfo>;
    for (const name of SETTING_NAMES) {
      const env = FIELDS[name].env;
      const lock = this.lockOf(name);
      const fromFile = name in this.stored && !isProblem(FIELDS[name].parse(this.stored[name]));
      fields[name] = {
        source: lock ?? (fromFile ? 'settings' : 'default'),
        locked: lock !== undefined,
        ...(env ? { env } : {}),
      };
    }
    return { settings: this.current(), fields };
  }

  /**
   * Validates and saves a partial update (all or nothing), then tells the listeners. `null`
   * resets a field to its default. Throws SettingsValidationError or SettingLockedError.
   */
  async update(patch: unknown): Promise<SettingsView> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new SettingsValidationError(
        'body',
        'error.settings.body',
        {},
        'expected a JSON object of settings',
      );
    }
    const changes: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(patch)) {
      if (!(name in FIELDS)) {
        throw new SettingsValidationError(
          name,
          'error.settings.unknown',
          { field: name },
          `unknown setting "${name}"`,
        );
      }
      const field = name as SettingName;
      const lock = this.lockOf(field);
      if (lock) throw new SettingLockedError(field, FIELDS[field].env ?? field, lock);
      if (value === null) {
        changes[field] = undefined;
        continue;
      }
      const parsed = FIELDS[field].parse(value);
      if (isProblem(parsed)) {
        const english = ENGLISH[parsed.key]?.(parsed.params) ?? 'invalid value';
        throw new SettingsValidationError(field, parsed.key, parsed.params, `${field}: ${english}`);
      }
      changes[field] = parsed;
    }
    const run = this.writing.then(async () => {
      const next = { ...this.stored };
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) delete next[name];
        else next[name] = value;
      }
      await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      this.stored = next;
    });
    this.writing = run.catch(() => {});
    await run;
    const now = this.current();
    for (const listener of this.listeners) {
      try {
        listener(now);
      } catch (err) {
        this.logger.warn({ reason: (err as Error).message }, 'applying settings failed');
      }
    }
    return this.view();
  }

  /** Calls `listener` with the effective settings after every change; returns unsubscribe. */
  onChange(listener: (settings: RuntimeSettings) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The configuration layer that fixes `name`, if any. */
  private lockOf(name: SettingName): string | undefined {
    const env = FIELDS[name].env;
    return env ? this.config.sources[env] : undefined;
  }
}

/** Puts the server-side settings into the running configuration (read live by the routes). */
export function applyToConfig(config: Config, settings: RuntimeSettings): void {
  config.snoozeMinutes = settings.snooze_minutes;
  config.alarmGraceMs = settings.alarm_grace_minutes * 60_000;
  config.timezone = settings.timezone;
  config.libraryCacheMs = settings.library_cache_seconds * 1000;
}
