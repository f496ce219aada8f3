import { beforeAll, describe, expect, it } from 'vitest';
import { loadWebModule } from './web-module.js';

interface ClockModel {
  isNight(date: Date, from: string, until: string): boolean;
  shouldDim(input: { night: boolean; lux?: number | null }): boolean;
  activeAlarm(alarms: unknown): { id: string } | null;
  nextAlarm(alarms: unknown, now: number): { alarm: { id: string }; at: number } | null;
  readinessOf(alarm: unknown): { status: string; reason: string } | null;
  clockText(date: Date): string;
  msToNextMinute(date: Date): number;
}
interface SettingsModel {
  settingsPatch(
    values: Record<string, string>,
    view: { settings: Record<string, unknown>; fields: Record<string, { locked: boolean }> },
  ): Record<string, unknown>;
  lockText(
    info: { locked: boolean; source: string; env?: string },
    t: (k: string, p?: Record<string, unknown>) => string,
  ): string;
  accountSummary(account: unknown): { status: string; name: string; premium: boolean | null };
  needsPasteBack(redirectUri: string, pageHost: string): boolean;
  pageSettings(dataset: Record<string, string | undefined>): Record<string, string> | null;
  sleepPatch(
    values: Record<string, string>,
    current: Record<string, unknown> | null,
  ): Record<string, unknown>;
}

let clock: ClockModel;
let settings: SettingsModel;
beforeAll(async () => {
  clock = await loadWebModule<ClockModel>('clock-model');
  settings = await loadWebModule<SettingsModel>('settings-model');
});

const at = (hh: number, mm: number) => new Date(2026, 10, 30, hh, mm, 0, 0);

describe('the bedside clock model', () => {
  it('dims inside a window that crosses midnight, on both sides of each edge', () => {
    expect(clock.isNight(at(21, 59), '22:00', '07:00')).toBe(false);
    expect(clock.isNight(at(22, 0), '22:00', '07:00')).toBe(true);
    expect(clock.isNight(at(3, 0), '22:00', '07:00')).toBe(true);
    expect(clock.isNight(at(6, 59), '22:00', '07:00')).toBe(true);
    expect(clock.isNight(at(7, 0), '22:00', '07:00')).toBe(false);
  });

  it('dims inside a same-day window, and never for equal or malformed times', () => {
    expect(clock.isNight(at(13, 30), '13:00', '14:00')).toBe(true);
    expect(clock.isNight(at(14, 0), '13:00', '14:00')).toBe(false);
    expect(clock.isNight(at(3, 0), '07:00', '07:00')).toBe(false);
    expect(clock.isNight(at(3, 0), '25:00', '07:00')).toBe(false);
  });

  it('lets an ambient light reading override the schedule', () => {
    expect(clock.shouldDim({ night: false, lux: 2 })).toBe(true);
    expect(clock.shouldDim({ night: true, lux: 300 })).toBe(false);
    expect(clock.shouldDim({ night: true, lux: null })).toBe(true);
  });

  it('picks the sounding alarm over a snoozed one', () => {
    const alarms = [
      { id: 'a', state: 'snoozed' },
      { id: 'b', state: 'ringing', fallback_sound: false },
    ];
    expect(clock.activeAlarm(alarms)?.id).toBe('b');
    expect(clock.activeAlarm([{ id: 'a', state: 'idle' }])).toBeNull();
  });

  it('shows the soonest alarm (a snooze end counts) and readiness only when the server reports it', () => {
    const now = Date.parse('2026-11-30T20:00:00Z');
    const alarms = [
      { id: 'late', next_fire_at: '2026-12-01T07:00:00Z' },
      {
        id: 'snoozed',
        state: 'snoozed',
        snoozed_until: '2026-11-30T20:09:00Z',
        next_fire_at: '2026-12-01T08:00:00Z',
      },
      { id: 'off', next_fire_at: null },
    ];
    expect(clock.nextAlarm(alarms, now)?.alarm.id).toBe('snoozed');
    expect(clock.nextAlarm([], now)).toBeNull();
    expect(clock.readinessOf({})).toBeNull();
    expect(
      clock.readinessOf({ readiness: { status: 'warning', reasons: ['Spotify needs a new login'] } }),
    ).toEqual({
      status: 'warning',
      reason: 'Spotify needs a new login',
    });
    expect(clock.readinessOf({ readiness: { status: 'bogus' } })).toBeNull();
  });

  it('draws fixed-width time and waits for the next minute', () => {
    expect(clock.clockText(at(7, 5))).toBe('07:05');
    expect(clock.msToNextMinute(new Date(2026, 0, 1, 7, 5, 59, 500))).toBe(500);
  });
});

describe('the settings model', () => {
  const view = {
    settings: { alarm_volume: 50, snooze_minutes: 9, theme: 'system' },
    fields: { snooze_minutes: { locked: true }, alarm_volume: { locked: false }, theme: { locked: false } },
  };

  it('sends only changed, unlocked fields, numbers as numbers and bad numbers as typed', () => {
    expect(settings.settingsPatch({ alarm_volume: '50', snooze_minutes: '3', theme: 'black' }, view)).toEqual(
      {
        theme: 'black',
      },
    );
    expect(settings.settingsPatch({ alarm_volume: '35' }, view)).toEqual({ alarm_volume: 35 });
    expect(settings.settingsPatch({ alarm_volume: 'loud' }, view)).toEqual({ alarm_volume: 'loud' });
  });

  it('explains a lock with the setting and where it is set', () => {
    const t = (k: string, p?: Record<string, unknown>) => (p ? `${k}:${p.env}:${p.source}` : k);
    expect(settings.lockText({ locked: true, source: '.env file', env: 'SPOTIPI_SNOOZE_MINUTES' }, t)).toBe(
      'settings.lockedBy:SPOTIPI_SNOOZE_MINUTES:settings.source.dotenv',
    );
    expect(settings.lockText({ locked: false, source: 'default' }, t)).toBe('');
  });

  it('summarises the account, Premium unknown when Spotify does not say', () => {
    expect(
      settings.accountSummary({
        mode: 'spotify',
        connected: true,
        user: { display_name: 'Ada', premium: null },
      }),
    ).toMatchObject({
      status: 'connected',
      name: 'Ada',
      premium: null,
    });
    expect(settings.accountSummary({ mode: 'spotify', connected: false, user: null }).status).toBe(
      'disconnected',
    );
    expect(settings.accountSummary({ mode: 'demo', connected: true }).status).toBe('demo');
  });

  it('sends only changed sleep defaults, under the sleep timer own names, and nothing without a sleep timer', () => {
    const current = { minutes: 30, volume: 30, fade_out_seconds: 30 };
    expect(
      settings.sleepPatch({ sleep_minutes: '45', sleep_volume: '30', sleep_fade_out_seconds: 'x' }, current),
    ).toEqual({
      minutes: 45,
      fade_out_seconds: 'x',
    });
    expect(settings.sleepPatch({ sleep_minutes: '45' }, null)).toEqual({});
  });

  it('reads the settings the server wrote into the page, and nothing from a page without all of them', () => {
    const dataset = {
      mode: 'spotify',
      settingsLanguage: 'de',
      settingsTheme: 'black',
      settingsClockDimFrom: '22:30',
      settingsClockDimUntil: '06:45',
    };
    expect(settings.pageSettings(dataset)).toEqual({
      language: 'de',
      theme: 'black',
      clock_dim_from: '22:30',
      clock_dim_until: '06:45',
    });
    expect(settings.pageSettings({ mode: 'demo' })).toBeNull();
    expect(settings.pageSettings({ ...dataset, settingsTheme: undefined })).toBeNull();
  });

  it('offers the paste-back login only when the browser is not on the server machine', () => {
    expect(settings.needsPasteBack('http://127.0.0.1:5001/callback', '192.168.1.5')).toBe(true);
    expect(settings.needsPasteBack('http://127.0.0.1:5001/callback', '127.0.0.1')).toBe(false);
    expect(settings.needsPasteBack('https://pi.example/callback', '192.168.1.5')).toBe(false);
  });
});
