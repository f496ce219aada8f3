import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryableRefreshError } from './errors.js';
import { ManualClock } from './manual-clock.js';
import { FakeIssuer, settle } from './test-helpers/fake-issuer.js';
import { TokenCache } from './token-cache.js';

type Step =
  | { kind: 'calls'; count: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'invalidate' }
  | { kind: 'fail'; times: number }
  | { kind: 'jumpWall'; ms: number }
  | { kind: 'force' }
  | { kind: 'outage'; on: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('calls' as const), count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant('advance' as const),
    // Small steps, large steps, and jumps that land near the end of a 60-minute token.
    ms: fc.oneof(
      fc.integer({ min: 0, max: 120_000 }),
      fc.integer({ min: 0, max: 40 * 60_000 }),
      fc.integer({ min: 54 * 60_000, max: 61 * 60_000 }),
    ),
  }),
  fc.record({ kind: fc.constant('outage' as const), on: fc.boolean() }),
  fc.record({ kind: fc.constant('invalidate' as const) }),
  fc.record({ kind: fc.constant('fail' as const), times: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    kind: fc.constant('jumpWall' as const),
    ms: fc.integer({ min: -86_400_000, max: 86_400_000 }),
  }),
  fc.record({ kind: fc.constant('force' as const) }),
);

describe('TokenCache invariants under random operation sequences', () => {
  it('never hands out a token the issuer would reject, never runs two refreshes at once, keeps its counters consistent, and refreshes about once per token lifetime', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 3000 }),
        async (steps, latencyMs) => {
          const clock = new ManualClock();
          const issuer = new FakeIssuer(clock);
          issuer.latencyMs = latencyMs;
          const cache = new TokenCache({ refresh: issuer.refresh, clock, random: () => 0.5 });
          const pending: Array<Promise<unknown>> = [];
          let stale = 0;
          const call = (p: Promise<string>) =>
            pending.push(
              p.then(
                (t) => {
                  if (!issuer.accepts(t)) stale++;
                },
                () => {},
              ),
            );
          let last: string | undefined;
          // Refreshes the steps ask for (force, a 401) and virtual time that passes.
          let asked = 0;
          let elapsed = 0;
          for (const s of steps) {
            if (s.kind === 'force' || (s.kind === 'invalidate' && last)) asked++;
            if (s.kind === 'advance') elapsed += s.ms;
            if (s.kind === 'calls') for (let i = 0; i < s.count; i++) call(cache.getAccessToken());
            else if (s.kind === 'advance') await clock.advance(s.ms);
            else if (s.kind === 'invalidate' && last) cache.invalidate(last);
            else if (s.kind === 'fail')
              for (let i = 0; i < s.times; i++) issuer.faults.push(new RetryableRefreshError('503'));
            else if (s.kind === 'jumpWall') clock.jumpWall(s.ms);
            else if (s.kind === 'force') call(cache.forceRefresh());
            else if (s.kind === 'outage')
              issuer.alwaysFail = s.on ? new RetryableRefreshError('outage') : undefined;
            last = issuer.issued().at(-1);
            const m = cache.snapshot().cache_metrics;
            expect(m.cache_hits + m.cache_misses).toBe(m.total_requests);
            expect(m.refresh_successes + m.refresh_failures).toBeLessThanOrEqual(m.refresh_attempts);
            expect(m.refreshes_in_flight).toBeLessThanOrEqual(1);
          }
          await clock.advance(5 * 60_000);
          elapsed += 5 * 60_000;
          await settle();
          await Promise.all(pending);
          expect(stale).toBe(0);
          // A token lives 60 min and is refreshed 5 min ahead: one success per 55 minutes, plus
          // one per refresh asked for. A cache refreshing on every call would exceed this.
          const lifetimes = Math.floor(elapsed / (55 * 60_000)) + 1;
          expect(cache.snapshot().cache_metrics.refresh_successes).toBeLessThanOrEqual(lifetimes + asked + 1);
          // Then 20 calls a minute apart: a token lasts longer, so at most one refresh among them.
          const before = cache.snapshot().cache_metrics.refresh_successes;
          for (let i = 0; i < 20; i++) {
            const call = cache.getAccessToken().catch(() => {});
            await clock.advance(60_000);
            await call;
          }
          expect(cache.snapshot().cache_metrics.refresh_successes - before).toBeLessThanOrEqual(1);
          expect(issuer.maxInFlight).toBeLessThanOrEqual(1);
          expect(JSON.stringify(cache.snapshot())).not.toContain('access-token-');
          await cache.close();
        },
      ),
      { numRuns: 150 },
    );
  });
});
