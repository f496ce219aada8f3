import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerImportConfig } from '../cli/commands/import-config.js';
import type { CliContext } from '../cli/context.js';
import { CliError } from '../cli/exit-codes.js';
import { ValidationError } from './errors.js';
import { importOriginalConfig, mapOriginalSettings } from './import-original.js';
import { ALARMS_FILE } from './scheduler.js';
import { SLEEP_FILE } from './sleep-timer.js';
import { tempStateDir } from './test-helpers.js';

// The shape of the original's config/*.json (written here, not copied).
const original = {
  enabled: true,
  time: '6:45',
  playlist_uri: 'spotify:playlist:6zhbybQCqL2iqpiMmwkM0X',
  device_name: 'Forte',
  alarm_volume: 35,
  fade_in: true,
  shuffle: true,
  weekdays: [0, 1, 2, 3, 4],
  sleep_volume: 25,
  sleep_default_duration: 45,
  sleep_playlist_uri: 'https://open.spotify.com/album/4aawyAB9vmqN3uQ7FjRGTy?si=x',
  sleep_device_name: 'phobo',
  sleep_shuffle: true,
  timezone: 'Europe/Vienna',
  environment: 'production',
  debug: false,
  log_level: 'INFO',
  language: 'de',
  feature_sleep: true,
  volume: 50,
  last_known_devices: { forte: { id: 'x', name: 'Forte' } },
};

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
});
afterEach(() => cleanup());

describe('mapOriginalSettings', () => {
  it('maps every alarm and sleep key and lists what it ignored', () => {
    const m = mapOriginalSettings(original, 'UTC');
    expect(m.alarm).toEqual({
      label: 'Imported alarm',
      time: '06:45',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      volume: 35,
      fade_in_seconds: 35,
      shuffle: true,
      context_uri: 'spotify:playlist:6zhbybQCqL2iqpiMmwkM0X',
      device: 'Forte',
      enabled: true,
      timezone: 'Europe/Vienna',
    });
    expect(m.sleep).toEqual({
      volume: 25,
      minutes: 45,
      context_uri: 'spotify:album:4aawyAB9vmqN3uQ7FjRGTy',
      device: 'phobo',
      shuffle: true,
    });
    expect(m.ignored.sort()).toEqual(
      [
        'debug',
        'environment',
        'feature_sleep',
        'language',
        'last_known_devices',
        'log_level',
        'volume',
      ].sort(),
    );
    expect(m.warnings).toEqual([
      'the original switched its alarm off after each ring; here it repeats on these days until you disable it',
    ]);
  });

  it('turns empty weekdays into a one-off and an empty playlist into a disabled Liked Songs alarm', () => {
    const m = mapOriginalSettings({ time: '07:00', weekdays: null, playlist_uri: '', enabled: true }, 'UTC');
    expect(m.alarm).toMatchObject({
      days: [],
      context_uri: 'liked',
      enabled: false,
      device: null,
      timezone: 'UTC',
    });
    expect(m.warnings.join()).toContain('no playlist_uri');
  });

  it('uses the old "volume" key when alarm_volume is absent and maps fade_in false to no fade', () => {
    const m = mapOriginalSettings(
      { time: '07:00', volume: 60, fade_in: false, playlist_uri: 'spotify:album:a' },
      'UTC',
    );
    expect(m.alarm).toMatchObject({ volume: 60, fade_in_seconds: 0 });
  });

  it('rejects values it cannot map, naming the key', () => {
    for (const [bad, field] of [
      [{ time: '25:00' }, 'time'],
      [{ time: 'seven' }, 'time'],
      [{ time: '07:00', weekdays: [7] }, 'weekdays'],
      [{ time: '07:00', weekdays: 'mon' }, 'weekdays'],
      [{ time: '07:00', alarm_volume: 'loud' }, 'alarm_volume'],
      [{ sleep_volume: 'soft' }, 'sleep_volume'],
    ] as const) {
      expect(() => mapOriginalSettings(bad, 'UTC'), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ field }),
      );
    }
    expect(() => mapOriginalSettings([1], 'UTC')).toThrow(ValidationError);
  });
});

describe('importOriginalConfig', () => {
  it('writes the alarm and sleep defaults into the state dir, replacing on a second import', async () => {
    const file = join(dir, 'production.json');
    await writeFile(file, JSON.stringify(original));
    const report = await importOriginalConfig(file, { stateDir: dir, defaultTimezone: 'UTC' });
    expect(report.alarm).toMatchObject({ id: 'imported', time: '06:45', timezone: 'Europe/Vienna' });
    expect(report.alarm?.next_fire_at).toMatch(/^\d{4}-\d{2}-\d{2}T06:45:00\+0[12]:00$/);
    expect(report.sleepDefaults).toMatchObject({ volume: 25, minutes: 45, fade_out_seconds: 30 });

    await writeFile(file, JSON.stringify({ ...original, time: '07:15' }));
    await importOriginalConfig(file, { stateDir: dir, defaultTimezone: 'UTC' });
    const alarms = JSON.parse(await readFile(join(dir, ALARMS_FILE), 'utf8')).alarms;
    expect(alarms).toHaveLength(1);
    expect(alarms[0].spec.time).toBe('07:15');
    const sleep = JSON.parse(await readFile(join(dir, SLEEP_FILE), 'utf8'));
    expect(sleep.defaults.device).toBe('phobo');
  });

  it('explains a missing file and invalid JSON', async () => {
    await expect(
      importOriginalConfig(join(dir, 'nope.json'), { stateDir: dir, defaultTimezone: 'UTC' }),
    ).rejects.toThrow('no such file');
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"time": ');
    await expect(importOriginalConfig(bad, { stateDir: dir, defaultTimezone: 'UTC' })).rejects.toThrow(
      'is not valid JSON',
    );
  });
});

describe('spotipi import-config', () => {
  function harness() {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      env: { SPOTIPI_STATE_DIR: dir },
      cwd: dir,
      stdout: { write: (t) => void out.push(t), isTTY: false },
      stderr: { write: (t) => void err.push(t), isTTY: false },
      execPath: process.execPath,
      entry: 'unused',
      setExitCode: () => {},
    };
    const program = new Command('spotipi').exitOverride();
    registerImportConfig(program, ctx);
    return { program, out, err };
  }

  it('imports a file and prints what it mapped and ignored', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify(original));
    const { program, out } = harness();
    await program.parseAsync(['import-config', 'config.json', '--state-dir', dir], { from: 'user' });
    const text = out.join('');
    expect(text).toContain('Imported alarm "imported": 06:45 mon,tue,wed,thu,fri');
    expect(text).toContain('weekdays [0,1,2,3,4] -> days: mon, tue, wed, thu, fri');
    expect(text).toContain('Ignored (no equivalent here): environment, debug, log_level');
  });

  it('fails with a clear message and exit code 1 on a bad file', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ time: '24:61' }));
    const { program } = harness();
    const run = program.parseAsync(['import-config', 'config.json', '--state-dir', dir], { from: 'user' });
    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringContaining('"time" must be "HH:MM"'),
    });
  });

  it('refuses an unknown --timezone as a usage error', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify(original));
    const { program } = harness();
    const run = program.parseAsync(
      ['import-config', 'config.json', '--state-dir', dir, '--timezone', 'Nowhere/City'],
      {
        from: 'user',
      },
    );
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
  });
});
