import type { Ring, StoredAlarm } from './alarm-record.js';
import type { RingHost } from './ring-host.js';
import type { RingTasks } from './ring-tasks.js';

/**
 * The fallback sound of a ring: started when the music has not begun `fallbackAfterMs` after the
 * alarm was due, or at once when Spotify gives up; the ring then counts as ringing.
 */
export class FallbackRing {
  constructor(
    private readonly h: RingHost,
    private readonly tasks: RingTasks,
  ) {}

  /** Starts the sound once a starting ring is `fallbackAfterMs` late; else when to look again. */
  check(stored: StoredAlarm, ring: Ring, now: number): number | undefined {
    if (!this.h.fallback || ring.fallback || ring.state !== 'starting') return undefined;
    const at = (ring.due ?? ring.occurrence) + this.h.o.fallbackAfterMs;
    if (now < at) return at;
    const lastError = this.tasks.get(stored.spec.id)?.lastError;
    const reason = `Spotify had not started playing ${Math.round(this.h.o.fallbackAfterMs / 1000)} s after the alarm time${lastError ? `: ${lastError}` : ''}`;
    this.start(stored, ring, reason);
    return undefined;
  }

  /** Spotify gave up: rings the sound instead (or notes why it still rings); false without one. */
  instead(stored: StoredAlarm, ring: Ring, reason: string): boolean {
    if (!this.h.fallback) return false;
    const why = `Spotify could not play: ${reason}`;
    if (!ring.fallback) this.start(stored, ring, why);
    else this.h.record(stored, ring, { status: 'fallback_sound', reason: why });
    this.h.save();
    return true;
  }

  /** Stops the sound of `id` if `ring` had it. */
  stopFor(id: string, ring: Pick<Ring, 'fallback'> | undefined): void {
    if (ring?.fallback) this.h.fallback?.stop(id);
  }

  private start(stored: StoredAlarm, ring: Ring, reason: string): void {
    const id = stored.spec.id;
    this.h.log.warn({ alarm: id, reason }, 'ringing the fallback sound');
    this.h.fallback?.start(id, reason);
    if (ring.state === 'starting') {
      this.h.setRing(
        stored,
        'fallback',
        { ...ring, state: 'ringing', since: this.h.clock.now(), fallback: true },
        reason,
      );
    }
    this.h.record(stored, ring, { status: 'fallback_sound', reason });
    this.h.save();
  }
}
