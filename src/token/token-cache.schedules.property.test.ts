import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError, RetryableRefreshError } from './errors.js';
import { ManualClock } from './manual-clock.js';
import { TokenCache } from './token-cache.js';
import type { RefreshContext, RefreshResult } from './types.js';

/** What the issuer does with the next refresh request. */
type Outcome = 'ok' | 'fail' | 'rate_limited' | 'hang' | 'reauth' | 'malformed';

/** One step of a random schedule. */
type Op =
  | { kind: 'call'; count: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'jumpWall'; ms: number }
  | { kind: 'suspend'; ms: number }
  | { kind: 'invalidateCurrent' }
  | { kind: 'invalidateOld' }
  | { kind: 'forceRefresh' }
  | { kind: 'next'; outcome: Outcome; latencyMs: number }
  | { kind: 'login' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('call' as const), count: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 2_000, max: 400_000 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('jumpWall' as const),
      ms: fc.integer({ min: -3 * 3600_000, max: 3 * 3600_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('suspend' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 5_000, max: 3 * 3600_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalidateCurrent' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalidateOld' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'forceRefresh' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('next' as const),
      outcome: fc.constantFrom<Outcome>('ok', 'ok', 'fail', 'rate_limited', 'hang', 'reauth', 'malformed'),
      latencyMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 15_000 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'login' as const }) },
);

/** A token endpoint on virtual time that knows when each token it issued really expires. */
class ScriptedIssuer {
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  private serial = 0;
  private readonly expiries = new Map<string, number>();
  readonly issued: string[] = [];
  private readonly script: { outcome: Outcome; latencyMs: number }[] = [];

  constructor(
    private readonly clock: ManualClock,
    private readonly lifetimeS: number,
  ) {}

  queue(outcome: Outcome, latencyMs: number): void {
    this.script.push({ outcome, latencyMs });
  }

  readonly refresh = async (ctx: RefreshContext): Promise<RefreshResult> => {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const step = this.script.shift() ?? { outcome: 'ok' as const, latencyMs: 0 };
      if (step.outcome === 'hang') {
        return await new Promise<RefreshResult>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        });
      }
      if (step.latencyMs > 0) await this.clock.sleep(step.latencyMs, ctx.signal);
      if (step.outcome === 'fail') throw new RetryableRefreshError('upstream 503');
      if (step.outcome === 'rate_limited') throw new RetryableRefreshError('upstream 429', 2_000);
      if (step.outcome === 'reauth') throw new ReauthorizationRequiredError('invalid_grant');
      if (step.outcome === 'malformed') return { accessToken: '', expiresIn: Number.NaN };
      const accessToken = `access-${++this.serial}-${'z'.repeat(20)}`;
      // The issuer's clock starts when it answers, which is no earlier than the request's start.
      this.expiries.set(accessToken, this.clock.sinceBoot() + this.lifetimeS * 1000);
      this.issued.push(accessToken);
      return { accessToken, expiresIn: this.lifetimeS };
    } finally {
      this.inFlight--;
    }
  };

  /** Milliseconds the issuer still accepts `token` for (negative once expired). */
  remainingMs(token: string): number {
    const expiry = this.expiries.get(token);
    return expiry === undefined ? Number.NEGATIVE_INFINITY : expiry - this.clock.sinceBoot();
  }
}

interface Tracked {
  settled: boolean;
}

async function runSchedule(ops: Op[], lifetimeS: number): Promise<void> {
  const clock = new ManualClock();
  const issuer = new ScriptedIssuer(clock, lifetimeS);
  const cache = new TokenCache({
    refresh: issuer.refresh,
    clock,
    seedRefreshToken: 'seed-refresh-token-0001',
    random: () => 0.5,
  });
  const tracked: Tracked[] = [];
  const problems: string[] = [];
  const observe = (p: Promise<string>, what: string) => {
    const t: Tracked = { settled: false };
    tracked.push(t);
    p.then(
      (token) => {
        t.settled = true;
        const left = issuer.remainingMs(token);
        if (!(left > 0)) problems.push(`${what} got a token the issuer no longer accepts (${left} ms left)`);
      },
      (err: unknown) => {
        t.settled = true;
        if (!(err instanceof Error)) problems.push(`${what} rejected with a non-Error: ${String(err)}`);
      },
    );
  };
  let logins = 0;
  for (const op of ops) {
    switch (op.kind) {
      case 'call':
        for (let i = 0; i < op.count; i++) observe(cache.getAccessToken(), 'getAccessToken');
        break;
      case 'advance':
        await clock.advance(op.ms);
        break;
      case 'jumpWall':
        clock.jumpWall(op.ms);
        break;
      case 'suspend':
        await clock.advance(0); // calls already answered are checked before the system sleeps
        clock.suspend(op.ms);
        break;
      case 'invalidateCurrent':
        cache.invalidate();
        break;
      case 'invalidateOld':
        cache.invalidate(issuer.issued[0] ?? 'never-issued-token');
        break;
      case 'forceRefresh':
        observe(cache.forceRefresh(), 'forceRefresh');
        break;
      case 'next':
        issuer.queue(op.outcome, op.latencyMs);
        break;
      case 'login':
        await cache.setRefreshToken(`login-refresh-token-${++logins}-abcdef`);
        break;
    }
    if (issuer.maxInFlight > 1) problems.push('two refreshes ran at once');
  }
  // Drain: enough virtual time for every timeout, retry and Retry-After to run out.
  for (let i = 0; i < 60 && tracked.some((t) => !t.settled); i++) await clock.advance(10_000);
  const unsettled = tracked.filter((t) => !t.settled).length;
  await cache.close();
  expect(problems).toEqual([]);
  expect(unsettled).toBe(0);
  expect(issuer.maxInFlight).toBeLessThanOrEqual(1);
}

describe('TokenCache under random schedules of faults, invalidations, logins, clock jumps and suspends', () => {
  it('never hands out an expired token, never runs two refreshes at once, and settles every waiter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        await runSchedule(ops, 3600);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps those invariants with short-lived tokens, where margins and refresh-ahead are capped', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 2, max: 120 }),
        async (ops, lifetimeS) => {
          await runSchedule(ops, lifetimeS);
        },
      ),
      { numRuns: 150 },
    );
  });
});
