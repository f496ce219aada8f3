/**
 * How many expired tokens a real-clock test may see reach the (emulated) Web API. With tokens of a
 * few seconds the safety margin is a fraction of a second, so an event-loop stall on a busy CI
 * machine can let a token age past expiry on its way (the 401 path then recovers; no request
 * fails). Zero on a quiet machine; allow one per ten token windows (at least one), never a
 * systematic one per window — the soak test's rule.
 */
export function expiredTokenTolerance(elapsedMs: number, windowMs: number): number {
  return Math.max(1, Math.ceil(elapsedMs / windowMs / 10));
}
