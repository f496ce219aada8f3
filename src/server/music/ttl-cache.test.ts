import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../token/manual-clock.js';
import { TtlCache } from './ttl-cache.js';

describe('the music routes cache', () => {
  it('loads a key once per lifetime, and again after it (ms boundary)', async () => {
    const clock = new ManualClock();
    const cache = new TtlCache<number>(clock, () => 1_000);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toEqual({ value: 1, cached: false });
    await clock.advance(999);
    expect(await cache.get('a', load)).toEqual({ value: 1, cached: true });
    await clock.advance(1);
    expect(await cache.get('a', load)).toEqual({ value: 2, cached: false });
    expect(await cache.get('a', load, true)).toEqual({ value: 3, cached: false });
  });

  it('shares one load between concurrent callers and keeps no failure', async () => {
    const clock = new ManualClock();
    const cache = new TtlCache<string>(clock, () => 1_000);
    let loads = 0;
    let fail = true;
    const load = async () => {
      loads++;
      await Promise.resolve();
      if (fail) throw new Error('Spotify down');
      return 'ok';
    };
    const both = await Promise.allSettled([cache.get('k', load), cache.get('k', load)]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(loads).toBe(1);
    fail = false;
    expect((await cache.get('k', load)).value).toBe('ok');
    expect(loads).toBe(2);
  });

  it('drops expired entries and the oldest beyond its size', async () => {
    const clock = new ManualClock();
    const cache = new TtlCache<number>(clock, () => 1_000, 3);
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, async () => 1);
    expect(cache.size).toBe(3);
    await clock.advance(1_000);
    await cache.get('e', async () => 1);
    expect(cache.size).toBe(1);
    cache.invalidate();
    expect(cache.size).toBe(0);
  });
});
