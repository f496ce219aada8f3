/**
 * The port through which a ringing alarm sounds without Spotify: the machine's own audio output
 * (and, through the alarm's view, every open page). Implemented in `fallback-sound.ts`.
 */
export interface FallbackSound {
  /** Starts ringing for `alarmId` (idempotent while it rings); `reason` says why Spotify failed. */
  start(alarmId: string, reason: string): void;
  /** Stops ringing for `alarmId` (music started, stop, snooze, delete); no-op when silent. */
  stop(alarmId: string): void;
}
