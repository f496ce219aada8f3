import { describe, expect, it } from 'vitest';
import { formatDuration, formatMegabytes } from './format.js';
import { describeAlarm } from './status-report.js';
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

  it('describes the next alarm, none, or why it is unknown', () => {
    expect(describeAlarm({ reason: '/api/alarms/next answered 401' })).toBe(
      'unavailable (/api/alarms/next answered 401)',
    );
    expect(describeAlarm({ alarm: { alarm: null } })).toBe('none scheduled');
    expect(describeAlarm({ alarm: { next: { fireAt: 'not a date', label: 'Work' } } })).toBe(
      'not a date (Work)',
    );
  });
});
