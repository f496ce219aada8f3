import { fingerprint } from './fingerprint.js';
import type { TokenRecord } from './types.js';

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
 * `refMono` / `refWall` of the two clocks. The remaining time is capped at the lifetime, so a wall
 * clock that is behind (a Pi without RTC) cannot stretch a token. Undefined for a record without
 * a token, expiry or positive lifetime.
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
