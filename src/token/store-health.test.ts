import { describe, expect, it } from 'vitest';
import { StoreHealthTracker } from './store-health.js';
import { RecordingLogger } from './test-helpers/recording-logger.js';
import type { StoreHealth } from './types.js';

/** A store whose own health the test sets; `health: 'throws'` makes its health() throw. */
function setup(initial: StoreHealth | 'throws' | 'none' = { state: 'ok' }) {
  const logger = new RecordingLogger();
  const store: { kind: string; own: StoreHealth | 'throws' | 'none'; health?: () => StoreHealth } = {
    kind: 'redis',
    own: initial,
  };
  if (initial !== 'none') {
    store.health = () => {
      if (store.own === 'throws') throw new Error('health exploded');
      return store.own as StoreHealth;
    };
  }
  const tracker = new StoreHealthTracker(store, logger, 'spotify');
  return { store, logger, tracker };
}

describe('StoreHealthTracker', () => {
  it("reports the store's own health while no call has failed", () => {
    expect(setup().tracker.health()).toEqual({ state: 'ok' });
    expect(setup('none').tracker.health()).toEqual({ state: 'ok' });
    const degraded: StoreHealth = { state: 'degraded', reason: 'reconnecting' };
    expect(setup(degraded).tracker.health()).toEqual(degraded);
    expect(setup('throws').tracker.health()).toEqual({ state: 'degraded', reason: 'health check failed' });
  });

  it('reports degraded with the latest failure and warns once per stretch of trouble', () => {
    const { tracker, logger } = setup();
    tracker.failed('load', 'load failed: ECONNREFUSED');
    tracker.failed('save', 'save failed: ECONNREFUSED');
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'save failed: ECONNREFUSED' });
    const warnings = logger.find('warn', 'token store unavailable');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toEqual({
      cache: 'spotify',
      store: 'redis',
      op: 'load',
      err: 'load failed: ECONNREFUSED',
    });
  });

  it('ends the trouble on the next successful call, logging the recovery once', () => {
    const { tracker, logger } = setup();
    tracker.ok();
    expect(logger.lines).toHaveLength(0);
    tracker.failed('save', 'save failed: EACCES');
    tracker.ok();
    tracker.ok();
    expect(tracker.health()).toEqual({ state: 'ok' });
    expect(logger.find('info', 'token store recovered')).toHaveLength(1);
    tracker.failed('save', 'save failed: EACCES');
    expect(logger.find('warn', 'token store unavailable')).toHaveLength(2);
  });

  it('stays degraded while a store that never reported trouble itself still says ok', () => {
    const { tracker, logger } = setup({ state: 'ok' });
    tracker.failed('save', 'save failed: disk full');
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'save failed: disk full' });
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'save failed: disk full' });
    expect(logger.find('info', 'recovered')).toHaveLength(0);
  });

  it('follows a self-healing store back to ok once it reported degraded during the trouble', () => {
    const { tracker, store, logger } = setup({ state: 'degraded', reason: 'connection lost' });
    tracker.failed('wait', 'wait failed: connection lost');
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'connection lost' });
    store.own = { state: 'ok' };
    expect(tracker.health()).toEqual({ state: 'ok' });
    expect(logger.find('info', 'token store recovered')).toHaveLength(1);
  });

  it("forgets the store's degraded report once the trouble has ended", () => {
    const { tracker, store } = setup({ state: 'degraded', reason: 'connection lost' });
    tracker.failed('save', 'save failed: connection lost');
    tracker.ok();
    store.own = { state: 'ok' };
    tracker.failed('save', 'save failed: disk full');
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'save failed: disk full' });
  });

  it('also counts degraded seen in a health read after the failure', () => {
    const { tracker, store } = setup({ state: 'ok' });
    tracker.failed('lock', 'lock failed: timeout');
    store.own = { state: 'degraded', reason: 'reconnecting' };
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'reconnecting' });
    store.own = { state: 'ok' };
    expect(tracker.health()).toEqual({ state: 'ok' });
  });

  it("records the trouble even when the store's health check throws while it fails", () => {
    const { tracker, store, logger } = setup('throws');
    tracker.failed('load', 'load failed: boom');
    expect(logger.find('warn', 'token store unavailable')).toHaveLength(1);
    store.own = { state: 'ok' };
    expect(tracker.health()).toEqual({ state: 'degraded', reason: 'load failed: boom' });
  });
});
