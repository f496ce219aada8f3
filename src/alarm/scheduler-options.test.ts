import { describe, expect, it } from 'vitest';
import { FakePlayer } from './fake-player.js';
import { resolveTimings } from './scheduler-options.js';

const base = { stateDir: '/nonexistent', player: new FakePlayer(), defaultTimezone: 'UTC' };

describe('resolveTimings', () => {
  it('fills the defaults: retries span the grace window, 2 min device and fallback-sound waits', () => {
    expect(resolveTimings(base)).toMatchObject({
      graceMs: 600_000,
      retryForMs: 600_000,
      deviceFallbackMs: 120_000,
      fallbackAfterMs: 120_000,
      testRingMs: 60_000,
    });
    expect(resolveTimings({ ...base, graceMs: 300_000 }).retryForMs).toBe(300_000);
  });

  it('refuses a bad value with a RangeError naming the option', () => {
    expect(() => resolveTimings({ ...base, deviceFallbackMs: -1 })).toThrow(/deviceFallbackMs/);
    expect(() => resolveTimings({ ...base, fadeStepMs: 0 })).toThrow(RangeError);
    expect(() => resolveTimings({ ...base, graceMs: Number.NaN })).toThrow(/graceMs/);
  });
});
