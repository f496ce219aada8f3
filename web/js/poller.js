/** Multiplies every poller's interval (2 in the server's low-power profile). */
let scale = 1;

/** Sets the interval multiplier for all pollers (from the next scheduled run). */
export function setPollScale(factor) {
  scale = factor > 0 ? factor : 1;
}

/**
 * Periodic refresh that stops while the tab is hidden (no Spotify calls for a phone in a pocket)
 * and runs at once when it becomes visible again. Backs off when the server says to.
 */
export class Poller {
  /**
   * @param {() => Promise<void>} task
   * @param {number} intervalMs
   * @param {Document} [doc]
   */
  constructor(task, intervalMs, doc = document) {
    this.task = task;
    this.intervalMs = intervalMs;
    this.doc = doc;
    this.timer = undefined;
    this.running = false;
    this.inFlight = false;
    this.pauseUntil = 0;
    this.held = false;
    this.onVisibility = () => {
      if (this.doc.hidden) this.clear();
      else if (this.running) this.runNow();
    };
  }

  /** Starts polling (first run immediately when visible). */
  start() {
    if (this.running) return;
    this.running = true;
    this.doc.addEventListener('visibilitychange', this.onVisibility);
    if (!this.doc.hidden) this.runNow();
  }

  /**
   * Holds the polls until `ready` resolves (a card's data, fetched once it comes near the screen);
   * start() meanwhile only records that polling is wanted, and the first poll runs on release.
   * @param {Promise<unknown>} ready
   */
  holdUntil(ready) {
    this.held = true;
    ready.then(() => {
      this.held = false;
      this.runNow();
    });
  }

  /** Stops polling. */
  stop() {
    this.running = false;
    this.clear();
    this.doc.removeEventListener('visibilitychange', this.onVisibility);
  }

  /** Skips polls for `seconds` (e.g. a 503 Retry-After). */
  backOff(seconds) {
    this.pauseUntil = Date.now() + seconds * 1000;
    this.schedule(seconds * 1000);
  }

  /** Runs the task now (after any in-flight run) and reschedules. */
  async runNow() {
    this.clear();
    if (!this.running || this.doc.hidden || this.held) return;
    if (Date.now() < this.pauseUntil) {
      this.schedule(this.pauseUntil - Date.now());
      return;
    }
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      await this.task();
    } catch {
      // The task reports its own errors; polling carries on.
    } finally {
      this.inFlight = false;
    }
    if (this.running && !this.doc.hidden && this.timer === undefined) this.schedule(this.intervalMs * scale);
  }

  schedule(ms) {
    this.clear();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runNow();
    }, ms);
  }

  clear() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
