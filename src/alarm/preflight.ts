import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { describeError } from './errors.js';
import { LIKED_SONGS } from './model.js';
import { type Finding, type Readiness, readinessFrom } from './readiness.js';

/** What preflight needs to know about an alarm (a subset of the API's alarm view). */
export interface PreflightAlarm {
  id: string;
  label: string;
  time: string;
  enabled: boolean;
  context_uri: string;
  device: string | null;
  /** ISO 8601; null when disabled. */
  next_fire_at: string | null;
}

/** The token cache as preflight uses it. */
export interface PreflightTokens {
  snapshot(): {
    state: string;
    token_info: { age_minutes: number | null };
    /** The login's own expiry (token snapshot `login`; absent on caches that do not track it). */
    login?: { expires_at: string | null } | undefined;
  };
  getAccessToken(): Promise<string>;
  forceRefresh(): Promise<string>;
}

/** Looking up music through the Web API client. */
export interface PreflightMusic {
  getCatalogItem(type: 'playlist' | 'album' | 'artist' | 'track', id: string): Promise<unknown>;
  getSavedTracksCount(): Promise<number>;
}

/** Options; `alarms`, `tokens`, `music` and `deviceKnown` are required. */
export interface PreflightOptions {
  /** The alarms (the scheduler's `list()`); read outside any alarm view. */
  alarms: () => PreflightAlarm[];
  tokens: PreflightTokens;
  music: PreflightMusic;
  /** True when a device of that id or name is known (remembered, or in the live list). */
  deviceKnown: (idOrName: string) => Promise<boolean>;
  clock?: Clock;
  logger?: Logger;
  /** A token older than this is refreshed for real by the check (proves the login); default 30 min. */
  refreshIfOlderThanMs?: number;
  /** First scheduled check this long before an alarm; default 12 h. */
  earlyCheckMs?: number;
  /** Last check this long before an alarm; default 10 min. */
  finalCheckMs?: number;
  /** Warn this long before the login expires; default 14 days. */
  loginWarningMs?: number;
  /** Longest sleep of the loop (so edits and clock jumps are seen); default 60 s. */
  maxSleepMs?: number;
}

/** The readiness of every enabled alarm, for `/readyz` and `/metrics`. */
export interface AlarmReadinessReport {
  status: Readiness['status'];
  alarms: {
    id: string;
    label: string;
    time: string;
    next_fire_at: string | null;
    readiness: Readiness | null;
  }[];
}

const DAY = 24 * 3_600_000;
const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Checked {
  readiness: Readiness;
  /** Wall ms of the check. */
  at: number;
  /** The alarm's settings the check was for; a change checks again at once. */
  signature: string;
}

/**
 * Checks, ahead of each alarm, everything it needs: the Spotify login works (a real refresh when
 * the token is old), the music still exists, the device is known, and the login will not expire
 * first. Each enabled alarm is checked when first seen or changed (created, enabled, edited),
 * from 12 h before it and again 10 min before; `readinessOf` gives the latest result.
 */
export class Preflight {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly o: Required<
    Pick<
      PreflightOptions,
      'refreshIfOlderThanMs' | 'earlyCheckMs' | 'finalCheckMs' | 'loginWarningMs' | 'maxSleepMs'
    >
  >;
  private readonly checked = new Map<string, Checked>();
  private wake = new AbortController();
  private closed = false;
  private loopDone: Promise<void> | undefined;

  constructor(private readonly opts: PreflightOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.o = {
      refreshIfOlderThanMs: opts.refreshIfOlderThanMs ?? 30 * 60_000,
      earlyCheckMs: opts.earlyCheckMs ?? 12 * 3_600_000,
      finalCheckMs: opts.finalCheckMs ?? 10 * 60_000,
      loginWarningMs: opts.loginWarningMs ?? 14 * DAY,
      maxSleepMs: opts.maxSleepMs ?? 60_000,
    };
  }

  /** The latest readiness of an alarm; null when disabled, deleted or not yet checked. */
  readinessOf(alarmId: string): Readiness | null {
    return this.checked.get(alarmId)?.readiness ?? null;
  }

  /**
   * Every enabled alarm with its readiness (null until first checked); `status` is the worst of
   * them ('ok' with no alarms). Read by `/readyz` and `/metrics`.
   */
  report(): AlarmReadinessReport {
    const alarms = this.opts
      .alarms()
      .filter((a) => a.enabled && a.next_fire_at)
      .map((a) => ({
        id: a.id,
        label: a.label,
        time: a.time,
        next_fire_at: a.next_fire_at,
        readiness: this.readinessOf(a.id),
      }));
    const statuses = alarms.map((a) => a.readiness?.status);
    const status = statuses.includes('failing') ? 'failing' : statuses.includes('warning') ? 'warning' : 'ok';
    return { status, alarms };
  }

  /** Starts the loop (checks due alarms at once). */
  start(): void {
    this.loopDone ??= this.loop();
  }

  /** Wakes the loop: an alarm was created, changed or deleted. */
  kick(): void {
    this.wake.abort();
  }

  /** Stops the loop and waits for a check in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake.abort();
    await this.loopDone;
  }

  /** Checks every due alarm now; resolves when done (the loop calls it; tests may too). */
  async runDue(): Promise<void> {
    const now = this.clock.now();
    const alarms = this.opts.alarms();
    const enabled = new Set(alarms.filter((a) => a.enabled && a.next_fire_at).map((a) => a.id));
    for (const id of this.checked.keys()) if (!enabled.has(id)) this.checked.delete(id);
    let login: Finding[] | undefined;
    for (const alarm of alarms) {
      if (this.closed || !enabled.has(alarm.id) || !this.isDue(alarm, now)) continue;
      // One login check per round serves every alarm due in it.
      login ??= await this.checkLogin();
      const findings = [...login, ...(await this.checkAlarm(alarm, login.length > 0))];
      const readiness = readinessFrom(findings, new Date(this.clock.now()));
      this.checked.set(alarm.id, { readiness, at: this.clock.now(), signature: signature(alarm) });
      const context = { alarm: alarm.id, status: readiness.status, reasons: readiness.reasons };
      if (readiness.status === 'ok') this.log.info(context, 'alarm preflight: ready');
      else this.log.warn(context, `alarm preflight: ${readiness.status}`);
    }
  }

  /** Wall ms of the next scheduled check, if any. */
  private nextDueAt(now: number): number | undefined {
    let soonest: number | undefined;
    for (const alarm of this.opts.alarms()) {
      if (!alarm.enabled || !alarm.next_fire_at) continue;
      for (const at of this.checkTimes(alarm)) {
        if (at > now && (soonest === undefined || at < soonest)) soonest = at;
      }
    }
    return soonest;
  }

  private checkTimes(alarm: PreflightAlarm): number[] {
    const fireAt = Date.parse(alarm.next_fire_at ?? '');
    return [fireAt - this.o.earlyCheckMs, fireAt - this.o.finalCheckMs];
  }

  /** Never checked, changed since, or a check time passed since the last check. */
  private isDue(alarm: PreflightAlarm, now: number): boolean {
    const last = this.checked.get(alarm.id);
    if (!last || last.signature !== signature(alarm)) return true;
    return this.checkTimes(alarm).some((at) => at <= now && at > last.at);
  }

  private async checkLogin(): Promise<Finding[]> {
    const { tokens } = this.opts;
    const needsLogin: Finding = {
      severity: 'failing',
      reason: 'Spotify needs a new login',
      code: 'login_needed',
      login: true,
    };
    if (tokens.snapshot().state === 'reauthorization_required') return [needsLogin];
    try {
      const age = tokens.snapshot().token_info.age_minutes;
      // A real refresh proves the refresh token still works; a fresh token already proved it.
      if (age !== null && age * 60_000 >= this.o.refreshIfOlderThanMs) await tokens.forceRefresh();
      else await tokens.getAccessToken();
      return [];
    } catch (err) {
      if (tokens.snapshot().state === 'reauthorization_required') return [needsLogin];
      return [
        {
          severity: 'warning',
          reason: `Spotify could not be reached to check the login (${describeError(err)}); checking again later`,
          code: 'login_unchecked',
        },
      ];
    }
  }

  private async checkAlarm(alarm: PreflightAlarm, loginFailed: boolean): Promise<Finding[]> {
    const findings: Finding[] = [...this.loginExpiry(alarm)];
    // Without a working login the music and devices cannot be looked up; that is already the reason.
    if (loginFailed) return findings;
    findings.push(...(await this.checkMusic(alarm.context_uri)));
    if (alarm.device !== null) findings.push(...(await this.checkDevice(alarm.device)));
    return findings;
  }

  private loginExpiry(alarm: PreflightAlarm): Finding[] {
    const expiresAt = Date.parse(this.opts.tokens.snapshot().login?.expires_at ?? '');
    if (Number.isNaN(expiresAt)) return [];
    const fireAt = Date.parse(alarm.next_fire_at ?? '');
    const day = new Date(expiresAt).toISOString().slice(0, 10);
    if (expiresAt <= fireAt) {
      return [
        {
          severity: 'failing',
          reason: `The Spotify login expires on ${day}, before this alarm: log in again`,
          code: 'login_expires_before',
          params: { day },
          login: true,
        },
      ];
    }
    const left = expiresAt - this.clock.now();
    const days = Math.max(0, Math.floor(left / DAY));
    if (left <= this.o.loginWarningMs) {
      return [
        {
          severity: 'warning',
          reason: `The Spotify login expires in ${days} days (${day}): log in again`,
          code: 'login_expires_soon',
          params: { days, day },
          login: true,
        },
      ];
    }
    return [];
  }

  private async checkMusic(uri: string): Promise<Finding[]> {
    const target = parseContextUri(uri);
    if (!target) return [];
    try {
      if (target.type === 'liked') {
        if ((await this.opts.music.getSavedTracksCount()) === 0) {
          return [
            {
              severity: 'failing',
              reason: 'Liked Songs is empty: there is nothing to play',
              code: 'liked_empty',
            },
          ];
        }
      } else {
        await this.opts.music.getCatalogItem(target.type, target.id);
      }
      return [];
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      if (status === 404) {
        return [
          {
            severity: 'failing',
            reason: `The ${target.type} to play no longer exists on Spotify (${uri})`,
            code: 'music_gone',
            params: { type: target.type, uri },
          },
        ];
      }
      return [
        {
          severity: 'warning',
          reason: `Could not check the music (${describeError(err)})`,
          code: 'music_unchecked',
        },
      ];
    }
  }

  private async checkDevice(device: string): Promise<Finding[]> {
    try {
      if (await this.opts.deviceKnown(device)) return [];
      return [
        {
          severity: 'warning',
          reason: `The speaker "${device}" has not been seen by SpotiPi; another device may play instead`,
          code: 'speaker_unseen',
          params: { device },
        },
      ];
    } catch (err) {
      return [
        {
          severity: 'warning',
          reason: `Could not list the Spotify devices (${describeError(err)})`,
          code: 'devices_unchecked',
        },
      ];
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      this.wake = new AbortController();
      try {
        await this.runDue();
      } catch (err) {
        this.log.error({ err: describeError(err) }, 'alarm preflight failed');
      }
      if (this.closed) break;
      const now = this.clock.now();
      const dueAt = this.nextDueAt(now);
      const delay = Math.min(this.o.maxSleepMs, Math.max(0, (dueAt ?? Number.POSITIVE_INFINITY) - now));
      try {
        await this.clock.sleep(Math.max(delay, 1), this.wake.signal);
      } catch {
        // Woken by a change.
      }
    }
  }
}

/** The settings a readiness depends on; when they change the alarm is checked again. */
function signature(alarm: PreflightAlarm): string {
  return JSON.stringify([alarm.context_uri, alarm.device, alarm.time]);
}

/** What to look up for a context URI; null for kinds not checked (shows, episodes). */
export function parseContextUri(
  uri: string,
): { type: 'playlist' | 'album' | 'artist' | 'track'; id: string } | { type: 'liked' } | null {
  if (uri === LIKED_SONGS || /^spotify:user:[^:]+:collection$/.test(uri)) return { type: 'liked' };
  const m = /^spotify:(?:user:[^:]+:)?(playlist|album|artist|track):([A-Za-z0-9]+)$/.exec(uri);
  if (!m) return null;
  return { type: m[1] as 'playlist' | 'album' | 'artist' | 'track', id: m[2] as string };
}
