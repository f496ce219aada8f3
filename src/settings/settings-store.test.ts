import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { RecordingLogger } from '../token/test-helpers/recording-logger.js';
import {
  applyToConfig,
  SettingLockedError,
  SettingsStore,
  SettingsValidationError,
} from './settings-store.js';

async function open(env: Record<string, string> = {}, file?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'spotipi-settings-'));
  if (file !== undefined) await writeFile(join(dir, 'settings.json'), file);
  const config = loadConfig({ env: { SPOTIPI_STATE_DIR: dir, ...env }, cwd: dir });
  const logger = new RecordingLogger();
  return { dir, config, logger, store: await SettingsStore.open(config, logger) };
}

describe('SettingsStore', () => {
  it('reads a corrupt settings.json as defaults, says so, and replaces it only on the next save', async () => {
    const { dir, store, logger } = await open({}, '{"snooze_minutes": 12,');
    expect(store.current().snooze_minutes).toBe(9);
    expect(
      logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('settings.json unreadable')),
    ).toBe(true);
    expect(await readFile(join(dir, 'settings.json'), 'utf8')).toBe('{"snooze_minutes": 12,');
    await store.update({ snooze_minutes: 11 });
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toEqual({ snooze_minutes: 11 });
  });

  it('ignores a stored value that is no longer valid and shows the default as its source', async () => {
    const { store } = await open({}, JSON.stringify({ alarm_volume: 400, theme: 'dark' }));
    const view = store.view();
    expect(view.settings.alarm_volume).toBe(50);
    expect(view.fields.alarm_volume.source).toBe('default');
    expect(view.fields.theme.source).toBe('settings');
  });

  it('serializes concurrent saves so neither change is lost', async () => {
    const { dir, store } = await open();
    await Promise.all([
      store.update({ alarm_volume: 20 }),
      store.update({ theme: 'black' }),
      store.update({ snooze_minutes: 5 }),
    ]);
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toEqual({
      alarm_volume: 20,
      theme: 'black',
      snooze_minutes: 5,
    });
  });

  it('names the field in its errors and tells the listeners only about saved changes', async () => {
    const { store } = await open({ LIBRARY_CACHE_SECONDS: '30' });
    const heard: number[] = [];
    store.onChange((s) => heard.push(s.alarm_volume));
    await expect(store.update({ alarm_volume: 5, clock_dim_from: '7pm' })).rejects.toMatchObject({
      field: 'clock_dim_from',
      key: 'error.settings.time',
    });
    await expect(store.update({ library_cache_seconds: 5 })).rejects.toBeInstanceOf(SettingLockedError);
    await expect(store.update([1])).rejects.toBeInstanceOf(SettingsValidationError);
    expect(heard).toEqual([]);
    await store.update({ alarm_volume: 5 });
    expect(heard).toEqual([5]);
  });

  it('puts the server-side values into the running configuration', async () => {
    const { config, store } = await open();
    await store.update({
      snooze_minutes: 4,
      alarm_grace_minutes: 3,
      timezone: 'Asia/Tokyo',
      library_cache_seconds: 7,
    });
    applyToConfig(config, store.current());
    expect(config).toMatchObject({
      snoozeMinutes: 4,
      alarmGraceMs: 180_000,
      timezone: 'Asia/Tokyo',
      libraryCacheMs: 7000,
    });
  });
});
