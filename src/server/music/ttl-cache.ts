import type { Clock } from '../../token/types.js';

/**
 * A small cache for Spotify reads: each key is loaded once per `ttlMs` (concurrent callers share
 * one load), failures are not kept, and the oldest entries go beyond `maxEntries`.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private readonly inFlight = new Map<string, Promise<V>>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    /** How long a loaded value is served, in ms (read on every call, so settings may change it). */
    private readonly ttlMs: () => number,
    private readonly maxEntries = 100,
  ) {}

  /** The cached value (`cached: true`) or a fresh load; `bypass` forces a load. */
  async get(key: string, load: () => Promise<V>, bypass = false): Promise<{ value: V; cached: boolean }> {
    const hit = this.entries.get(key);
    if (hit && !bypass && this.clock.monotonic() - hit.at < this.ttlMs())
      return { value: hit.value, cached: true };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = load().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
      pending.then(
        (value) => this.remember(key, value),
        () => {},
      );
    }
    return { value: await pending, cached: false };
  }

  /** How many entries are held (for tests). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets every entry whose key starts with `prefix` (all with ''). */
  invalidate(prefix = ''): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private remember(key: string, value: V): void {
    const now = this.clock.monotonic();
    this.entries.delete(key);
    // Entries are in insertion order, so the expired ones are at the front: drop them (memory on a Pi).
    for (const [oldKey, entry] of this.entries) {
      if (now - entry.at < this.ttlMs()) break;
      this.entries.delete(oldKey);
    }
    this.entries.set(key, { value, at: now });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
