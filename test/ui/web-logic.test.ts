import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadWebModule } from './web-module.js';

type Fn = (...args: never[]) => unknown;
interface Format {
  formatTrackTime(ms: number): string;
  formatFireTime(when: string, lang: string, t: (k: string) => string, now: Date, tz?: string): string;
  formatPercent(value: number | null, lang: string): string;
  describeDays(days: string[], lang: string, t: (k: string) => string): string;
  normaliseTimeInput(raw: string): string;
}
interface Sample {
  t: number;
  requests: number;
  refreshes: number;
}
interface TokenModel {
  normaliseTokenStatus(raw: unknown, now: number): Record<string, unknown> & { expiresAt: number | null };
  addSample(history: Sample[], sample: Sample, max?: number): Sample[];
  chartGeometry(
    history: Sample[],
    w: number,
    h: number,
  ): {
    line: string;
    marks: { x: number; count: number }[];
    maxDelta: number;
    totalRequests: number;
    totalRefreshes: number;
  };
}
interface LibraryModel {
  normaliseLibrary(raw: unknown): {
    playlists: { uri: string; name: string; subtitle: string; imageUrl: string; total: number | null }[];
    albums: { uri: string; subtitle: string }[];
    liked: { uri: string; total: number | null } | null;
  };
  filterItems<T>(items: T[], query: string): T[];
}
interface PlaybackModel {
  normalisePlayback(raw: unknown, now: number): Record<string, unknown> | null;
  interpolatedProgress(view: unknown, now: number): number;
  normaliseDevices(raw: unknown): { id: string; name: string; isActive: boolean }[];
}
interface PollerModule {
  Poller: new (
    task: Fn,
    intervalMs: number,
    doc: unknown,
  ) => { start(): void; stop(): void; backOff(s: number): void; holdUntil(ready: Promise<unknown>): void };
  setPollScale(factor: number): void;
}

let format: Format;
let token: TokenModel;
let library: LibraryModel;
let playback: PlaybackModel;
let poller: PollerModule;
const t = (key: string) => ({ 'time.today': 'today', 'time.tomorrow': 'tomorrow' })[key] ?? key;

beforeAll(async () => {
  format = await loadWebModule<Format>('format');
  token = await loadWebModule<TokenModel>('token-model');
  library = await loadWebModule<LibraryModel>('library-model');
  playback = await loadWebModule<PlaybackModel>('playback-model');
  poller = await loadWebModule<PollerModule>('poller');
});

describe('formatting', () => {
  it('shows track times as m:ss and h:mm:ss, never negative', () => {
    expect(format.formatTrackTime(0)).toBe('0:00');
    expect(format.formatTrackTime(187_400)).toBe('3:07');
    expect(format.formatTrackTime(3_723_000)).toBe('1:02:03');
    expect(format.formatTrackTime(-5000)).toBe('0:00');
  });

  it('says today or tomorrow for the next fire time in the alarm zone, else the weekday', () => {
    const now = new Date('2026-03-10T20:00:00Z');
    expect(format.formatFireTime('2026-03-10T21:30:00Z', 'en-GB', t, now, 'UTC')).toBe('today 21:30');
    expect(format.formatFireTime('2026-03-11T06:30:00+01:00', 'en-GB', t, now, 'Europe/Berlin')).toBe(
      'tomorrow 06:30',
    );
    expect(format.formatFireTime('2026-03-14T07:00:00Z', 'en-GB', t, now, 'UTC')).toMatch(/Sat.*07:00/);
    expect(format.formatFireTime('not a date', 'en', t, now)).toBe('');
  });

  it('formats percentages in the language style', () => {
    expect(format.formatPercent(66.666, 'en')).toBe('66.7%');
    expect(format.formatPercent(66.666, 'de')).toMatch(/^66,7\s%$/);
    expect(format.formatPercent(null, 'en')).toBe('–');
  });

  it('summarises alarm days', () => {
    expect(format.describeDays([], 'en', (k) => k)).toBe('alarm.days.once');
    expect(format.describeDays(['mon', 'tue', 'wed', 'thu', 'fri'], 'en', (k) => k)).toBe(
      'alarm.days.weekdays',
    );
    expect(format.describeDays(['sat', 'sun'], 'en', (k) => k)).toBe('alarm.days.weekends');
    expect(format.describeDays(['wed', 'mon'], 'en-GB', (k) => k)).toBe('Mon, Wed');
  });

  it('turns phone-keypad times into HH:MM and passes anything else through for the API to judge', () => {
    expect(format.normaliseTimeInput('730')).toBe('07:30');
    expect(format.normaliseTimeInput('7.30')).toBe('07:30');
    expect(format.normaliseTimeInput(' 0645 ')).toBe('06:45');
    expect(format.normaliseTimeInput('25:00')).toBe('25:00');
    expect(format.normaliseTimeInput('soon')).toBe('soon');
  });
});

describe('token status and chart history', () => {
  it('reads the seed-shaped status and computes the expiry from expires_at', () => {
    const view = token.normaliseTokenStatus(
      {
        state: 'valid',
        store: { kind: 'file' },
        cache_metrics: {
          cache_hits: 2,
          cache_misses: 1,
          total_requests: 3,
          refresh_attempts: 1,
          refresh_successes: 1,
          refresh_failures: 0,
        },
        performance: { cache_hit_rate_percent: 66.7 },
        token_info: { age_minutes: 0, time_until_expiry_minutes: 59, expires_at: '2026-01-01T01:00:00.000Z' },
        last_error: null,
      },
      Date.parse('2026-01-01T00:01:00Z'),
    );
    expect(view).toMatchObject({
      state: 'valid',
      hits: 2,
      misses: 1,
      total: 3,
      hitRate: 66.7,
      refreshOk: 1,
      refreshFailed: 0,
      store: 'file',
      lastError: '',
    });
    expect(view.expiresAt).toBe(Date.parse('2026-01-01T01:00:00Z'));
  });

  it('falls back to minutes until expiry and shows no expiry without a token', () => {
    expect(token.normaliseTokenStatus({ token_info: { time_until_expiry_minutes: 2 } }, 1000).expiresAt).toBe(
      121_000,
    );
    expect(
      token.normaliseTokenStatus({ token_info: { expires_at: null, time_until_expiry_minutes: null } }, 0)
        .expiresAt,
    ).toBeNull();
  });

  it('caps the history and starts over when counters go backwards (a server restart)', () => {
    let history: Sample[] = [];
    for (let i = 0; i < 10; i++)
      history = token.addSample(history, { t: i, requests: i * 2, refreshes: 0 }, 5);
    expect(history.map((s) => s.t)).toEqual([5, 6, 7, 8, 9]);
    expect(token.addSample(history, { t: 10, requests: 1, refreshes: 0 }, 5)).toEqual([
      { t: 10, requests: 1, refreshes: 0 },
    ]);
  });

  it('draws requests per interval and marks the intervals with a refresh', () => {
    const history = [
      { t: 0, requests: 0, refreshes: 0 },
      { t: 5000, requests: 4, refreshes: 1 },
      { t: 10000, requests: 6, refreshes: 1 },
    ];
    const g = token.chartGeometry(history, 100, 50);
    expect(g.maxDelta).toBe(4);
    expect(g.totalRequests).toBe(6);
    expect(g.totalRefreshes).toBe(1);
    expect(g.marks).toEqual([{ x: 50, count: 1 }]);
    // 4 requests in the first interval (the peak, at 80 % of the height), 2 in the second (40 %).
    expect(g.line).toBe('M0 11.2 L50 11.2 L50 29.6 L100 29.6');
    expect(token.chartGeometry(history.slice(0, 1), 100, 50).line).toBe('');
  });
});

describe('library and playback normalisation', () => {
  it('reads the server library shape, including the liked-songs context', () => {
    const lib = library.normaliseLibrary({
      playlists: [
        {
          id: 'p',
          name: 'Morning',
          uri: 'spotify:playlist:p',
          image: 'http://x/p.svg',
          subtitle: 'Ann',
          track_count: 12,
        },
      ],
      albums: [
        { id: 'a', name: 'Album', uri: 'spotify:album:a', image: null, subtitle: 'Band', track_count: 9 },
      ],
      liked_songs: { total: 42, uri: 'spotify:user:me:collection' },
    });
    expect(lib.playlists).toEqual([
      {
        uri: 'spotify:playlist:p',
        name: 'Morning',
        subtitle: 'Ann',
        imageUrl: 'http://x/p.svg',
        kind: 'playlist',
        total: 12,
      },
    ]);
    expect(lib.albums[0]).toMatchObject({ uri: 'spotify:album:a', subtitle: 'Band' });
    expect(lib.liked).toMatchObject({ uri: 'spotify:user:me:collection', total: 42 });
  });

  it('drops entries without a URI and filters ignoring case and accents', () => {
    const lib = library.normaliseLibrary({
      playlists: [{ name: 'No uri' }, { name: 'Café Müller', uri: 'spotify:playlist:c' }],
    });
    expect(lib.playlists).toHaveLength(1);
    expect(library.filterItems(lib.playlists, 'cafe mull')).toHaveLength(1);
    expect(library.filterItems(lib.playlists, 'jazz')).toHaveLength(0);
    expect(lib.liked).toBeNull();
  });

  it('reads Spotify player state and interpolates progress only while playing, capped at the duration', () => {
    const raw = {
      is_playing: true,
      progress_ms: 10_000,
      shuffle_state: true,
      device: { id: 'd1', name: 'Kitchen', volume_percent: 40 },
      item: {
        name: 'Song',
        duration_ms: 20_000,
        artists: [{ name: 'A' }, { name: 'B' }],
        album: {
          name: 'LP',
          images: [
            { url: 'big', width: 640 },
            { url: 'mid', width: 300 },
          ],
        },
      },
    };
    const view = playback.normalisePlayback(raw, 1000);
    expect(view).toMatchObject({
      isPlaying: true,
      title: 'Song',
      artist: 'A, B',
      imageUrl: 'mid',
      shuffle: true,
      volume: 40,
      deviceName: 'Kitchen',
    });
    expect(playback.interpolatedProgress(view, 4000)).toBe(13_000);
    expect(playback.interpolatedProgress(view, 60_000)).toBe(20_000);
    expect(playback.interpolatedProgress({ ...view, isPlaying: false }, 60_000)).toBe(10_000);
    expect(
      playback.normalisePlayback({ is_playing: false, item: null, device: null, nothing_playing: true }, 0),
    ).toMatchObject({ title: '', isPlaying: false });
  });

  it('reads the device list', () => {
    expect(playback.normaliseDevices({ devices: [{ id: 'a', name: 'Pi', is_active: true }, null] })).toEqual([
      {
        id: 'a',
        name: 'Pi',
        type: '',
        isActive: true,
        volume: null,
        restricted: false,
        supportsVolume: true,
      },
    ]);
    expect(playback.normaliseDevices({})).toEqual([]);
  });
});

describe('the poller', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function fakeDocument() {
    const target = new EventTarget() as EventTarget & { hidden: boolean };
    target.hidden = false;
    return target;
  }

  /** A 1 s poller on fake timers and a fake document, counting its runs. */
  function countingPoller() {
    vi.useFakeTimers();
    const doc = fakeDocument();
    let count = 0;
    const p = new poller.Poller(
      async () => {
        count++;
      },
      1000,
      doc,
    );
    return { doc, p, runs: () => count };
  }

  it('polls while visible, stops while hidden and polls at once when visible again', async () => {
    const { doc, p, runs } = countingPoller();
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs()).toBe(4);
    doc.hidden = true;
    doc.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs()).toBe(4);
    doc.hidden = false;
    doc.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
    expect(runs()).toBe(5);
    p.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs()).toBe(5);
  });

  it('polls half as often when the server is in its low-power profile (scale 2)', async () => {
    const { p, runs } = countingPoller();
    poller.setPollScale(2);
    try {
      p.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(runs()).toBe(1);
      await vi.advanceTimersByTimeAsync(4000);
      expect(runs()).toBe(3);
    } finally {
      p.stop();
      poller.setPollScale(1);
    }
  });

  it('held until its card comes near, polls nothing before and starts on release (once, then on its interval)', async () => {
    const { p, runs } = countingPoller();
    let release: () => void = () => {};
    p.holdUntil(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    p.start();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs()).toBe(0);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs()).toBe(3);
    p.stop();
  });

  it('released while stopped (the bedside clock shows), waits for start', async () => {
    const { p, runs } = countingPoller();
    p.holdUntil(Promise.resolve());
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs()).toBe(0);
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs()).toBe(1);
    p.stop();
  });

  it('waits out a Retry-After before polling again', async () => {
    const { p, runs } = countingPoller();
    p.start();
    await vi.advanceTimersByTimeAsync(0);
    p.backOff(30);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(runs()).toBe(2);
    p.stop();
  });
});
