import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { DEVICES_FILE, DeviceMemory } from './device-memory.js';
import { RecordingLogger, tempStateDir } from './test-helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempStateDir());
});
afterEach(() => cleanup());

describe('DeviceMemory', () => {
  it('remembers every device seen, persists devices.json, and reads it back after a restart', async () => {
    const clock = new ManualClock();
    const m = new DeviceMemory(dir, clock, new RecordingLogger());
    await m.load();
    m.remember([
      { id: 'a', name: 'Kitchen', is_active: false, type: 'Speaker', supports_volume: true },
      { id: 'b', name: 'TV', is_active: true, type: 'TV', supports_volume: false },
      { id: null, name: 'Private', is_active: false },
    ]);
    await m.flush();
    const file = JSON.parse(await readFile(join(dir, DEVICES_FILE), 'utf8'));
    expect(file.devices.map((d: { id: string }) => d.id).sort()).toEqual(['a', 'b']);
    const again = new DeviceMemory(dir, clock, new RecordingLogger());
    await again.load();
    expect(again.find('kitchen')).toMatchObject({
      id: 'a',
      type: 'Speaker',
      last_seen: '2026-01-05T06:00:00.000Z',
    });
    expect(again.find('b')).toMatchObject({ name: 'TV', supports_volume: false });
    expect(again.find('nope')).toBeUndefined();
  });

  it('finds the most recently seen of two devices with one name, and learns a volume lock', async () => {
    const clock = new ManualClock();
    const m = new DeviceMemory(dir, clock, new RecordingLogger());
    m.remember([{ id: 'old', name: 'Speaker', is_active: false }]);
    await clock.advance(2 * 60 * 60_000);
    m.remember([{ id: 'new', name: 'Speaker', is_active: false }]);
    expect(m.find('speaker')?.id).toBe('new');
    m.markVolumeLocked('new');
    expect(m.find('new')?.supports_volume).toBe(false);
  });

  it('does not rewrite the file when nothing new was learnt', async () => {
    const clock = new ManualClock();
    const m = new DeviceMemory(dir, clock, new RecordingLogger());
    m.remember([{ id: 'a', name: 'Kitchen', is_active: false }]);
    await m.flush();
    const before = (await stat(join(dir, DEVICES_FILE))).mtimeMs;
    await clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 20));
    m.remember([{ id: 'a', name: 'Kitchen', is_active: true }]);
    await m.flush();
    expect((await stat(join(dir, DEVICES_FILE))).mtimeMs).toBe(before);
  });
});
