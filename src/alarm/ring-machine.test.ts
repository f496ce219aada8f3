import { describe, expect, it } from 'vitest';
import { RING_EVENTS, RING_PHASES, type RingEvent, type RingPhase, transition } from './ring-machine.js';

/** The whole table, written out: every (phase, event) and the phase it leads to, or null (refused). */
const EXPECTED: Record<RingPhase, Record<RingEvent, RingPhase | null>> = {
  idle: {
    due: 'starting',
    played: null,
    fallback: null,
    gave_up: null,
    snooze: null,
    stop: null,
    ring_timeout: null,
    superseded: null,
    disable: null,
    resumed: null,
    expired: null,
  },
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
    played: 'ringing',
    fallback: null,
    gave_up: null,
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
    played: null,
    fallback: null,
    gave_up: null,
    snooze: 'snoozed',
    stop: 'idle',
    ring_timeout: null,
    superseded: null,
    disable: 'idle',
    resumed: 'snoozed',
    expired: 'idle',
  },
};

describe('ring transition table', () => {
  for (const phase of RING_PHASES) {
    for (const event of RING_EVENTS) {
      it(`${phase} + ${event} -> ${EXPECTED[phase][event] ?? 'refused'}`, () => {
        expect(transition(phase, event)).toBe(EXPECTED[phase][event]);
      });
    }
  }

  it('never lets music start from idle or snoozed without the ring becoming due first', () => {
    expect(transition('idle', 'played')).toBeNull();
    expect(transition('snoozed', 'played')).toBeNull();
  });
});
