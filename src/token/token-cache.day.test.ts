import { describe, expect, it } from 'vitest';
import { RetryableRefreshError } from './errors.js';
import { ManualClock } from './manual-clock.js';
import { FakeIssuer } from './test-helpers/fake-issuer.js';
import { TokenCache } from './token-cache.js';

/** The seed's workload for 24 virtual hours: an alarm check at :00 and three requests a minute. */
async function simulateDay(cache: TokenCache, clock: ManualClock, issuer: FakeIssuer) {
  let handedOutExpired = 0;
  let failedCalls = 0;
  let calls = 0;
  const use = async () => {
    calls++;
    try {
      const token = await cache.getAccessToken();
      // The moment the caller gets it, the issuer must still accept it.
      if (!issuer.accepts(token)) handedOutExpired++;
    } catch {
      failedCalls++;
    }
  };
  // Each call runs while virtual time moves on, so a call that waits for a refresh can finish.
  const step = async (ms: number) => {
    const call = use();
    await clock.advance(ms);
    await call;
  };
  for (let minute = 0; minute < 24 * 60; minute++) {
    await step(5_000); // alarm check
    await step(15_000); // main page
    await step(20_000); // playback status
    await step(20_000); // music library
  }
  return { handedOutExpired, failedCalls, calls };
}

describe('TokenCache over a simulated day', () => {
  it('makes at most 27 refreshes with a hit rate of at least 99.9% and never hands out an expired token', async () => {
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    issuer.lifetimeS = 3600;
    issuer.latencyMs = 300;
    const cache = new TokenCache({ refresh: issuer.refresh, clock });
    const { handedOutExpired, failedCalls, calls } = await simulateDay(cache, clock, issuer);
    const s = cache.snapshot();
    expect(calls).toBe(5_760);
    expect(handedOutExpired).toBe(0);
    expect(failedCalls).toBe(0);
    expect(issuer.calls).toBeLessThanOrEqual(27);
    expect(issuer.calls).toBeGreaterThanOrEqual(25);
    expect(s.performance.cache_hit_rate_percent).toBeGreaterThanOrEqual(99.9);
    expect(s.cache_metrics.cache_misses).toBe(1);
    expect(s.cache_metrics.refresh_ahead_count).toBe(issuer.calls - 1);
  });

  it('still fails no call and hands out no expired token when a fifth of refresh attempts fail', async () => {
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    issuer.latencyMs = 300;
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const flaky = new TokenCache({
      clock,
      random,
      refresh: async (ctx) => {
        if (ctx.attempt === 1 && random() < 0.2) {
          issuer.calls++;
          throw new RetryableRefreshError('503 Service Unavailable');
        }
        return issuer.refresh(ctx);
      },
    });
    const { handedOutExpired, failedCalls } = await simulateDay(flaky, clock, issuer);
    expect(handedOutExpired).toBe(0);
    expect(failedCalls).toBe(0);
    expect(flaky.snapshot().performance.cache_hit_rate_percent).toBeGreaterThanOrEqual(99.9);
    expect(issuer.calls).toBeLessThanOrEqual(27 * 2);
  });
});
