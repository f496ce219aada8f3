import { readFile } from 'node:fs/promises';
import { ValidationError } from './errors.js';
import { DAYS, type Day, isValidTimeZone } from './model.js';
import type { AlarmPlayer } from './player.js';
import { AlarmScheduler, type AlarmView } from './scheduler.js';
import { type SleepDefaults, SleepTimer } from './sleep-timer.js';

/** Id given to the imported alarm, so importing again replaces it instead of adding a copy. */
export const IMPORTED_ALARM_ID = 'imported';

/** What the import did, line by line, for the user. */
export interface ImportReport {
  /** "original key -> new field: value" lines. */
  mapped: string[];
  /** Keys of the original that have no equivalent (or are not needed here). */
  ignored: string[];
  /** Things the user should look at. */
  warnings: string[];
  alarm: AlarmView | null;
  sleepDefaults: SleepDefaults | null;
}

/** The alarm input and sleep defaults derived from an original settings object. */
export interface MappedSettings {
  alarm: Record<string, unknown> | null;
  sleep: Partial<SleepDefaults>;
  mapped: string[];
  ignored: string[];
  warnings: string[];
}

const ALARM_KEYS = [
  'time',
  'weekdays',
  'alarm_volume',
  'volume',
  'fade_in',
  'shuffle',
  'playlist_uri',
  'device_name',
  'enabled',
  'timezone',
];
const SLEEP_KEYS = [
  'sleep_volume',
  'sleep_default_duration',
  'sleep_playlist_uri',
  'sleep_device_name',
  'sleep_shuffle',
];

/** Accepts `spotify:…` URIs and open.spotify.com links (turned into URIs). */
function toUri(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith('spotify:')) return v;
  const m =
    /^https:\/\/open\.spotify\.com\/(?:intl-[a-z]+\/)?(playlist|album|artist|track)\/([A-Za-z0-9]+)/.exec(v);
  return m ? `spotify:${m[1]}:${m[2]}` : undefined;
}

/**
 * Maps the original SpotiPi's settings (one alarm, `weekdays` 0=Mon..6=Sun, `fade_in` as a
 * flag, `sleep_*` defaults) to this app's alarm input and sleep defaults. Pure: no I/O.
 */
export function mapOriginalSettings(raw: unknown, defaultTimezone: string): MappedSettings {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ValidationError('the settings file must hold a JSON object');
  }
  const s = raw as Record<string, unknown>;
  const mapped: string[] = [];
  const warnings: string[] = [];
  const ignored = Object.keys(s).filter((k) => !ALARM_KEYS.includes(k) && !SLEEP_KEYS.includes(k));

  // --- the alarm ---
  let alarm: Record<string, unknown> | null = null;
  if (s.time === undefined) {
    warnings.push('no "time": no alarm was imported');
  } else {
    const m = typeof s.time === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(s.time.trim()) : null;
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
      throw new ValidationError(`"time" must be "HH:MM", got ${JSON.stringify(s.time)}`, 'time');
    }
    const time = `${m[1]!.padStart(2, '0')}:${m[2]}`;
    alarm = { label: 'Imported alarm', time };
    mapped.push(`time -> time: ${time}`);

    const wd = s.weekdays;
    if (wd === undefined || wd === null || (Array.isArray(wd) && wd.length === 0)) {
      alarm.days = [];
      mapped.push(
        'weekdays (none) -> days: [] (one-off at the next occurrence, then disabled, as the original did)',
      );
    } else if (Array.isArray(wd) && wd.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) {
      const days = [...new Set(wd as number[])].sort().map((d) => DAYS[d] as Day);
      alarm.days = days;
      mapped.push(`weekdays ${JSON.stringify(wd)} -> days: ${days.join(', ')} (repeats every week)`);
      // The original switched its alarm off after every ring (recent versions also ignore weekdays).
      warnings.push(
        'the original switched its alarm off after each ring; here it repeats on these days until you disable it',
      );
    } else {
      throw new ValidationError(
        `"weekdays" must be a list of 0 (Monday) to 6 (Sunday), got ${JSON.stringify(wd)}`,
        'weekdays',
      );
    }

    const volumeKey =
      s.alarm_volume !== undefined ? 'alarm_volume' : s.volume !== undefined ? 'volume' : undefined;
    if (volumeKey) {
      const v = s[volumeKey];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new ValidationError(`"${volumeKey}" must be a number`, volumeKey);
      }
      const volume = Math.max(0, Math.min(100, Math.round(v)));
      if (volume !== v) warnings.push(`${volumeKey} ${v} clamped to ${volume}`);
      alarm.volume = volume;
      mapped.push(`${volumeKey} -> volume: ${volume}`);
    }
    if (volumeKey === 'alarm_volume' && s.volume !== undefined) ignored.push('volume');

    if (s.fade_in !== undefined) {
      // The original ramps 5 points every 5 s up to the alarm volume: about one second per point.
      const target = typeof alarm.volume === 'number' ? alarm.volume : 50;
      const seconds = s.fade_in === true ? Math.max(5, Math.ceil(target / 5) * 5) : 0;
      alarm.fade_in_seconds = seconds;
      mapped.push(`fade_in ${JSON.stringify(s.fade_in)} -> fade_in_seconds: ${seconds}`);
    }
    if (typeof s.shuffle === 'boolean') {
      alarm.shuffle = s.shuffle;
      mapped.push(`shuffle -> shuffle: ${s.shuffle}`);
    }
    const uri =
      typeof s.playlist_uri === 'string' && s.playlist_uri.trim() ? toUri(s.playlist_uri) : undefined;
    if (uri) {
      alarm.context_uri = uri;
      mapped.push(`playlist_uri -> context_uri: ${uri}`);
    } else {
      alarm.context_uri = 'liked';
      alarm.enabled = false;
      warnings.push(
        s.playlist_uri
          ? `playlist_uri ${JSON.stringify(s.playlist_uri)} is not a Spotify URI: the alarm plays Liked Songs and was imported disabled`
          : 'no playlist_uri: the alarm plays Liked Songs and was imported disabled; choose a playlist and enable it',
      );
    }
    if (typeof s.device_name === 'string' && s.device_name.trim()) {
      alarm.device = s.device_name.trim();
      mapped.push(`device_name -> device: ${alarm.device}`);
    } else {
      alarm.device = null;
      mapped.push('device_name (empty) -> device: null (the active device, else any)');
    }
    if (typeof s.enabled === 'boolean' && alarm.enabled === undefined) {
      alarm.enabled = s.enabled;
      mapped.push(`enabled -> enabled: ${s.enabled}`);
    }
    if (typeof s.timezone === 'string' && isValidTimeZone(s.timezone)) {
      alarm.timezone = s.timezone;
      mapped.push(`timezone -> timezone: ${s.timezone}`);
    } else {
      if (s.timezone !== undefined)
        warnings.push(`timezone ${JSON.stringify(s.timezone)} is unknown; using ${defaultTimezone}`);
      alarm.timezone = defaultTimezone;
    }
  }

  // --- sleep defaults ---
  const sleep: Partial<SleepDefaults> = {};
  const num = (key: string, min: number, max: number): number | undefined => {
    const v = s[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ValidationError(`"${key}" must be a number`, key);
    return Math.max(min, Math.min(max, Math.round(v)));
  };
  const sleepVolume = num('sleep_volume', 0, 100);
  if (sleepVolume !== undefined) {
    sleep.volume = sleepVolume;
    mapped.push(`sleep_volume -> sleep volume: ${sleepVolume}`);
  }
  const minutes = num('sleep_default_duration', 1, 720);
  if (minutes !== undefined) {
    sleep.minutes = minutes;
    mapped.push(`sleep_default_duration -> sleep minutes: ${minutes}`);
  }
  if (typeof s.sleep_playlist_uri === 'string') {
    const u = s.sleep_playlist_uri.trim() ? toUri(s.sleep_playlist_uri) : undefined;
    if (s.sleep_playlist_uri.trim() && !u)
      warnings.push(
        `sleep_playlist_uri ${JSON.stringify(s.sleep_playlist_uri)} is not a Spotify URI; ignored`,
      );
    sleep.context_uri = u ?? null;
    mapped.push(`sleep_playlist_uri -> sleep context_uri: ${u ?? 'none'}`);
  }
  if (typeof s.sleep_device_name === 'string') {
    sleep.device = s.sleep_device_name.trim() || null;
    mapped.push(`sleep_device_name -> sleep device: ${sleep.device ?? 'any'}`);
  }
  if (typeof s.sleep_shuffle === 'boolean') {
    sleep.shuffle = s.sleep_shuffle;
    mapped.push(`sleep_shuffle -> sleep shuffle: ${s.sleep_shuffle}`);
  }
  return { alarm, sleep, mapped, ignored, warnings };
}

/** A player that refuses everything: the import only edits files. */
const refuse = () => Promise.reject(new Error('import-config does not talk to Spotify'));
const offlinePlayer: AlarmPlayer = {
  getDevices: refuse,
  transferPlayback: refuse,
  setVolume: refuse,
  play: refuse,
  setShuffle: refuse,
  pause: refuse,
  getPlaybackState: refuse,
};

/**
 * Reads an original SpotiPi settings file and writes the equivalent alarm (id `imported`,
 * replaced on a second import) and sleep defaults into `stateDir`.
 */
export async function importOriginalConfig(
  file: string,
  options: { stateDir: string; defaultTimezone: string },
): Promise<ImportReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ValidationError(
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? err})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${file} is not valid JSON (${(err as Error).message})`);
  }
  const m = mapOriginalSettings(raw, options.defaultTimezone);

  let alarm: AlarmView | null = null;
  if (m.alarm) {
    const scheduler = new AlarmScheduler({
      stateDir: options.stateDir,
      player: offlinePlayer,
      defaultTimezone: options.defaultTimezone,
    });
    await scheduler.load();
    try {
      alarm = await scheduler.create(m.alarm, { id: IMPORTED_ALARM_ID });
    } finally {
      await scheduler.close();
    }
  }
  let sleepDefaults: SleepDefaults | null = null;
  if (Object.keys(m.sleep).length > 0) {
    const timer = new SleepTimer({ stateDir: options.stateDir, player: offlinePlayer });
    await timer.load();
    sleepDefaults = await timer.setDefaults(m.sleep);
    await timer.close();
  }
  return { mapped: m.mapped, ignored: m.ignored, warnings: m.warnings, alarm, sleepDefaults };
}
