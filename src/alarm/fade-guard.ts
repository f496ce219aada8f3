/**
 * Tells a person's volume change from Spotify's reporting quirks during a fade-in. Spotify's
 * `GET /v1/me/player` shows the previous volume for a few seconds after a change, and some
 * speakers round to 10 % steps; taking either for the person stopped the fade at 0 %. A report
 * counts as ours when it matches a value we set (or the device's volume before the alarm)
 * within the last `lagMs`, allowing for 10 % rounding until the device shows it does not round.
 * Anything else must persist for `confirmMs` before it counts as the person.
 */

/** The guard's verdict on one report. */
export type Verdict = 'ours' | 'suspect' | 'person';

/** Tuning of the guard. */
export interface FadeGuardOptions {
  /** How long a value we set may still be reported back; default 10 s. */
  lagMs?: number;
  /** How long a foreign value must persist to count as the person; default 5 s. */
  confirmMs?: number;
}

/** Tolerance for devices that report exactly (Spotify itself rounds by a point at times). */
const EXACT = 2;

/** Pure bookkeeping of what we set and what we saw; no I/O. */
export class FadeGuard {
  private readonly lagMs: number;
  private readonly confirmMs: number;
  private readonly set: { volume: number; at: number }[] = [];
  /** Until a report that is not a multiple of 10 shows up, assume the device may round. */
  private mayRound = true;
  private suspect: { volume: number; since: number } | undefined;

  constructor(options: FadeGuardOptions = {}) {
    this.lagMs = options.lagMs ?? 10_000;
    this.confirmMs = options.confirmMs ?? 5_000;
  }

  /** Records a volume we set (or the device had before we started) at wall ms `at`. */
  recordSet(volume: number, at: number): void {
    this.set.push({ volume, at });
    if (this.set.length > 64) this.set.shift();
  }

  /** Judges a reported volume at wall ms `at`. */
  judge(reported: number, at: number): Verdict {
    if (reported % 10 !== 0) this.mayRound = false;
    if (this.explains(reported, at)) {
      this.suspect = undefined;
      return 'ours';
    }
    if (!this.suspect || Math.abs(this.suspect.volume - reported) > EXACT) {
      this.suspect = { volume: reported, since: at };
      return 'suspect';
    }
    return at - this.suspect.since >= this.confirmMs ? 'person' : 'suspect';
  }

  private explains(reported: number, at: number): boolean {
    const last = this.set[this.set.length - 1];
    return this.set.some((s) => (s === last || at - s.at <= this.lagMs) && this.matches(s.volume, reported));
  }

  private matches(ours: number, reported: number): boolean {
    if (Math.abs(ours - reported) <= EXACT) return true;
    // A device rounding to 10 % steps reports 20 for 24 (or 30, rounding up).
    return this.mayRound && reported % 10 === 0 && Math.abs(ours - reported) < 10;
  }
}
