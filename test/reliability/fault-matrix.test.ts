import { afterEach, describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../src/emulator/types.js';
import { eventually, type Harness, startHarness } from './server-harness.js';

/** Token-endpoint faults, each persistent (it hits every token request until cleared). */
const TOKEN_FAULTS: {
  name: string;
  fault: FaultSpec;
  noToken: { status: number; retryAfter?: boolean; login?: boolean };
  /** A permanent answer (a retry would get the same): no refresh starts for a minute after it. */
  permanent?: boolean;
}[] = [
  {
    name: '500',
    fault: { target: 'token', kind: 'status', status: 500, count: 1000 },
    noToken: { status: 502 },
  },
  {
    name: '503',
    fault: { target: 'token', kind: 'status', status: 503, count: 1000 },
    noToken: { status: 502 },
  },
  {
    name: 'timeout',
    fault: { target: 'token', kind: 'delay', delayMs: 3_000, count: 1000 },
    noToken: { status: 502 },
  },
  {
    name: 'reset connection',
    fault: { target: 'token', kind: 'reset', count: 1000 },
    noToken: { status: 502 },
  },
  {
    name: 'malformed JSON',
    fault: { target: 'token', kind: 'malformed', count: 1000 },
    noToken: { status: 502 },
    permanent: true,
  },
  {
    name: 'invalid_client',
    fault: { target: 'token', kind: 'invalid_client', count: 1000 },
    noToken: { status: 500 },
    permanent: true,
  },
  {
    name: '429 with a long Retry-After',
    fault: { target: 'token', kind: 'rate_limit', retryAfterSec: 600, count: 1000 },
    noToken: { status: 503, retryAfter: true },
  },
  {
    name: 'invalid_grant',
    fault: { target: 'token', kind: 'invalid_grant', count: 1000 },
    noToken: { status: 401, login: true },
  },
];

/** Settings that keep the failing cases short: 1 s attempt timeout, 2 attempts. */
const FAST_FAIL = { TOKEN_REFRESH_TIMEOUT_SECONDS: '1', TOKEN_REFRESH_MAX_ATTEMPTS: '2' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** `count` concurrent GET /playback_status; returns their statuses. */
async function burst(harness: Harness, count: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: count }, async () => (await harness.get('/playback_status')).status),
  );
}

interface CacheStatus {
  state: string;
  cache_metrics: { refresh_failures: number; refreshes_in_flight: number };
}

async function cacheStatus(harness: Harness): Promise<CacheStatus> {
  return (await (await harness.get('/api/token-cache/status')).json()) as CacheStatus;
}

describe('token endpoint faults while a valid token exists', () => {
  for (const { name, fault } of TOKEN_FAULTS) {
    it(`fails no user request when the refresh-ahead meets ${name}`, async () => {
      h = await startHarness(FAST_FAIL);
      expect(await burst(h, 1)).toEqual([200]);
      await h.clock.advance(56 * 60_000); // 4 minutes left: inside the refresh-ahead window
      h.emulator.injectFault(fault);
      const statuses: number[] = [];
      for (let round = 0; round < 10; round++) {
        statuses.push(...(await burst(h, 10)));
        await new Promise((r) => setTimeout(r, 100));
      }
      // Keep asking until the refresh-ahead has given up (a slow fault takes all its attempts' timeouts),
      // so the requests after it prove the still-valid token serves them.
      let status = await cacheStatus(h);
      const deadline = Date.now() + 15_000;
      const gaveUp = (s: CacheStatus) =>
        s.state === 'reauthorization_required' ||
        (s.cache_metrics.refresh_failures > 0 && s.cache_metrics.refreshes_in_flight === 0);
      while (!gaveUp(status)) {
        if (Date.now() > deadline)
          throw new Error(`the refresh-ahead never failed: ${JSON.stringify(status)}`);
        statuses.push(...(await burst(h, 5)));
        await new Promise((r) => setTimeout(r, 100));
        status = await cacheStatus(h);
      }
      for (let round = 0; round < 3; round++) statuses.push(...(await burst(h, 10)));
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      expect(h.emulator.stats().tokenRequests).toBeGreaterThan(1); // the refresh-ahead did meet the fault
      status = await cacheStatus(h);
      expect(['valid', 'refreshing_ahead', 'reauthorization_required']).toContain(status.state);
    });
  }

  it('keeps answering at once while one 9-second token response is on its way, then uses the new token', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    await h.clock.advance(56 * 60_000);
    const grantsBefore = h.grants();
    h.emulator.injectFault({ target: 'token', kind: 'delay', delayMs: 9_000, count: 1 });
    const statuses: number[] = [];
    const slowest: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 9_500) {
      const t0 = performance.now();
      statuses.push(...(await burst(h, 5)));
      slowest.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // No request waited for the refresh: each burst finished long before the 9 s answer.
    expect(Math.max(...slowest)).toBeLessThan(5_000);
    expect(await eventually(() => h!.grants() > grantsBefore, 5_000)).toBe(true);
    expect(h.emulator.stats().tokenRequests).toBe(2);
  }, 30_000);
});

describe('token endpoint faults with no valid token', () => {
  for (const { name, fault, noToken, permanent } of TOKEN_FAULTS) {
    const after = noToken.login
      ? 'and stays 401 after the fault clears, until a new login (a dead grant is not retried)'
      : permanent
        ? 'without retrying it, and recovers a minute after the fault clears'
        : 'and recovers once the fault clears';
    it(`answers ${noToken.status}${noToken.retryAfter ? ' with Retry-After' : ''}${noToken.login ? ' with the login link' : ''} for ${name}, ${after}`, async () => {
      h = await startHarness(FAST_FAIL);
      expect(await burst(h, 1)).toEqual([200]);
      h.emulator.injectFault(fault);
      await h.clock.advance(61 * 60_000); // past expiry
      const responses = await Promise.all(Array.from({ length: 5 }, () => h!.get('/playback_status')));
      for (const res of responses) {
        expect(res.status).toBe(noToken.status);
        const body = (await res.json()) as {
          error: { status: number; message: string; login_url?: string };
        };
        expect(body.error.status).toBe(noToken.status);
        expect(body.error.message.length).toBeGreaterThan(0);
        if (noToken.retryAfter) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        if (noToken.login) expect(body.error.login_url).toBe('/login');
      }
      h.emulator.clearFaults();
      if (noToken.login) {
        // A dead grant stays dead until the user logs in again; it is not retried behind their back.
        expect((await h.get('/playback_status')).status).toBe(401);
        const status = (await (await h.get('/api/token-cache/status')).json()) as { state: string };
        expect(status.state).toBe('reauthorization_required');
        return;
      }
      if (permanent) {
        // One upstream attempt, then the gate: the five callers above did not repeat it, and the
        // next caller gets the same answer without another request.
        expect(h.emulator.stats().tokenRequests).toBe(2);
        expect((await h.get('/playback_status')).status).toBe(noToken.status);
        await h.clock.advance(61_000);
      }
      // A long Retry-After is respected before the next attempt.
      if (fault.kind === 'rate_limit') await h.clock.advance(601_000);
      const recovered = await h.get('/playback_status');
      expect(recovered.status).toBe(200);
    }, 30_000);
  }
});

describe('Web API faults', () => {
  it('turns a storm of 401s on revoked tokens into one refresh, with every request served', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    const grantsBefore = h.grants();
    h.emulator.revokeAccessTokens();
    const statuses = await burst(h, 50);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(h.grants() - grantsBefore).toBe(1);
  });

  it('waits out a short 429 and answers 200', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    h.emulator.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 1, count: 1 });
    expect((await h.get('/playback_status')).status).toBe(200);
  });

  it('answers 503 with Retry-After for a long 429', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    h.emulator.injectFault({ target: 'api', kind: 'rate_limit', retryAfterSec: 120, count: 5 });
    const res = await h.get('/playback_status');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(100);
    const body = (await res.json()) as { error: { status: number; retry_after_seconds?: number } };
    expect(body.error.status).toBe(503);
  });

  it('retries a GET through one 503 and answers 200', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    h.emulator.injectFault({ target: 'api', kind: 'status', status: 503, count: 1 });
    expect((await h.get('/playback_status')).status).toBe(200);
  });

  it('answers 502 while the Web API keeps answering 503, and 200 once it is back', async () => {
    h = await startHarness();
    expect(await burst(h, 1)).toEqual([200]);
    h.emulator.injectFault({ target: 'api', kind: 'status', status: 503, count: 1000 });
    const res = await h.get('/playback_status');
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { status: number } }).error.status).toBe(502);
    h.emulator.clearFaults();
    expect((await h.get('/playback_status')).status).toBe(200);
  });
});
