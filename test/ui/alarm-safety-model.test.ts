import { beforeAll, describe, expect, it } from 'vitest';
import { loadWebModule } from './web-module.js';

interface Model {
  readinessBanner(
    alarms: unknown,
  ): { level: string; alarm: { id: string }; reason: string; needsLogin: boolean } | null;
  fallbackAlarm(alarms: unknown): { id: string } | null;
  reasonText(
    readiness: unknown,
    index: number,
    t: (k: string, p?: Record<string, unknown>) => string,
  ): string;
  chimeNotes(): { at: number; hz: number; gain: number; decay: number }[];
}

let m: Model;
beforeAll(async () => {
  m = await loadWebModule<Model>('alarm-safety-model');
});

const at = (iso: string) => `2030-01-0${iso}`;
function alarm(id: string, day: string, readiness: unknown, extra: Record<string, unknown> = {}) {
  return { id, time: '07:00', enabled: true, next_fire_at: at(`${day}T07:00:00Z`), readiness, ...extra };
}
const failing = (reason: string, needs_login = false) => ({
  status: 'failing',
  reasons: [reason],
  checked_at: '',
  needs_login,
});

describe('the readiness banner model', () => {
  it('names the soonest failing alarm, ignoring disabled ones and warnings that need no login', () => {
    const alarms = [
      alarm('later', '8', failing('The playlist to play no longer exists')),
      alarm('warn', '6', {
        status: 'warning',
        reasons: ['The speaker "X" has not been seen'],
        checked_at: '',
      }),
      alarm('sooner', '7', failing('Spotify needs a new login', true)),
      alarm('off', '6', failing('x'), { enabled: false }),
    ];
    expect(m.readinessBanner(alarms)).toMatchObject({
      level: 'failing',
      alarm: { id: 'sooner' },
      reason: 'Spotify needs a new login',
      needsLogin: true,
    });
  });

  it('warns about a login running out when nothing fails, and is null when all is well or unchecked', () => {
    const expiring = {
      status: 'warning',
      reasons: ['The Spotify login expires in 9 days'],
      checked_at: '',
      needs_login: true,
    };
    expect(m.readinessBanner([alarm('a', '7', expiring)])).toMatchObject({
      level: 'warning',
      needsLogin: true,
    });
    expect(m.readinessBanner([alarm('a', '7', { status: 'ok', reasons: [], checked_at: '' })])).toBeNull();
    expect(m.readinessBanner([alarm('a', '7', null)])).toBeNull();
    expect(m.readinessBanner(undefined)).toBeNull();
  });
});

describe('reason text', () => {
  const catalogue: Record<string, string> = {
    'readiness.reason.speaker_unseen': 'Lautsprecher „{device}“ ungesehen',
  };
  const t = (key: string, params: Record<string, unknown> = {}) =>
    (catalogue[key] ?? key).replace(/\{(\w+)\}/g, (_m, name: string) => String(params[name]));

  it("says a coded reason in the page's language, and falls back to the server's sentence", () => {
    const r = {
      reasons: ['The speaker "Kitchen" has not been seen', 'Something new'],
      details: [{ code: 'speaker_unseen', params: { device: 'Kitchen' } }, { code: 'not_in_catalogue' }],
    };
    expect(m.reasonText(r, 0, t)).toBe('Lautsprecher „Kitchen“ ungesehen');
    expect(m.reasonText(r, 1, t)).toBe('Something new');
    expect(m.reasonText({ reasons: ['Old server'] }, 0, t)).toBe('Old server');
  });
});

describe('the fallback ring model', () => {
  it('rings for the alarm that has fallback_sound, and not otherwise', () => {
    expect(
      m.fallbackAlarm([alarm('a', '7', null), alarm('b', '7', null, { fallback_sound: true })])?.id,
    ).toBe('b');
    expect(m.fallbackAlarm([alarm('a', '7', null, { fallback_sound: false })])).toBeNull();
  });

  it('plays the same bell as the server: C6, E6, G6 and the chord, never louder than 1 in sum', () => {
    const notes = m.chimeNotes();
    const fundamentals = [...new Set(notes.filter((n) => n.hz < 1600).map((n) => n.hz))].sort();
    expect(fundamentals).toEqual([1046.5, 1318.5, 1568]);
    const chord = notes.filter((n) => n.at === 1.3).reduce((sum, n) => sum + n.gain, 0);
    expect(chord).toBeLessThanOrEqual(1);
  });
});
