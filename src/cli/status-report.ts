import { formatDuration, formatMegabytes } from './format.js';
import { readableLogLines } from './log-format.js';
import { processAgeSeconds, readRssBytes, sampleCpuPercent } from './proc.js';
import { getJson } from './server-client.js';
import { inspectManagedServer, launchLogLines } from './server-manager.js';
import type { ManagerSettings } from './settings.js';
import { stateFiles } from './state-files.js';

/** Everything `spotipi status` reports; also its `--json` output. */
export interface StatusReport {
  status: 'running' | 'stopped';
  /** Why a pid file exists although the server is stopped (stale pid file). */
  stale?: string | undefined;
  pid?: number;
  startedAt?: string;
  uptimeSeconds?: number | undefined;
  memoryRssBytes?: number | undefined;
  cpuPercent?: number | undefined;
  url: string;
  health?: { ok: boolean; mode?: string | undefined; reason?: string | undefined };
  token?: {
    state?: string | undefined;
    minutesUntilExpiry?: number | undefined;
    expiresAt?: string | undefined;
    reason?: string | undefined;
    /** The login (refresh-token grant): when it stops working, from the token status's `login`. */
    login?: { expiresAt: string; expiresInSeconds: number; estimated: boolean } | undefined;
  };
  /** The next alarm or snooze as `/api/alarms/next` shows it (with `fire_at`, `kind`, `in_seconds`); null when none. */
  nextAlarm?: Record<string, unknown> | null;
  /** Why the next alarm could not be read. */
  nextAlarmError?: string;
  /** A SpotiPi answering on the configured port that this state dir does not manage. */
  unmanagedServer?: boolean;
  logFile: string;
  /** The end of the last launch's log when the server is not running (why it stopped). */
  lastLogLines?: string[];
}

/** Gathers the status from the pid file, /proc and the server's own endpoints. */
export async function collectStatus(
  settings: ManagerSettings,
  options: { cpuSampleMs: number },
): Promise<StatusReport> {
  const { logFile } = stateFiles(settings.stateDir);
  const state = await inspectManagedServer(settings);
  if (state.kind !== 'running') {
    const report: StatusReport = {
      status: 'stopped',
      url: state.kind === 'stale' && state.record ? state.record.url : settings.url,
      logFile,
    };
    if (state.kind === 'stale') {
      report.stale = state.reason;
      report.lastLogLines = await launchLogLines(state.record?.logFile ?? logFile, 10);
    } else {
      const health = await getJson(settings.url, '/healthz', { timeoutMs: 1000 });
      if (health.ok) report.unmanagedServer = true;
    }
    return report;
  }

  const { record, pid } = state;
  const token = settings.authToken;
  const [cpuPercent, health, tokenStatus, nextAlarm] = await Promise.all([
    sampleCpuPercent(record.pid, options.cpuSampleMs),
    getJson(record.url, '/healthz', { token }),
    getJson(record.url, '/api/token-cache/status', { token }),
    getJson(record.url, '/api/alarms/next', { token }),
  ]);
  const report: StatusReport = {
    status: 'running',
    pid: record.pid,
    startedAt: record.startedAt,
    uptimeSeconds: pid.stat
      ? processAgeSeconds(pid.stat)
      : (Date.now() - Date.parse(record.startedAt)) / 1000,
    memoryRssBytes: readRssBytes(record.pid),
    cpuPercent,
    url: record.url,
    logFile: record.logFile,
  };
  report.health = health.ok
    ? { ok: true, mode: stringField(health.body, 'mode') }
    : { ok: false, reason: health.reason };
  report.token = tokenStatus.ok ? tokenSummary(tokenStatus.body) : { reason: tokenStatus.reason };
  if (!nextAlarm.ok) report.nextAlarmError = nextAlarm.reason;
  else {
    const alarm = (nextAlarm.body as { alarm?: unknown } | null)?.alarm;
    report.nextAlarm =
      typeof alarm === 'object' && alarm !== null ? (alarm as Record<string, unknown>) : null;
  }
  return report;
}

function tokenSummary(body: unknown): NonNullable<StatusReport['token']> {
  const info = (body as { token_info?: unknown } | undefined)?.token_info;
  const minutes = (info as { time_until_expiry_minutes?: unknown } | undefined)?.time_until_expiry_minutes;
  const state = stringField(body, 'state') ?? stringField((body as { state?: unknown })?.state, 'state');
  const login = (body as { login?: unknown } | undefined)?.login as
    | { expires_at?: unknown; expires_in_seconds?: unknown; authorized_at_estimated?: unknown }
    | undefined;
  return {
    state,
    minutesUntilExpiry: typeof minutes === 'number' ? minutes : undefined,
    expiresAt: stringField(info, 'expires_at'),
    login:
      typeof login?.expires_at === 'string' && typeof login.expires_in_seconds === 'number'
        ? {
            expiresAt: login.expires_at,
            expiresInSeconds: login.expires_in_seconds,
            estimated: login.authorized_at_estimated === true,
          }
        : undefined,
  };
}

function stringField(obj: unknown, key: string): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const value = (obj as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** The seed's panel, extended with mode, token and next alarm. */
export function formatStatus(report: StatusReport): string {
  const lines = ['🎵 SpotiPi Server Status', '='.repeat(30)];
  if (report.status === 'stopped') {
    lines.push('Status: 🔴 Stopped');
    if (report.stale) lines.push(`Stale pid file: ${report.stale}`);
    if (report.unmanagedServer) {
      lines.push(`Note: a SpotiPi server answers at ${report.url}, but not one started with this state dir`);
    }
    lines.push(`Logs: ${report.logFile}`);
    if (report.lastLogLines && report.lastLogLines.length > 0) {
      lines.push('', 'Last log lines:', ...readableLogLines(report.lastLogLines).map((line) => `  ${line}`));
    }
    return `${lines.join('\n')}\n`;
  }
  lines.push(
    'Status: 🟢 Running',
    `PID: ${report.pid}`,
    `Uptime: ${report.uptimeSeconds === undefined ? 'unknown' : formatDuration(report.uptimeSeconds)}`,
    `Memory: ${report.memoryRssBytes === undefined ? 'unknown' : formatMegabytes(report.memoryRssBytes)}`,
    `CPU: ${report.cpuPercent === undefined ? 'unknown' : `${report.cpuPercent.toFixed(1)}%`}`,
    `URL: ${report.url}`,
  );
  const health = report.health;
  if (health?.ok) {
    lines.push(
      `Mode: ${health.mode === 'demo' ? 'DEMO (built-in Spotify emulator)' : health.mode === 'spotify' ? 'Spotify' : (health.mode ?? 'unknown')}`,
    );
  } else {
    lines.push(`Health: ⚠️  not answering (${health?.reason ?? 'unknown'})`);
  }
  lines.push(`Token: ${describeToken(report.token)}`);
  if (report.token?.login) lines.push(`Login: ${describeLogin(report.token.login)}`);
  lines.push(`Next alarm: ${describeAlarm(report.nextAlarm, report.nextAlarmError)}`);
  lines.push(`Logs: ${report.logFile}`);
  return `${lines.join('\n')}\n`;
}

/** States that need words for someone reading the panel (the others read fine as they are). */
const TOKEN_STATE_WORDS: Record<string, string> = {
  empty: 'none yet (fetched on first use)',
  reauthorization_required: 'Spotify login needed (run `spotipi login` or open /login)',
  refreshing_ahead: 'valid, refreshing ahead',
};

/** One line for the token: its state and minutes until expiry. */
export function describeToken(token: StatusReport['token']): string {
  if (!token) return 'unknown';
  if (token.reason) return `unavailable (${token.reason})`;
  const state = token.state ?? 'unknown';
  const parts = [TOKEN_STATE_WORDS[state] ?? state];
  if (token.minutesUntilExpiry !== undefined) {
    parts.push(`expires in ${Math.round(token.minutesUntilExpiry)} min`);
  }
  return parts.join(', ');
}

/** From this close to its end, the login line says to log in again. */
const LOGIN_WARNING_SECONDS = 14 * 86_400;

/** One line for the login: when it expires (Spotify ends a login 6 months after it was made). */
export function describeLogin(login: NonNullable<NonNullable<StatusReport['token']>['login']>): string {
  const date = login.expiresAt.slice(0, 10);
  const about = login.estimated ? 'about ' : '';
  if (login.expiresInSeconds <= 0) return `expired ${about}${date} — log in again (spotipi login)`;
  const days = Math.floor(login.expiresInSeconds / 86_400);
  const text = `expires ${about}${date} (in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`})`;
  return login.expiresInSeconds <= LOGIN_WARNING_SECONDS
    ? `⚠️  ${text} — log in again soon (spotipi login)`
    : text;
}

/** One line for the next alarm (the alarm from `/api/alarms/next`, with `fire_at` and `in_seconds`). */
export function describeAlarm(alarm: StatusReport['nextAlarm'], error?: string): string {
  if (error !== undefined) return `unavailable (${error})`;
  if (alarm === undefined) return 'unknown';
  if (alarm === null) return 'none scheduled';
  const fireAt = alarm.fire_at;
  // fire_at is ISO 8601 in the alarm's own time zone: show its wall-clock time as the alarm shows it.
  let text = typeof fireAt === 'string' ? fireAt.replace('T', ' ').slice(0, 16) : 'scheduled';
  if (typeof alarm.in_seconds === 'number') text += `, in ${formatDuration(alarm.in_seconds)}`;
  if (alarm.kind === 'snooze') text += ', snoozed';
  if (typeof alarm.label === 'string' && alarm.label.trim() !== '') text += ` (${alarm.label})`;
  return text;
}
