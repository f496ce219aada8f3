import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Per-process key: the digests compared below mean nothing outside this process. */
const KEY = randomBytes(32);

/**
 * Constant-time string comparison that leaks neither content nor length: both sides are reduced
 * to fixed-size HMACs first, so there is no early return on a length mismatch.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHmac('sha256', KEY).update(presented).digest();
  const b = createHmac('sha256', KEY).update(expected).digest();
  return timingSafeEqual(a, b);
}
