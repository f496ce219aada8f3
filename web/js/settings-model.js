/** The settings page's decisions (pure, unit-tested): form values to a PATCH, lock descriptions. */

/** Fields the settings form edits, with how a form value becomes a setting value. */
export const SETTINGS_FIELDS = {
  language: 'text',
  theme: 'text',
  alarm_volume: 'int',
  alarm_fade_in_seconds: 'int',
  snooze_minutes: 'int',
  alarm_grace_minutes: 'int',
  timezone: 'text',
  library_cache_seconds: 'int',
  clock_dim_from: 'text',
  clock_dim_until: 'text',
};

/**
 * The PATCH body for what changed: only unlocked fields whose value differs from `current`.
 * Numbers that do not parse are sent as given, so the server names the field in its 400.
 * @param {Record<string, string>} values form values by field name
 * @param {{settings: Record<string, unknown>, fields: Record<string, {locked: boolean}>}} view
 */
export function settingsPatch(values, view) {
  const patch = {};
  for (const [name, kind] of Object.entries(SETTINGS_FIELDS)) {
    if (!(name in values) || view?.fields?.[name]?.locked) continue;
    const raw = String(values[name] ?? '').trim();
    let value = raw;
    if (kind === 'int') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (value !== view?.settings?.[name]) patch[name] = value;
  }
  return patch;
}

/**
 * The text beside a locked field: which setting fixes it and where.
 * @param {{locked: boolean, source: string, env?: string}} info
 * @param {(key: string, params?: Record<string, unknown>) => string} t
 */
export function lockText(info, t) {
  if (!info?.locked) return '';
  return t('settings.lockedBy', { env: info.env ?? '', source: sourceName(info.source, t) });
}

/** A readable name for a configuration layer. */
export function sourceName(source, t) {
  const key = {
    environment: 'settings.source.environment',
    '.env file': 'settings.source.dotenv',
    'config file': 'settings.source.configFile',
    setup: 'settings.source.setup',
  }[source];
  return key ? t(key) : String(source ?? '');
}

/**
 * What the account card says: connected user (with Premium if known), or why not.
 * @returns {{status: 'connected'|'disconnected'|'demo', name: string, premium: boolean|null, avatar: string|null}}
 */
export function accountSummary(account) {
  const user = account?.user ?? null;
  const status = account?.mode === 'demo' ? 'demo' : account?.connected ? 'connected' : 'disconnected';
  return {
    status,
    name: user ? String(user.display_name || user.id || '') : '',
    premium: user && typeof user.premium === 'boolean' ? user.premium : null,
    avatar: user?.avatar ?? null,
  };
}

/**
 * Whether the page must offer the paste-back login: Spotify sends the browser to a loopback
 * redirect URI, which only works when the browser runs on the server's machine.
 * @param {string} redirectUri
 * @param {string} pageHost location.hostname
 */
export function needsPasteBack(redirectUri, pageHost) {
  let host = '';
  try {
    host = new URL(redirectUri).hostname;
  } catch {
    return false;
  }
  const loopback = (h) => h === 'localhost' || h === '[::1]' || h === '::1' || h.startsWith('127.');
  return loopback(host) && !loopback(pageHost);
}

/** The sleep defaults the settings card edits (stored by the sleep timer, `/api/sleep/settings`). */
export const SLEEP_FIELDS = ['minutes', 'volume', 'fade_out_seconds'];

/**
 * The PUT body for the sleep defaults that changed (form names are `sleep_<field>`); numbers that
 * do not parse are sent as typed so the server names the field.
 * @param {Record<string, string>} values
 * @param {Record<string, unknown>|null} current
 */
export function sleepPatch(values, current) {
  const patch = {};
  if (!current) return patch;
  for (const name of SLEEP_FIELDS) {
    const key = `sleep_${name}`;
    if (!(key in values)) continue;
    const raw = String(values[key] ?? '').trim();
    const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (value !== current[name]) patch[name] = value;
  }
  return patch;
}

/**
 * The settings the server wrote into the page's `<html>` tag (`data-settings-language`,
 * `data-settings-theme`, `data-settings-clock-dim-from`, `data-settings-clock-dim-until`), or null
 * when it wrote none (another server): what every page applies at once, without asking /api/settings.
 * @param {Record<string, string|undefined>} dataset
 */
export function pageSettings(dataset) {
  const language = dataset.settingsLanguage;
  const theme = dataset.settingsTheme;
  const from = dataset.settingsClockDimFrom;
  const until = dataset.settingsClockDimUntil;
  if (!language || !theme || !from || !until) return null;
  return { language, theme, clock_dim_from: from, clock_dim_until: until };
}
