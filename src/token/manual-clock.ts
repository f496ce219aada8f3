import type { Clock } from './types.js';

interface Timer {
  due: number;
  seq: number;
  resolve: () => void;
}

/** Lets pending promise chains run (several macrotask turns) before the next timer fires. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A virtual clock for tests and simulations: time moves only when `advance()` is called,
 * so hours of timers run in milliseconds. Wall and monotonic time move together unless
 * `jumpWall()` shifts the wall clock alone (an NTP correction) or `suspend()` moves wall time and
 * `sinceBoot()` while monotonic time stands still (a suspend).
 */
export class ManualClock implements Clock {
  private wall: number;
  private mono: number;
  private seq = 0;
  private timers: Timer[] = [];
  private suspended = 0;

  constructor(startWallMs: number = Date.UTC(2026, 0, 5, 6, 0, 0), startMonotonicMs = 1_000) {
    this.wall = startWallMs;
    this.mono = startMonotonicMs;
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  /** Monotonic time plus every `suspend()`: the time that really passed. */
  sinceBoot(): number {
    return this.mono + this.suspended;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { due: this.mono + Math.max(0, ms), seq: this.seq++, resolve: () => {} };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Number of sleeps not yet due. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every due sleep in order and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    await settle();
    for (;;) {
      const next = this.timers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next) break;
      this.wall += next.due - this.mono;
      this.mono = next.due;
      this.timers = this.timers.filter((t) => t !== next);
      next.resolve();
      await settle();
    }
    this.wall += target - this.mono;
    this.mono = target;
    await settle();
  }

  /** Sets the wall clock to an absolute time, advancing virtual time up to it (must be ahead). */
  async advanceTo(wallMs: number): Promise<void> {
    await this.advance(Math.max(0, wallMs - this.wall));
  }

  /** Shifts only the wall clock (monotonic time and timers are unaffected): an NTP step. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }

  /**
   * The system sleeps for `ms`: wall time and `sinceBoot()` move on, monotonic time does not (as
   * CLOCK_MONOTONIC on Linux), and no timer fires.
   */
  suspend(ms: number): void {
    this.wall += ms;
    this.suspended += ms;
  }
}
