import { describe, expect, it } from 'vitest';
import { type ActiveTokenWindows, ageActiveToken, toActiveToken } from './active-token.js';
import { fingerprint } from './fingerprint.js';
import type { TokenRecord } from './types.js';

const S = 1_000;
const MIN = 60 * S;
const HOUR = 60 * MIN;
const windows: ActiveTokenWindows = {
  safetyMarginMs: 30 * S,
  refreshAheadMs: 5 * MIN,
  nearExpiryWarningMs: 10 * MIN,
};
/** The true time a record was written at; a reader's wall clock may differ from it. */
const WALL = Date.UTC(2026, 0, 5, 6, 0, 0);
/** An arbitrary monotonic reading (uptime) of the reader. */
const MONO = 123_456;
const token = 'access-token-0123456789abcdef';

function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return { accessToken: token, expiresAt: WALL + HOUR, obtainedAt: WALL, expiresIn: 3600, ...overrides };
}

describe('toActiveToken', () => {
  it('places every deadline relative to the monotonic reading', () => {
    const active = toActiveToken(record({ scope: 'user-read-playback-state' }), MONO, WALL, windows);
    expect(active).toEqual({
      token,
      fingerprint: fingerprint(token),
      scope: 'user-read-playback-state',
      lifetimeMs: HOUR,
      obtainedMono: MONO,
      deadlineMono: MONO + HOUR,
      usableUntilMono: MONO + HOUR - 30 * S,
      refreshAheadAtMono: MONO + HOUR - 5 * MIN,
      warnAtMono: MONO + HOUR - 10 * MIN,
      attentionAtMono: MONO + HOUR - 10 * MIN,
      refMono: MONO,
      refWall: WALL,
      refBoot: undefined,
      replacementFailed: false,
      nearExpiryWarned: false,
    });
  });

  it('re-bases a record read later on what is left of it', () => {
    const active = toActiveToken(record(), MONO, WALL + 20 * MIN, windows);
    expect(active?.deadlineMono).toBe(MONO + 40 * MIN);
    expect(active?.obtainedMono).toBe(MONO - 20 * MIN);
  });

  it('does not use a token obtained later than the reader’s wall clock (a Pi without RTC before NTP)', () => {
    expect(toActiveToken(record(), MONO, WALL - 24 * HOUR, windows)).toBeUndefined();
    expect(toActiveToken(record(), MONO, WALL - 6 * S, windows)).toBeUndefined();
  });

  it('still uses a token obtained up to 5 s "in the future" (clocks of a fleet disagree a little), capped at its lifetime', () => {
    const active = toActiveToken(record(), MONO, WALL - 5 * S, windows);
    expect(active?.deadlineMono).toBe(MONO + HOUR);
  });

  it('treats the token as expired when the reader’s wall clock is ahead past its expiry', () => {
    const active = toActiveToken(record(), MONO, WALL + 3 * HOUR, windows);
    expect(active?.deadlineMono).toBe(MONO - 2 * HOUR);
    expect(active !== undefined && MONO < active.usableUntilMono).toBe(false);
  });

  it('takes the lifetime from expiresIn, else from obtainedAt, else from what remains', () => {
    expect(toActiveToken(record({ expiresIn: 1800 }), MONO, WALL, windows)?.lifetimeMs).toBe(30 * MIN);
    const noExpiresIn = record({ expiresIn: undefined, obtainedAt: WALL - 30 * MIN });
    expect(toActiveToken(noExpiresIn, MONO, WALL, windows)?.lifetimeMs).toBe(90 * MIN);
    expect(toActiveToken(record({ expiresIn: 0 }), MONO, WALL, windows)?.lifetimeMs).toBe(HOUR);
    const bare = record({ expiresIn: undefined, obtainedAt: undefined });
    const active = toActiveToken(bare, MONO, WALL + 15 * MIN, windows);
    expect(active?.lifetimeMs).toBe(45 * MIN);
    expect(active?.obtainedMono).toBe(MONO);
  });

  it('caps the safety margin at a tenth and refresh-ahead at half of a short lifetime', () => {
    const short = record({ expiresAt: WALL + 60 * S, expiresIn: 60 });
    const active = toActiveToken(short, MONO, WALL, windows);
    expect(active?.usableUntilMono).toBe(MONO + 54 * S);
    expect(active?.refreshAheadAtMono).toBe(MONO + 30 * S);
    // The warning window is not capped: it is already due, and the earliest deadline.
    expect(active?.warnAtMono).toBe(MONO + 60 * S - 10 * MIN);
    expect(active?.attentionAtMono).toBe(active?.warnAtMono);
  });

  it('returns nothing for a record without a token or a finite expiry', () => {
    expect(toActiveToken(record({ accessToken: undefined }), MONO, WALL, windows)).toBeUndefined();
    expect(toActiveToken(record({ accessToken: '' }), MONO, WALL, windows)).toBeUndefined();
    expect(toActiveToken(record({ expiresAt: undefined }), MONO, WALL, windows)).toBeUndefined();
    expect(toActiveToken(record({ expiresAt: Number.NaN }), MONO, WALL, windows)).toBeUndefined();
  });

  it('returns nothing when no positive lifetime can be known', () => {
    const stale = record({ expiresIn: undefined, obtainedAt: undefined, expiresAt: WALL - MIN });
    expect(toActiveToken(stale, MONO, WALL, windows)).toBeUndefined();
    const inverted = record({ expiresIn: undefined, obtainedAt: WALL + 2 * HOUR });
    expect(toActiveToken(inverted, MONO, WALL + HOUR, windows)).toBeUndefined();
  });

  it('ages a token by the time slept, moving every deadline earlier', () => {
    const active = toActiveToken(record(), MONO, WALL, windows)!;
    ageActiveToken(active, 20 * MIN);
    expect(active).toMatchObject({
      obtainedMono: MONO - 20 * MIN,
      deadlineMono: MONO + 40 * MIN,
      usableUntilMono: MONO + 40 * MIN - 30 * S,
      refreshAheadAtMono: MONO + 35 * MIN,
      warnAtMono: MONO + 30 * MIN,
      attentionAtMono: MONO + 30 * MIN,
    });
  });
});
