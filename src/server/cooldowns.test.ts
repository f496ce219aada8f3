import { describe, expect, it } from 'vitest';
import { takeAllowance } from './cooldowns.js';

const rule = { ms: 30_000, burst: 5 };

describe('takeAllowance (a token bucket per client and route)', () => {
  it('allows a burst, then one per interval', () => {
    let allowance: { creditMs: number; at: number } | undefined;
    const results: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const decision = takeAllowance(allowance, 0, rule);
      results.push(decision.ok);
      if (decision.ok) allowance = decision.allowance;
    }
    expect(results).toEqual([true, true, true, true, true, false]);
    expect(takeAllowance(allowance, 29_999, rule).ok).toBe(false);
    expect(takeAllowance(allowance, 30_000, rule).ok).toBe(true);
  });

  it('says how long to wait', () => {
    expect(takeAllowance({ creditMs: 0, at: 0 }, 10_000, rule)).toEqual({ ok: false, waitMs: 20_000 });
    expect(takeAllowance({ creditMs: 15_000, at: 0 }, 0, rule)).toEqual({ ok: false, waitMs: 15_000 });
  });

  it('refills no further than the burst', () => {
    const decision = takeAllowance({ creditMs: 0, at: 0 }, 10 * 60_000, rule);
    expect(decision).toEqual({ ok: true, allowance: { creditMs: 4 * 30_000, at: 600_000 } });
  });
});
