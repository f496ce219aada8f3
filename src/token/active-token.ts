import { fingerprint } from './fingerprint.js';
import type { Clock, Logger, TokenRecord } from './types.js';

/** Boot time running ahead of monotonic time by more than this (uptime has 10 ms steps) means the system slept. */
const SUSPEND_NOTICE_MS = 20;

/** Clocks of a fleet's machines may disagree by this much without a stored token counting as from the future. */
export const FUTURE_TOLERANCE_MS = 5_000;

/** A token in use, with its deadlines on the monotonic clock. */
export interface ActiveToken {
  token: string;
  fingerprint: string;
  scope: string | undefined;
  lifetimeMs: number;
  obtainedMono: number;
  deadlineMono: number;
  usableUntilMono: number;
  refreshAheadAtMono: number;
  warnAtMono: number;
  /** Earliest moment the slow path of a hit has anything to do. */
  attentionAtMono: number;
  /**
   * Monotonic, wall and boot-time readings taken together (boot time when the clock has one). Wall
   * time running off from monotonic time since then means a wall-clock step or a suspend; boot
   * time running ahead of monotonic time means a suspend, and by how much.
   */
  refMono: number;
  refWall: number;
  refBoot: number | undefined;
  /** A refresh meant to replace this token has failed. */
  replacementFailed: boolean;
  nearExpiryWarned: boolean;
}

/** How far before its expiry a token stops being handed out, is refreshed ahead, and is warned about. */
export interface ActiveTokenWindows {
  safetyMarginMs: number;
  refreshAheadMs: number;
  nearExpiryWarningMs: number;
}

/**
 * Converts a persisted record (wall-clock times) to monotonic deadlines, as seen at the moment
 * `refMono` / `refWall` of the two clocks. The remaining time is capped at the lifetime, and a
 * token obtained later than `refWall` (this wall clock is behind) is not used at all, so a clock
 * that is behind (a Pi without RTC) cannot stretch a token. Undefined for a record without a
 * token, expiry or positive lifetime.
 */
export function toActiveToken(
  record: TokenRecord,
  refMono: number,
  refWall: number,
  windows: ActiveTokenWindows,
): ActiveToken | undefined {
  const token = record.accessToken;
  const expiresAt = record.expiresAt;
  if (!token || typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
  // Obtained "in the future": this clock is behind the one that stored it (a Pi without RTC before
  // NTP), so how much of its life is left cannot be known. Refresh instead of guessing.
  if (typeof record.obtainedAt === 'number' && record.obtainedAt > refWall + FUTURE_TOLERANCE_MS)
    return undefined;
  let lifetimeMs: number;
  if (typeof record.expiresIn === 'number' && record.expiresIn > 0) lifetimeMs = record.expiresIn * 1000;
  else if (typeof record.obtainedAt === 'number' && expiresAt > record.obtainedAt)
    lifetimeMs = expiresAt - record.obtainedAt;
  else lifetimeMs = Math.max(0, expiresAt - refWall);
  if (lifetimeMs <= 0) return undefined;
  const remaining = Math.min(expiresAt - refWall, lifetimeMs);
  const deadline = refMono + remaining;
  const safety = Math.min(windows.safetyMarginMs, lifetimeMs / 10);
  const ahead = Math.min(windows.refreshAheadMs, lifetimeMs / 2);
  const refreshAheadAt = deadline - ahead;
  const warnAt = deadline - windows.nearExpiryWarningMs;
  return {
    token,
    fingerprint: fingerprint(token) ?? '',
    scope: record.scope,
    lifetimeMs,
    obtainedMono: deadline - lifetimeMs,
    deadlineMono: deadline,
    usableUntilMono: deadline - safety,
    refreshAheadAtMono: refreshAheadAt,
    warnAtMono: warnAt,
    attentionAtMono: Math.min(refreshAheadAt, warnAt),
    refMono,
    refWall,
    refBoot: undefined,
    replacementFailed: false,
    nearExpiryWarned: false,
  };
}

/**
 * Moves every monotonic deadline of `active` earlier by `ms` (the time the system was suspended,
 * which monotonic time did not count, while the token aged).
 */
export function ageActiveToken(active: ActiveToken, ms: number): void {
  active.obtainedMono -= ms;
  active.deadlineMono -= ms;
  active.usableUntilMono -= ms;
  active.refreshAheadAtMono -= ms;
  active.warnAtMono -= ms;
  active.attentionAtMono -= ms;
}

/**
 * Wall time ran off from monotonic time: a wall-clock step, or a suspend (boot time ran on while
 * monotonic time stood still). After a suspend the token aged by the time slept, so its
 * deadlines move earlier; after a step nothing changes. Returns whether the token is still usable.
 */
export function reconcileClocks(
  cur: ActiveToken,
  clock: Clock,
  mono: number,
  logger: Logger,
  cache: string,
): boolean {
  const boot = clock.sinceBoot?.();
  if (boot !== undefined && cur.refBoot !== undefined) {
    const sleptMs = boot - cur.refBoot - (mono - cur.refMono);
    if (sleptMs > SUSPEND_NOTICE_MS) {
      ageActiveToken(cur, sleptMs);
      logger.info(
        { cache, fingerprint: cur.fingerprint, slept_s: Math.round(sleptMs / 1000) },
        'the system was suspended; the access token aged meanwhile',
      );
    }
  }
  cur.refMono = mono;
  cur.refWall = clock.now();
  cur.refBoot = boot;
  return mono < cur.usableUntilMono;
}
