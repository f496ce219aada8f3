import type { Clock, Logger } from '../token/types.js';
import type { AlarmBook } from './alarm-book.js';
import type { Ring, StoredAlarm } from './alarm-record.js';
import { afterRestart, nextFire, ringDue, scheduleDue } from './due-check.js';
import type { RingEvent } from './ring-machine.js';
import type { Ringer } from './ringer.js';
import { formatInZone } from './schedule.js';
import type { ResolvedTimings } from './scheduler-options.js';
import type { TokenWarmer } from './token-warmer.js';

/** What the loop needs from the scheduler that owns it. */
export interface DueLoopHost {
  clock: Clock;
  log: Logger;
  /** The scheduler's timings (changed in place by the settings page). */
  o: ResolvedTimings;
  book: AlarmBook;
  ringer: Ringer;
  warmer: TokenWarmer;
  /** The one place a ring changes (checked against the transition table). */
  setRing(stored: StoredAlarm, event: RingEvent, next: Ring | undefined, why: string): boolean;
  emit(event: string, payload: unknown): void;
}

/**
 * The scheduling loop: sleeps until the next due moment (in chunks of at most `maxSleepMs`, so a
 * wall-clock jump is seen within that), then acts on what due-check.ts decides: fires, records
 * misses, rings snoozes again and warms the token. Also settles rings a restart cut short.
 */
export class DueLoop {
  private wake = new AbortController();
  private closed = false;
  private done: Promise<void> | undefined;

  constructor(private readonly h: DueLoopHost) {}

  /** Resumes or records rings cut short by a restart, then starts looping. */
  start(): void {
    const now = this.h.clock.now();
    for (const stored of this.h.book.all()) this.recover(stored, now);
    this.tick();
    this.done = this.run();
  }

  /** Wakes the loop so it recomputes its next wake-up. */
  kick(): void {
    this.wake.abort();
  }

  /** Ends the loop; `finished()` resolves when its last turn is over. */
  stop(): void {
    this.closed = true;
    this.wake.abort();
  }

  /** Resolves when the loop has ended (at once if it never started). */
  async finished(): Promise<void> {
    await this.done;
  }

  /** Acts on what `afterRestart` decides for one alarm's ring. */
  private recover(stored: StoredAlarm, now: number): void {
    const ring = stored.runtime.ring;
    const what = afterRestart(ring, now, this.h.o);
    if (!ring || what.kind === 'none') return;
    if (what.kind === 'end_test') {
      this.h.setRing(stored, 'stop', undefined, 'test ring cut short by a restart');
    } else if (what.kind === 'refire') {
      this.h.log.warn({ alarm: stored.spec.id }, 'alarm was starting when the server stopped; firing again');
      this.h.ringer.fire(stored, { ...ring, due: what.due, event: what.event });
    } else if (what.kind === 'expire') {
      this.h.setRing(stored, 'expired', undefined, 'restart after the grace window');
      if (what.missed) {
        this.recordMissed(
          stored,
          ring.occurrence,
          now,
          `the server stopped while the alarm was starting and came back more than ${this.graceMinutes()} min after it was due`,
        );
      }
    } else {
      this.h.ringer.resumeFade(stored, ring, what.plan);
    }
  }

  /** Ticks, then sleeps until the next due moment, a change (`kick`) or `maxSleepMs`. */
  private async run(): Promise<void> {
    let lastZeroAt: number | undefined;
    while (!this.closed) {
      this.wake = new AbortController();
      const now = this.h.clock.now();
      const wakeAt = this.tick();
      let delay = Math.min(this.h.o.maxSleepMs, Math.max(0, (wakeAt ?? Number.POSITIVE_INFINITY) - now));
      // Safety net: never spin if something stays "due" without being handled.
      if (delay === 0 && lastZeroAt === now) delay = 250;
      lastZeroAt = delay === 0 ? now : undefined;
      try {
        await this.h.clock.sleep(delay, this.wake.signal);
      } catch {
        // Woken early by a change; loop around.
      }
    }
  }

  /** Acts on everything due now; returns the wall ms of the next thing to do. */
  private tick(): number | undefined {
    if (this.closed) return undefined;
    const now = this.h.clock.now();
    let wakeAt: number | undefined;
    const soonest = (t: number | undefined) => {
      if (t !== undefined && (wakeAt === undefined || t < wakeAt)) wakeAt = t;
    };
    let dirty = false;
    for (const stored of this.h.book.all()) {
      const id = stored.spec.id;
      const ring = stored.runtime.ring;
      const ringNeeds = ringDue(ring, now, this.h.o.graceMs);
      if (ring && ringNeeds.kind === 'snoozing') {
        soonest(ringNeeds.until);
        this.h.warmer.before(`${id}:snooze`, ringNeeds.until, now, soonest);
      } else if (ring && ringNeeds.kind === 'live') {
        soonest(this.h.ringer.checkRing(stored, ring, now));
      } else if (ring && ringNeeds.kind !== 'none') {
        this.snoozeOver(stored, ring, ringNeeds.kind === 'snooze_over' ? ringNeeds.due : undefined, now);
        dirty = true;
      }

      const due = scheduleDue(stored, now, this.h.o.graceMs);
      if (due.kind === 'none') continue;
      if (due.kind === 'upcoming') {
        soonest(due.at);
        this.h.warmer.before(id, due.at, now, soonest);
        continue;
      }
      stored.runtime.anchorAt = due.occurrence;
      if (due.kind === 'fire') {
        this.h.ringer.fire(stored, {
          occurrence: due.occurrence,
          due: due.occurrence,
          snoozeCount: 0,
          event: 'due',
        });
      } else {
        this.recordMissed(
          stored,
          due.occurrence,
          now,
          `server was not running (or the clock jumped) at the alarm time; more than ${this.graceMinutes()} min late`,
        );
      }
      if (due.oneOff) {
        stored.spec.enabled = false;
        this.h.log.info({ alarm: id }, 'one-off alarm disabled after its occurrence');
      }
      dirty = true;
      soonest(nextFire(stored));
    }
    if (dirty) {
      this.h.book.persistInBackground();
      this.h.emit('changed', {});
    }
    return wakeAt;
  }

  /** A snooze came to its end: ring again when `due` is given (within grace), else record it missed. */
  private snoozeOver(stored: StoredAlarm, ring: Ring, due: number | undefined, now: number): void {
    const id = stored.spec.id;
    if (due !== undefined) {
      this.h.log.info({ alarm: id, snoozeCount: ring.snoozeCount }, 'snooze over; ringing again');
      this.h.ringer.fire(stored, { ...ring, due, event: 'due' });
      return;
    }
    this.h.log.warn({ alarm: id }, 'snooze ended while the server was down; not ringing again');
    this.h.setRing(stored, 'expired', undefined, 'snooze ended while down');
    this.recordMissed(
      stored,
      ring.occurrence,
      now,
      `the snooze ended while the server was not running; back more than ${this.graceMinutes()} min later`,
    );
  }

  /** Records a missed occurrence in `last_result` (through the book), logs it and tells listeners. */
  private recordMissed(stored: StoredAlarm, occurrence: number, now: number, reason: string): void {
    this.h.book.record(stored, { occurrence }, { status: 'missed', reason }, now);
    this.h.log.warn(
      { alarm: stored.spec.id, scheduledFor: formatInZone(occurrence, stored.spec.timezone), reason },
      'alarm missed',
    );
    this.h.book.persistInBackground();
    this.h.emit('missed', this.h.book.view(stored));
  }

  private graceMinutes(): number {
    return Math.round(this.h.o.graceMs / 60_000);
  }
}
