import { describe, expect, it } from 'vitest';
import { formatDuration, formatMegabytes } from './format.js';
import { createLineSplitter, formatLogLine } from './log-format.js';
import { createSpinner } from './spinner.js';
import { describeAlarm, describeLogin, describeToken, formatStatus } from './status-report.js';
import { formatTokenStatus } from './token-table.js';

describe('formatTokenStatus', () => {
  it("renders the seed's status shape as aligned sections with readable names", () => {
    const text = formatTokenStatus({
      state: 'valid',
      cache_metrics: { cache_hits: 2, total_requests: 3 },
      performance: { cache_hit_rate_percent: 66.7 },
      token_info: { time_until_expiry_minutes: 59, expires_at: null },
    });
    expect(text).toBe(
      [
        'Token cache',
        '  State  valid',
        '',
        'Cache metrics',
        '  Cache hits      2',
        '  Total requests  3',
        '',
        'Performance',
        '  Cache hit rate  66.7%',
        '',
        'Token info',
        '  Time until expiry (minutes)  59',
        '  Expires at                   —',
        '',
      ].join('\n'),
    );
  });
});

describe('status formatting', () => {
  it('formats uptimes with the two largest units and memory in MB', () => {
    expect(formatDuration(5 * 60 + 32)).toBe('5m 32s');
    expect(formatDuration(7)).toBe('7s');
    expect(formatDuration(2 * 3600 + 3 * 60 + 9)).toBe('2h 3m');
    expect(formatDuration(3 * 86_400 + 4 * 3600)).toBe('3d 4h');
    expect(formatMegabytes(37.5 * 1024 * 1024)).toBe('37.5 MB');
  });

  it("shows a stopped server's last log lines as `spotipi logs` does, not as raw JSON", () => {
    const text = formatStatus({
      status: 'stopped',
      stale: 'the server (pid 42) is no longer running',
      url: 'http://127.0.0.1:5001',
      logFile: '/state/logs/spotipi.log',
      lastLogLines: [
        JSON.stringify({
          level: 50,
          time: Date.UTC(2026, 0, 5, 6),
          pid: 42,
          msg: 'alarm failed',
          alarm: 'a1',
        }),
        'Node.js v20.20.2',
      ],
    });
    expect(text).not.toContain('{"level"');
    expect(text).toMatch(/^ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ERROR alarm failed alarm=a1$/m);
    expect(text).toContain('  Node.js v20.20.2');
  });

  it('describes the token state in words, with minutes until expiry', () => {
    expect(describeToken({ state: 'empty' })).toBe('none yet (fetched on first use)');
    expect(describeToken({ state: 'valid', minutesUntilExpiry: 54.4 })).toBe('valid, expires in 54 min');
    expect(describeToken({ state: 'reauthorization_required' })).toContain('spotipi login');
    expect(describeToken({ reason: '/api/token-cache/status answered 401' })).toBe(
      'unavailable (/api/token-cache/status answered 401)',
    );
  });

  it('says when the Spotify login expires, warns from 14 days before, and marks an estimate', () => {
    const DAY = 86_400;
    expect(
      describeLogin({
        expiresAt: '2026-07-01T06:00:00.000Z',
        expiresInSeconds: 90 * DAY + 5,
        estimated: false,
      }),
    ).toBe('expires 2026-07-01 (in 90 days)');
    expect(
      describeLogin({ expiresAt: '2026-07-01T06:00:00.000Z', expiresInSeconds: 14 * DAY, estimated: true }),
    ).toBe('⚠️  expires about 2026-07-01 (in 14 days) — log in again soon (spotipi login)');
    expect(
      describeLogin({ expiresAt: '2026-07-01T06:00:00.000Z', expiresInSeconds: 3600, estimated: false }),
    ).toContain('in less than a day');
    expect(
      describeLogin({ expiresAt: '2026-07-01T06:00:00.000Z', expiresInSeconds: 0, estimated: false }),
    ).toBe('expired 2026-07-01 — log in again (spotipi login)');
  });

  it('shows a progress line only on a terminal, and clears it', () => {
    const written: string[] = [];
    const tty = createSpinner({ write: (t) => written.push(t), isTTY: true }, 'Starting');
    tty.update(1500);
    tty.clear();
    expect(written[0]).toMatch(/^\r. Starting… 1\.5s$/);
    expect(written[1]).toBe('\r\x1b[K');
    const piped: string[] = [];
    const plain = createSpinner({ write: (t) => piped.push(t), isTTY: false }, 'Starting');
    plain.update(1500);
    plain.clear();
    expect(piped).toEqual([]);
  });

  it('describes the next alarm, none, or why it is unknown', () => {
    expect(describeAlarm(undefined, '/api/alarms/next answered 401')).toBe(
      'unavailable (/api/alarms/next answered 401)',
    );
    expect(describeAlarm(null)).toBe('none scheduled');
    expect(describeAlarm(undefined)).toBe('unknown');
    expect(
      describeAlarm({ fire_at: '2026-06-03T06:30:00+02:00', in_seconds: 7500, kind: 'alarm', label: 'Work' }),
    ).toBe('2026-06-03 06:30, in 2h 5m (Work)');
    expect(describeAlarm({ fire_at: '2026-06-03T06:39:00+02:00', kind: 'snooze', label: '' })).toBe(
      '2026-06-03 06:39, snoozed',
    );
  });
});

describe('formatLogLine', () => {
  it('turns a pino line into time, level, message and fields, with an error stack indented', () => {
    const time = new Date(2025, 8, 5, 19, 15, 11).getTime();
    const line = JSON.stringify({
      level: 50,
      time,
      pid: 1,
      hostname: 'pi',
      msg: 'refresh failed',
      attempt: 2,
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(formatLogLine(line)).toBe(
      '2025-09-05 19:15:11 ERROR refresh failed attempt=2 err="boom"\n    Error: boom\n        at x',
    );
  });

  it('passes through lines that are not pino JSON', () => {
    expect(formatLogLine('Error: simulated crash')).toBe('Error: simulated crash');
    expect(formatLogLine('{not json')).toBe('{not json');
    expect(formatLogLine('{"a":1}')).toBe('{"a":1}');
  });

  it('splits a stream into whole lines, holding a partial line back', () => {
    const lines: string[] = [];
    const split = createLineSplitter((line) => lines.push(line));
    split('one\ntw');
    split('o\n');
    expect(lines).toEqual(['one', 'two']);
  });
});
