import { describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { IdleCollector } from './idle-collector.js';

function collector(quietMs = 20_000) {
  const clock = new ManualClock();
  const start = clock.monotonic();
  const runs: number[] = [];
  // Each collection, in ms since the test began.
  const c = new IdleCollector({ clock, quietMs, collect: () => runs.push(clock.monotonic() - start) });
  return { clock, runs, c };
}

describe('IdleCollector', () => {
  it('collects once, quietMs after the last activity and not a millisecond before', async () => {
    const { clock, runs, c } = collector();
    c.activity();
    await clock.advance(19_999);
    expect(runs).toEqual([]);
    await clock.advance(1);
    expect(runs).toEqual([20_000]);
    await clock.advance(120_000);
    expect(runs).toHaveLength(1);
  });

  it('waits while requests keep coming more often than quietMs (an open page polling)', async () => {
    const { clock, runs, c } = collector();
    for (let i = 0; i < 10; i++) {
      c.activity();
      await clock.advance(8_000);
    }
    expect(runs).toEqual([]);
    // One timer at most, whatever the request rate.
    expect(clock.pendingTimers()).toBe(1);
    await clock.advance(12_000);
    expect(runs).toEqual([92_000]);
  });

  it('collects again after the next quiet period, and never after close', async () => {
    const { clock, runs, c } = collector(5_000);
    c.activity();
    await clock.advance(5_000);
    c.activity();
    await clock.advance(5_000);
    expect(runs).toEqual([5_000, 10_000]);
    c.activity();
    c.close();
    await clock.advance(60_000);
    c.activity();
    await clock.advance(60_000);
    expect(runs).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('takes a shorter quiet time for one activity (the start) and the default after it', async () => {
    const { clock, runs, c } = collector(20_000);
    c.activity(2_000);
    await clock.advance(2_000);
    expect(runs).toEqual([2_000]);
    c.activity();
    await clock.advance(19_999);
    expect(runs).toHaveLength(1);
    await clock.advance(1);
    expect(runs).toEqual([2_000, 22_000]);
  });

  it("keeps the start's short quiet time when a request comes just after the start", async () => {
    const { clock, runs, c } = collector(20_000);
    c.activity(2_000);
    await clock.advance(500);
    c.activity(); // the first /healthz
    await clock.advance(2_000);
    expect(runs).toEqual([2_500]);
  });
});
