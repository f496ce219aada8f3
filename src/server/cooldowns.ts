import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../token/types.js';
import { tooManyRequests } from './errors.js';

/** A route that makes SpotiPi call Spotify on demand, and how often one client may do so. */
export interface CooldownRule {
  method: string;
  path: string;
  /** Whether this request is the costly kind (e.g. only `?refresh=1`); default: every one. */
  applies?: (request: FastifyRequest) => boolean;
  /** A client regains one request per this long... */
  ms: number;
  /** ...up to this many in a row (a person clicking twice, a test of rotation); then it waits. */
  burst: number;
}

/** A `?refresh=1` (or `true`) that bypasses a route's cache. */
const forcedRefresh = (request: FastifyRequest): boolean => {
  const { refresh } = (request.query ?? {}) as { refresh?: string };
  return refresh === '1' || refresh === 'true';
};

/** Forced refreshes: a loop (or an `<img>` tag) must not drive Spotify into a long 429 that fails alarms. */
export const SPOTIFY_COSTLY_ROUTES: readonly CooldownRule[] = [
  { method: 'GET', path: '/api/music-library', applies: forcedRefresh, ms: 30_000, burst: 5 },
  { method: 'POST', path: '/api/token-cache/refresh', ms: 30_000, burst: 5 },
  // The music sections' reloads, each a fresh read from Spotify.
  ...[
    '/api/library/liked',
    '/api/library/artists',
    '/api/library/recent',
    '/api/library/top',
    '/api/artists/:id',
  ].map((path) => ({ method: 'GET', path, applies: forcedRefresh, ms: 30_000, burst: 5 })),
  // Every new search asks Spotify; the page sends one per typing pause, a script could send thousands.
  { method: 'GET', path: '/api/search', ms: 250, burst: 20 },
];

/** Most remembered (rule, client) pairs; old ones are dropped first. */
const MAX_ENTRIES = 10_000;

/** A client's allowance for one rule: credit in ms at `at` (monotonic ms); a request costs `rule.ms`. */
export interface Allowance {
  creditMs: number;
  at: number;
}

/**
 * Decides one costly request (a token bucket kept in milliseconds, so waits are exact): credit
 * grows with time up to `rule.burst` requests' worth; a request spends one `rule.ms`. Returns
 * the new allowance, or how long to wait.
 */
export function takeAllowance(
  previous: Allowance | undefined,
  now: number,
  rule: Pick<CooldownRule, 'ms' | 'burst'>,
): { ok: true; allowance: Allowance } | { ok: false; waitMs: number } {
  const full = rule.burst * rule.ms;
  const credit = previous ? Math.min(full, previous.creditMs + Math.max(0, now - previous.at)) : full;
  if (credit < rule.ms) return { ok: false, waitMs: rule.ms - credit };
  return { ok: true, allowance: { creditMs: credit - rule.ms, at: now } };
}

/**
 * Answers a costly request with 429 (and Retry-After) when the same client has used up its
 * allowance. Only requests that passed validation count.
 */
export function installCooldowns(app: FastifyInstance, clock: Clock, rules: readonly CooldownRule[]): void {
  const last = new Map<string, Allowance>();
  const ruleFor = (request: FastifyRequest): CooldownRule | undefined =>
    rules.find(
      (r) =>
        r.method === request.method &&
        r.path === request.routeOptions.url &&
        (r.applies === undefined || r.applies(request)),
    );

  app.addHook('preHandler', async (request) => {
    const rule = ruleFor(request);
    if (!rule) return;
    const key = `${rule.method} ${rule.path} ${request.ip}`;
    const decision = takeAllowance(last.get(key), clock.monotonic(), rule);
    if (!decision.ok) {
      const wait = Math.max(1, Math.ceil(decision.waitMs / 1000));
      throw tooManyRequests(`Refreshed several times just now; try again in ${wait} s.`, wait, {
        key: 'error.cooldown',
        params: { seconds: wait },
      });
    }
    last.delete(key);
    last.set(key, decision.allowance);
    if (last.size > MAX_ENTRIES) {
      const oldest = last.keys().next().value;
      if (oldest !== undefined) last.delete(oldest);
    }
  });
}
