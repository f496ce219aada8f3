import type { Clock } from '../token/types.js';
import type { Catalog, DeviceRec } from './catalog.js';

/**
 * How a Spotify Connect device misbehaves, as real ones do: Spotify's `GET /v1/me/player`
 * reports a changed volume only after a few seconds, and some speakers round to 10 % steps.
 */
export interface DeviceBehaviour {
  /** Reports show the volume as it was this many ms ago (emulator clock); default 0. */
  volumeLagMs?: number;
  /** Reports round to multiples of this (e.g. 10); default 1 (exact). */
  volumeStepPercent?: number;
}

/** The idle speaker of the demo account: not listed until addressed by id; lagging, rounding reports. */
export const IDLE_DEMO_SPEAKER = {
  id: 'ba7b00000000000000000000000000000000a1e5',
  name: 'Bathroom Speaker',
  behaviour: { volumeLagMs: 3_000, volumeStepPercent: 10 } satisfies DeviceBehaviour,
};

interface VolumeChange {
  at: number;
  volume: number;
}

/**
 * Device behaviours of the emulated account: volume history per device (so reports can lag and
 * round) and idle speakers (absent from `GET /v1/me/player/devices`, yet accepting a transfer
 * or `play?device_id=` by id, after which they are listed again).
 */
export class DeviceBehaviours {
  private readonly history = new Map<string, VolumeChange[]>();
  private readonly behaviours = new Map<string, DeviceBehaviour>();
  private readonly idle = new Set<string>();

  constructor(private readonly clock: Clock) {}

  /**
   * Takes over a device's `volumePercent`: writes go to the history, reads give the volume as
   * reported (lagging, rounded). The wire layer reads the field, so every report goes through it.
   */
  install(device: DeviceRec): void {
    const id = device.id;
    this.history.set(id, [{ at: Number.NEGATIVE_INFINITY, volume: device.volumePercent }]);
    Object.defineProperty(device, 'volumePercent', {
      configurable: true,
      enumerable: true,
      get: () => this.reported(id),
      set: (volume: number) => this.record(id, volume),
    });
  }

  /** Sets (or with `{}` clears) a device's behaviour. */
  configure(id: string, behaviour: DeviceBehaviour): void {
    this.behaviours.set(id, { ...behaviour });
  }

  /** The volume the device really is at. */
  actual(id: string): number | undefined {
    const h = this.history.get(id);
    return h?.[h.length - 1]?.volume;
  }

  /** The volume as Spotify reports it now. */
  reported(id: string): number {
    const h = this.history.get(id) ?? [];
    const b = this.behaviours.get(id) ?? {};
    const seenAt = this.clock.now() - (b.volumeLagMs ?? 0);
    let volume = h[0]?.volume ?? 0;
    for (const change of h) if (change.at <= seenAt) volume = change.volume;
    const step = b.volumeStepPercent ?? 1;
    return Math.min(100, Math.round(volume / step) * step);
  }

  /** Records a volume change (from the API or from a person at the speaker). */
  record(id: string, volume: number): void {
    const h = this.history.get(id) ?? [];
    h.push({ at: this.clock.now(), volume });
    // Keep what any lag can still show, plus the value before it.
    while (h.length > 32) h.shift();
    this.history.set(id, h);
  }

  /** Marks a device idle (unlisted but addressable) or awake. */
  setIdle(device: DeviceRec, idle: boolean): void {
    if (idle) {
      this.idle.add(device.id);
      device.available = false;
    } else {
      this.idle.delete(device.id);
      device.available = true;
    }
  }

  isIdle(id: string): boolean {
    return this.idle.has(id);
  }
}

/** Adds the demo account's idle speaker (unlisted at start, so the listing stays as it was). */
export function addIdleDemoSpeaker(catalog: Catalog, behaviours: DeviceBehaviours): void {
  if (!catalog.devices.some((d) => d.id === IDLE_DEMO_SPEAKER.id)) {
    catalog.devices.push({
      id: IDLE_DEMO_SPEAKER.id,
      name: IDLE_DEMO_SPEAKER.name,
      type: 'Speaker',
      volumePercent: 35,
      supportsVolume: true,
      available: false,
    });
  }
  const speaker = catalog.devices.find((d) => d.id === IDLE_DEMO_SPEAKER.id)!;
  behaviours.setIdle(speaker, true);
  behaviours.configure(speaker.id, IDLE_DEMO_SPEAKER.behaviour);
}

/** A window during which the Web API is down: 5xx answers or dropped connections. */
export interface OutageSpec {
  /** Length on the emulator's clock; omitted = until `endOutage()`. */
  forMs?: number;
  /** `status` answers `status` (default 503); `reset` drops the connection. */
  mode?: 'status' | 'reset';
  status?: number;
}

/** The current Web API outage, if any. */
export class Outage {
  private spec: (OutageSpec & { until: number }) | undefined;

  constructor(private readonly clock: Clock) {}

  start(spec: OutageSpec = {}): void {
    const status = spec.status ?? 503;
    if (!Number.isInteger(status) || status < 500 || status > 599) {
      throw new RangeError('outage status must be a 5xx status');
    }
    if (spec.forMs !== undefined && !(spec.forMs > 0)) throw new RangeError('outage forMs must be > 0');
    this.spec = {
      ...spec,
      status,
      until: spec.forMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + spec.forMs,
    };
  }

  end(): void {
    this.spec = undefined;
  }

  /** The outage in force now, or undefined. */
  current(): { mode: 'status' | 'reset'; status: number } | undefined {
    const s = this.spec;
    if (!s) return undefined;
    if (this.clock.now() >= s.until) {
      this.spec = undefined;
      return undefined;
    }
    return { mode: s.mode ?? 'status', status: s.status ?? 503 };
  }
}

/** What the admin routes below need from the emulator. */
export interface BehaviourAdminTarget {
  outage: Outage;
  behaviours: DeviceBehaviours;
  findDevice(idOrName: string): DeviceRec | undefined;
  deviceChanged(device: DeviceRec): void;
  personPauses(): boolean;
}

/** An admin answer: status and JSON body (undefined body = 204). */
export type AdminAnswer = { status: number; body?: unknown };

const fieldError = (message: string, field: string): AdminAnswer => ({
  status: 400,
  body: { error: { status: 400, message, field } },
});

const optionalInt = (v: unknown, min: number, max: number) =>
  v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);

/**
 * The admin routes of the device behaviours, for demo mode and scripts:
 * `POST/DELETE /__emulator/outage` `{forMs?, mode?, status?}`,
 * `POST /__emulator/devices/:id/behaviour` `{idle?, volumeLagMs?, volumeStepPercent?}`,
 * `POST /__emulator/person` `{pause?: true, device?, volume?}`. Undefined when the route is not one of them.
 */
export function behaviourAdmin(
  method: string,
  path: string,
  body: Record<string, unknown>,
  t: BehaviourAdminTarget,
): AdminAnswer | undefined {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  if (route === 'DELETE /__emulator/outage') {
    t.outage.end();
    return { status: 204 };
  }
  if (route === 'POST /__emulator/outage') {
    if (!optionalInt(body.forMs, 1, 86_400_000))
      return fieldError('forMs must be a positive integer (ms)', 'forMs');
    if (body.mode !== undefined && body.mode !== 'status' && body.mode !== 'reset') {
      return fieldError('mode must be "status" or "reset"', 'mode');
    }
    if (!optionalInt(body.status, 500, 599)) return fieldError('status must be a 5xx status', 'status');
    t.outage.start(body as OutageSpec);
    return { status: 204 };
  }
  if (route === 'POST /__emulator/person') {
    if (body.pause !== undefined && body.pause !== true) return fieldError('pause must be true', 'pause');
    if (body.volume !== undefined) {
      if (!optionalInt(body.volume, 0, 100)) return fieldError('volume must be 0-100', 'volume');
      const device = typeof body.device === 'string' ? t.findDevice(body.device) : undefined;
      if (!device) return fieldError('device must name a device (id or name)', 'device');
      t.behaviours.record(device.id, body.volume as number);
    }
    return { status: 200, body: { paused: body.pause === true ? t.personPauses() : false } };
  }
  const m = /^POST \/__emulator\/devices\/([^/]+)\/behaviour$/.exec(route);
  if (!m) return undefined;
  const device = t.findDevice(decodeURIComponent(m[1]!));
  if (!device)
    return { status: 404, body: { error: { status: 404, message: 'Unknown device', field: 'id' } } };
  if (body.idle !== undefined && typeof body.idle !== 'boolean')
    return fieldError('idle must be a boolean', 'idle');
  if (!optionalInt(body.volumeLagMs, 0, 600_000))
    return fieldError('volumeLagMs must be 0-600000', 'volumeLagMs');
  if (!optionalInt(body.volumeStepPercent, 1, 100)) {
    return fieldError('volumeStepPercent must be 1-100', 'volumeStepPercent');
  }
  if (typeof body.idle === 'boolean') {
    t.behaviours.setIdle(device, body.idle);
    t.deviceChanged(device);
  }
  const behaviour: DeviceBehaviour = {};
  if (body.volumeLagMs !== undefined) behaviour.volumeLagMs = body.volumeLagMs as number;
  if (body.volumeStepPercent !== undefined) behaviour.volumeStepPercent = body.volumeStepPercent as number;
  if (body.volumeLagMs !== undefined || body.volumeStepPercent !== undefined)
    t.behaviours.configure(device.id, behaviour);
  return { status: 204 };
}
