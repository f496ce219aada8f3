/**
 * Counters of one token cache. Every update goes through a method of this class, each of which
 * changes all related counters synchronously, so a snapshot (also synchronous) never sees a
 * half-applied update: JavaScript runs one callback at a time.
 *
 * Definitions:
 * - hit: a `getAccessToken()` call served from a usable cached token without waiting.
 * - miss: a call that had to wait for a refresh (or failed because none could be made).
 * - coalesced: a caller that joined a refresh already in flight instead of starting one.
 * - refresh attempt: one call of the refresh function (one upstream token request).
 */
export class CacheMetrics {
  cacheHits = 0;
  cacheMisses = 0;
  totalRequests = 0;
  refreshAttempts = 0;
  refreshSuccesses = 0;
  refreshFailures = 0;
  refreshesInFlight = 0;
  coalescedCallers = 0;
  refreshAheadCount = 0;
  lastRefreshDurationMs: number | null = null;
  lastError: string | null = null;
  /** Wall-clock epoch ms of the last error. */
  lastErrorAt: number | null = null;

  /** A call served from the cache. */
  hit(): void {
    this.totalRequests++;
    this.cacheHits++;
  }

  /** A call that waited for (or failed to get) a refresh; `coalesced` when it joined one in flight. */
  miss(coalesced: boolean): void {
    this.totalRequests++;
    this.cacheMisses++;
    if (coalesced) this.coalescedCallers++;
  }

  /** A non-`getAccessToken` caller (forceRefresh) that joined a refresh in flight. */
  coalesced(): void {
    this.coalescedCallers++;
  }

  /** A refresh (with its retries) starts; `ahead` when it runs in the background. */
  refreshStarted(ahead: boolean): void {
    this.refreshesInFlight++;
    if (ahead) this.refreshAheadCount++;
  }

  /** A refresh (with its retries) has finished, either way. */
  refreshFinished(durationMs: number): void {
    this.refreshesInFlight = Math.max(0, this.refreshesInFlight - 1);
    this.lastRefreshDurationMs = Math.round(durationMs);
  }

  /** One upstream request is about to be made. */
  attempt(): void {
    this.refreshAttempts++;
  }

  /** The upstream request succeeded. */
  success(): void {
    this.refreshSuccesses++;
  }

  /** The upstream request failed; `message` must not contain secrets. */
  failure(message: string, atWallMs: number): void {
    this.refreshFailures++;
    this.error(message, atWallMs);
  }

  /** Records an error that was not an upstream failure (store trouble, reauthorization). */
  error(message: string, atWallMs: number): void {
    this.lastError = message;
    this.lastErrorAt = atWallMs;
  }

  /** Hit rate in percent, one decimal, 0 with no requests. */
  hitRatePercent(): number {
    return percent(this.cacheHits, this.totalRequests);
  }

  /** Successful share of finished upstream attempts, one decimal, 0 with none. */
  refreshSuccessRatePercent(): number {
    return percent(this.refreshSuccesses, this.refreshSuccesses + this.refreshFailures);
  }
}

function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.round((part / whole) * 1000) / 10;
}
