import { join } from 'node:path';
import * as z from 'zod';
import type { Clock, Logger } from '../token/types.js';
import { describeError } from './errors.js';
import type { PlayerDevice } from './player.js';
import { JsonStateFile } from './state-file.js';

/** The devices file's name inside the state dir. */
export const DEVICES_FILE = 'devices.json';

/** A Spotify Connect device seen at least once. */
export interface RememberedDevice {
  id: string;
  name: string;
  type: string;
  /** ISO 8601 (UTC) of the last time it was listed or played on. */
  last_seen: string;
  supports_volume?: boolean;
}

const deviceSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  type: z.string(),
  last_seen: z.string(),
  supports_volume: z.boolean().optional(),
});
const fileSchema = z.object({ version: z.literal(1), devices: z.array(deviceSchema) });

/** A device's last_seen is rewritten at most this often, so listing devices does not wear the SD card. */
const TOUCH_EVERY_MS = 60 * 60_000;

/**
 * Every device SpotiPi has seen, by id. Spotify Connect speakers drop out of the device list
 * when idle but often still accept a transfer or `play?device_id=` by their id; remembering the
 * id lets an alarm address a configured speaker that is asleep.
 */
export class DeviceMemory {
  private readonly file: JsonStateFile<z.infer<typeof fileSchema>>;
  private readonly devices = new Map<string, RememberedDevice>();

  constructor(
    stateDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.file = new JsonStateFile(join(stateDir, DEVICES_FILE), log);
  }

  /** Reads `devices.json` (a missing or unreadable file is an empty memory). */
  async load(): Promise<void> {
    const doc = await this.file.load((raw) => fileSchema.parse(raw));
    this.devices.clear();
    for (const d of doc?.devices ?? []) this.devices.set(d.id, d);
  }

  /** A remembered device by id, else by name (case-insensitive; the most recently seen wins). */
  find(idOrName: string): RememberedDevice | undefined {
    const byId = this.devices.get(idOrName);
    if (byId) return { ...byId };
    const wanted = idOrName.toLowerCase();
    const named = this.list().filter((d) => d.name.toLowerCase() === wanted);
    return named[0];
  }

  /** Every remembered device, most recently seen first. */
  list(): RememberedDevice[] {
    return [...this.devices.values()]
      .map((d) => ({ ...d }))
      .sort((a, b) => b.last_seen.localeCompare(a.last_seen));
  }

  /** Records devices just listed (or played on); saves when something new was learnt. */
  remember(devices: readonly PlayerDevice[]): void {
    const now = this.clock.now();
    let dirty = false;
    for (const d of devices) {
      if (!d.id) continue;
      const known = this.devices.get(d.id);
      const next: RememberedDevice = {
        id: d.id,
        name: d.name,
        type: d.type ?? known?.type ?? 'Unknown',
        last_seen: new Date(now).toISOString(),
        ...(typeof d.supports_volume === 'boolean'
          ? { supports_volume: d.supports_volume }
          : known?.supports_volume !== undefined
            ? { supports_volume: known.supports_volume }
            : {}),
      };
      const stale = !known || now - Date.parse(known.last_seen) >= TOUCH_EVERY_MS;
      if (
        stale ||
        known.name !== next.name ||
        known.type !== next.type ||
        known.supports_volume !== next.supports_volume
      ) {
        this.devices.set(d.id, next);
        dirty = true;
      }
    }
    if (dirty) {
      this.file
        .save({ version: 1, devices: this.list() })
        .catch((err) => this.log.warn({ err: describeError(err) }, 'could not save the remembered devices'));
    }
  }

  /** Notes that a device refused volume control (so the next alarm does not ask again). */
  markVolumeLocked(id: string): void {
    const known = this.devices.get(id);
    if (!known || known.supports_volume === false) return;
    this.devices.set(id, { ...known, supports_volume: false });
    this.file
      .save({ version: 1, devices: this.list() })
      .catch((err) => this.log.warn({ err: describeError(err) }, 'could not save the remembered devices'));
  }

  /** Resolves once pending writes are on disk. */
  flush(): Promise<void> {
    return this.file.flush();
  }
}
