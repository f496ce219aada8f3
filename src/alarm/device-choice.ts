import type { RememberedDevice } from './device-memory.js';
import { NoDeviceError } from './error-kinds.js';
import type { PlayerDevice } from './player.js';

/** A device an alarm will address, and how it was chosen. */
export interface DeviceChoice {
  id: string;
  name: string;
  /** Listed as the active device (no transfer needed). */
  active: boolean;
  /** False when the device is known not to take volume commands. */
  supportsVolume: boolean;
  /**
   * `preferred`: the configured device, listed; `remembered`: the configured (or last seen)
   * device, not listed, addressed by its remembered id; `active`/`any`: a fallback.
   */
  how: 'preferred' | 'remembered' | 'active' | 'any';
  /** Why another device than the configured one plays (for `last_result`). */
  why?: string;
}

/** What `chooseDevice` needs to know. */
export interface ChoiceInput {
  listed: readonly PlayerDevice[];
  /** The alarm's `device` (name or id), or null for "the active device, else any". */
  preferred: string | null;
  remembered: (idOrName: string) => RememberedDevice | undefined;
  /** The most recently seen remembered device, for when nothing at all is listed. */
  lastSeen: RememberedDevice | undefined;
  /** How long this ring has been trying. */
  waitedMs: number;
  /** After this long an absent configured device gives way to another one. */
  fallbackAfterMs: number;
}

const usable = (d: PlayerDevice): d is PlayerDevice & { id: string } =>
  typeof d.id === 'string' && d.id.length > 0 && !d.is_restricted;

const fromListed = (
  d: PlayerDevice & { id: string },
  how: DeviceChoice['how'],
  why?: string,
): DeviceChoice => ({
  id: d.id,
  name: d.name,
  active: d.is_active,
  supportsVolume: d.supports_volume !== false,
  how,
  ...(why ? { why } : {}),
});

const fromMemory = (d: RememberedDevice, why?: string): DeviceChoice => ({
  id: d.id,
  name: d.name,
  active: false,
  supportsVolume: d.supports_volume !== false,
  how: 'remembered',
  ...(why ? { why } : {}),
});

/**
 * Decides which device a wake-up addresses on this attempt. A configured device that is listed
 * wins; one that is not listed is addressed by its remembered id (idle speakers drop out of the
 * list yet still answer) until `fallbackAfterMs`, and only then does another device play. Throws
 * NoDeviceError when there is nothing to address yet (the caller retries).
 */
export function chooseDevice(input: ChoiceInput): DeviceChoice {
  const listed = input.listed.filter(usable);
  const { preferred } = input;
  if (preferred) {
    const wanted = preferred.toLowerCase();
    const match =
      listed.find((d) => d.id === preferred) ?? listed.find((d) => d.name.toLowerCase() === wanted);
    if (match) return fromListed(match, 'preferred');
    const known = input.remembered(preferred);
    if (input.waitedMs < input.fallbackAfterMs) {
      if (known) return fromMemory(known);
      throw new NoDeviceError(`device "${preferred}" is not available yet`);
    }
    const seconds = Math.round(input.waitedMs / 1000);
    const why = `${known?.name ?? preferred} did not answer for ${seconds} s`;
    const other = listed.find((d) => d.is_active) ?? listed[0];
    if (other) return fromListed(other, other.is_active ? 'active' : 'any', why);
    // Nothing else to play on: keep knocking on the configured speaker.
    if (known) return fromMemory(known);
    throw new NoDeviceError(`device "${preferred}" is not available and no other device is`);
  }
  const active = listed.find((d) => d.is_active);
  if (active) return fromListed(active, 'active');
  const any = listed[0];
  if (any) return fromListed(any, 'any');
  if (input.lastSeen) return fromMemory(input.lastSeen, 'no device was listed; woke the last one seen');
  throw new NoDeviceError('no Spotify device is available');
}
