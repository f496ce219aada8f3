import { describe, expect, it } from 'vitest';
import { volumeAt } from './fade.js';
import { FadeGuard } from './fade-guard.js';

describe('FadeGuard', () => {
  it('takes a report of a value set within the lag window (or the value before the alarm) for ours', () => {
    const g = new FadeGuard({ lagMs: 10_000 });
    g.recordSet(55, 0); // the speaker's volume before the alarm
    g.recordSet(0, 0);
    g.recordSet(6, 3_000);
    expect(g.judge(55, 3_000)).toBe('ours'); // still the old volume: the report lags
    expect(g.judge(0, 6_000)).toBe('ours');
    expect(g.judge(6, 9_000)).toBe('ours');
  });

  it('allows for 10 % rounding until the device reports a value that is not a multiple of 10', () => {
    const g = new FadeGuard();
    g.recordSet(24, 0);
    expect(g.judge(20, 1_000)).toBe('ours');
    expect(g.judge(30, 2_000)).toBe('ours');
    const exact = new FadeGuard();
    exact.recordSet(24, 0);
    expect(exact.judge(23, 500)).toBe('ours'); // exact device (±2)
    expect(exact.judge(30, 1_000)).toBe('suspect'); // it does not round, so 30 is not ours
  });

  it('counts a foreign value as the person only once it persisted for confirmMs', () => {
    const g = new FadeGuard({ confirmMs: 5_000 });
    g.recordSet(10, 0);
    expect(g.judge(70, 1_000)).toBe('suspect');
    expect(g.judge(71, 5_999)).toBe('suspect');
    expect(g.judge(70, 6_000)).toBe('person');
  });

  it('drops a suspicion when the report comes back to ours, and restarts it for a new value', () => {
    const g = new FadeGuard({ confirmMs: 5_000 });
    g.recordSet(10, 0);
    expect(g.judge(70, 1_000)).toBe('suspect');
    expect(g.judge(10, 2_000)).toBe('ours');
    expect(g.judge(70, 4_000)).toBe('suspect');
    expect(g.judge(45, 8_000)).toBe('suspect');
    expect(g.judge(45, 13_000)).toBe('person');
  });

  it('forgets values set longer ago than the lag window, except the latest', () => {
    const g = new FadeGuard({ lagMs: 10_000 });
    g.recordSet(5, 0);
    g.recordSet(15, 12_000);
    expect(g.judge(5, 12_500)).toBe('suspect');
    expect(g.judge(15, 30_000)).toBe('ours');
  });
});

describe('volumeAt', () => {
  const plan = { from: 0, to: 60, startedAt: 1_000, durationMs: 60_000 };
  it('is the start before, the target after, and linear in between', () => {
    expect(volumeAt(plan, 0)).toBe(0);
    expect(volumeAt(plan, 31_000)).toBe(30);
    expect(volumeAt(plan, 46_000)).toBe(45);
    expect(volumeAt(plan, 1_000_000)).toBe(60);
  });
});
