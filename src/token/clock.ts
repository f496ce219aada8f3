import { uptime } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from './types.js';

/**
 * The real clock: wall time from Date.now, expiry decisions from performance.now (monotonic), and
 * the uptime (which, unlike performance.now, counts a suspend) to notice that the system slept.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
  sinceBoot: () => uptime() * 1000,
};
