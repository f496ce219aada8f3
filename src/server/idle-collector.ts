import type { Clock } from '../token/types.js';

/** Options of `IdleCollector`. */
export interface IdleCollectorOptions {
  /** A full garbage collection (`globalThis.gc` under `node --expose-gc`). */
  collect: () => void;
  /** Quiet time after the last request before collecting, in ms. */
  quietMs: number;
  clock: Pick<Clock, 'monotonic' | 'sleep'>;
}

/**
 * One full garbage collection once requests stop. V8 shrinks its heap on its own only some
 * seconds after activity ends, and not always (measured: an idle server held 19–25 MB private
 * memory 10 s after start, depending on whether that had happened; after one collection ~18 MB).
 * A page that stays open keeps polling more often than `quietMs`, so no collection runs while
 * someone uses SpotiPi; each quiet period costs a wake-up or two and a collection.
 */
export class IdleCollector {
  private last = 0;
  private quietMs = 0;
  private waiting = false;
  private readonly stop = new AbortController();

  constructor(private readonly o: IdleCollectorOptions) {}

  /**
   * Something happened (a request, the start): collect once `quietMs` (default the option's) pass
   * without more. While a collection is pending, the shorter quiet time stays: a request just
   * after the start does not put the start's collection off to the full quiet time.
   */
  activity(quietMs = this.o.quietMs): void {
    this.last = this.o.clock.monotonic();
    this.quietMs = this.waiting ? Math.min(this.quietMs, quietMs) : quietMs;
    if (!this.waiting && !this.stop.signal.aborted) this.wait(quietMs);
  }

  /** No more collections. */
  close(): void {
    this.stop.abort();
  }

  private wait(ms: number): void {
    this.waiting = true;
    this.o.clock.sleep(ms, this.stop.signal).then(
      () => {
        const quiet = this.o.clock.monotonic() - this.last;
        if (quiet < this.quietMs) return this.wait(this.quietMs - quiet);
        this.waiting = false;
        this.o.collect();
      },
      () => {
        this.waiting = false;
      },
    );
  }
}

/** Between the two collections: the first one's concurrent sweeping has finished by then. */
const SECOND_COLLECTION_MS = 1_000;

/**
 * A collection that gives memory back, when Node runs with `--expose-gc` (the server's flags),
 * else undefined: two full collections a second apart. One alone frees the objects but keeps the
 * heap's pages (measured: 32 MB of heap for 4 MB in use); the next releases the pages the first
 * emptied (7 MB of heap, 25 MB less private memory).
 */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return undefined;
  return () => {
    gc();
    setTimeout(() => gc(), SECOND_COLLECTION_MS).unref();
  };
}
