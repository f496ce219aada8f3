import type { Logger } from '../token/types.js';
import { describeError } from './errors.js';

/** What is held for an alarm with a firing, fade or watch in progress. */
export interface Live {
  ctl: AbortController;
  task: Promise<void>;
  /** The device the ring started playback on (also when aborted right after). */
  startedOn?: string;
  /** The latest failed attempt's reason (quoted by the fallback sound). */
  lastError?: string;
}

/**
 * The background work of each alarm (its firing, fade or pause watch): one record per alarm, so
 * a new ring, a stop or shutdown can abort it and wait for it.
 */
export class RingTasks {
  private readonly live = new Map<string, Live>();
  private readonly tasks = new Set<Promise<void>>();
  /** Pause watches: long, quiet polls that `idle()` does not wait for (`close()` does). */
  private readonly watches = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** The alarm's work in progress, if any. */
  get(id: string): Live | undefined {
    return this.live.get(id);
  }

  /** True while an alarm has a firing, fade or watch in progress. */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /** Aborts whatever the alarm has in progress (without pausing anything). */
  abort(id: string, reason?: string): void {
    this.live.get(id)?.ctl.abort(reason);
  }

  /** Aborts every other alarm's work with `reason`. */
  abortOthers(id: string, reason: string): void {
    for (const [otherId, live] of this.live) {
      if (otherId !== id) live.ctl.abort(reason);
    }
  }

  /** Runs and registers an alarm's task (a pause watch with `watch`), replacing its record. */
  track(id: string, ctl: AbortController, run: (live: Live) => Promise<void>, watch = false): Live {
    const set = watch ? this.watches : this.tasks;
    const live: Live = { ctl, task: Promise.resolve() };
    this.live.set(id, live);
    const task = run(live)
      .catch((err) => this.log.error({ alarm: id, err: describeError(err) }, 'alarm task failed'))
      .finally(() => {
        if (this.live.get(id) === live) this.live.delete(id);
        set.delete(task);
      });
    live.task = task;
    set.add(task);
    return live;
  }

  /** Resolves when firings and fades (not pause watches) have finished. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Aborts everything and waits for it. */
  async close(): Promise<void> {
    for (const live of this.live.values()) live.ctl.abort();
    await Promise.allSettled([...this.tasks, ...this.watches]);
  }
}
