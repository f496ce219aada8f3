import type { Ring, StoredAlarm } from './alarm-record.js';
import { describeError } from './errors.js';
import type { FallbackRing } from './fallback-ring.js';
import type { RingHost } from './ring-host.js';
import type { RingTasks } from './ring-tasks.js';

/**
 * Test rings (`POST /api/alarms/:id/test`): they ring through the real path but end by
 * themselves after `testRingMs`, and their outcome goes to `last_test`.
 */
export class TestRings {
  /** Test rings being ended (so the loop does not end one twice). */
  private readonly ending = new Set<string>();

  constructor(
    private readonly h: RingHost,
    private readonly tasks: RingTasks,
    private readonly fallback: FallbackRing,
    /** Ends the ring's firing and pauses what it started (the ringer's `silence`). */
    private readonly silence: (id: string, ring: Ring, why: string) => Promise<void>,
  ) {}

  /** While a test ring runs, the fallback check; once its time is up, ends it in the background. */
  check(stored: StoredAlarm, ring: Ring, now: number): number | undefined {
    const id = stored.spec.id;
    const end = (ring.due ?? ring.occurrence) + this.h.o.testRingMs;
    if (now < end) return this.fallback.check(stored, ring, now) ?? end;
    if (!this.ending.has(id)) {
      this.ending.add(id);
      this.end(stored)
        .catch((err) =>
          this.h.log.error({ alarm: id, err: describeError(err) }, 'could not end the test ring'),
        )
        .finally(() => this.ending.delete(id));
    }
    return undefined;
  }

  /** Records a test that ended (or was stopped) before Spotify played as failed in `last_test`. */
  recordEnd(stored: StoredAlarm, how: 'ended' | 'stopped'): void {
    const ring = stored.runtime.ring;
    if (!ring?.test) return;
    if (!ring.deviceId && !ring.fallback) {
      const lastError = this.tasks.get(stored.spec.id)?.lastError;
      this.h.record(stored, ring, {
        status: 'failed',
        reason: `the test ${how} before Spotify played${lastError ? `: ${lastError}` : ''}`,
      });
    }
  }

  /** Ends a test ring after `testRingMs`: pauses what it started and records `last_test`. */
  private async end(stored: StoredAlarm): Promise<void> {
    const ring = stored.runtime.ring;
    if (!ring?.test) return;
    await this.silence(stored.spec.id, ring, 'test over');
    if (stored.runtime.ring !== ring && stored.runtime.ring?.test !== true) return;
    this.recordEnd(stored, 'ended');
    this.h.setRing(stored, 'stop', undefined, 'test ring over');
    this.h.emit('stopped', this.h.view(stored));
  }
}
