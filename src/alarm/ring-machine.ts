/**
 * The life of one alarm's ring as a closed set of states and one pure transition table. The
 * scheduler changes a ring only through `transition`, so an illegal change (snoozing an idle
 * alarm, a late "played" after a stop) is refused in one place.
 */

/** Where an alarm is: idle, starting the music, ringing (music or fallback sound), snoozed. */
export type RingPhase = 'idle' | 'starting' | 'ringing' | 'snoozed';

/** What can happen to a ring. */
export type RingEvent =
  /** The alarm time (or the end of a snooze) came, or a test ring was asked for. */
  | 'due'
  /** Spotify started playing. */
  | 'played'
  /** Spotify could not be made to play; a fallback sound rings instead. */
  | 'fallback'
  /** Spotify could not be made to play and nothing else can ring. */
  | 'gave_up'
  /** Snoozed from the API or by pausing on the speaker. */
  | 'snooze'
  /** Stopped for the day (API, a second pause on the speaker, the end of a test ring). */
  | 'stop'
  /** Rang for the whole ring timeout without anyone answering. */
  | 'ring_timeout'
  /** Another alarm took over the speaker. */
  | 'superseded'
  /** The alarm was disabled or deleted. */
  | 'disable'
  /** After a restart: the ring is still within its grace window and resumes. */
  | 'resumed'
  /** After a restart: the ring's grace window has passed; it is dropped and recorded as missed. */
  | 'expired';

/** Next phase for each legal (phase, event); a missing entry is an illegal change. */
export const TRANSITIONS: Readonly<Record<RingPhase, Partial<Record<RingEvent, RingPhase>>>> = {
  idle: { due: 'starting' },
  starting: {
    due: 'starting',
    played: 'ringing',
    fallback: 'ringing',
    gave_up: 'idle',
    snooze: 'snoozed',
    stop: 'idle',
    ring_timeout: 'idle',
    superseded: 'idle',
    disable: 'idle',
    resumed: 'starting',
    expired: 'idle',
  },
  ringing: {
    due: 'starting',
    // Spotify starting after the fallback sound began: still ringing, now with music.
    played: 'ringing',
    snooze: 'snoozed',
    stop: 'idle',
    ring_timeout: 'idle',
    superseded: 'idle',
    disable: 'idle',
    resumed: 'ringing',
    expired: 'idle',
  },
  snoozed: {
    due: 'starting',
    snooze: 'snoozed',
    stop: 'idle',
    disable: 'idle',
    resumed: 'snoozed',
    expired: 'idle',
  },
};

/** Every phase and event, for exhaustive tests and validation. */
export const RING_PHASES: readonly RingPhase[] = ['idle', 'starting', 'ringing', 'snoozed'];
export const RING_EVENTS: readonly RingEvent[] = [
  'due',
  'played',
  'fallback',
  'gave_up',
  'snooze',
  'stop',
  'ring_timeout',
  'superseded',
  'disable',
  'resumed',
  'expired',
];

/** The phase after `event`, or null when the change is not allowed. */
export function transition(phase: RingPhase, event: RingEvent): RingPhase | null {
  return TRANSITIONS[phase][event] ?? null;
}
