import type { Logger } from '../token/types.js';
import type { DeviceMemory } from './device-memory.js';
import { describeError } from './errors.js';
import type { AlarmPlayer } from './player.js';

/**
 * Lists Spotify's devices in the background and hands them to the device memory, so it knows a
 * speaker before the speaker goes idle and drops out of Spotify's list.
 */
export class DeviceLearner {
  /** Listings in flight. */
  private readonly listings = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly player: AlarmPlayer,
    private readonly devices: DeviceMemory,
    private readonly log: Logger,
    private readonly enabled: boolean,
  ) {}

  /** Starts one listing unless learning is off or closed; a failure is logged at debug. */
  learn(): void {
    if (!this.enabled || this.closed) return;
    const listing = this.player.getDevices().then(
      (list) => {
        if (!this.closed) this.devices.remember(list);
      },
      (err) => this.log.debug({ err: describeError(err) }, 'could not list devices to remember them'),
    );
    this.listings.add(listing);
    listing.finally(() => this.listings.delete(listing));
  }

  /** Stops learning and waits for listings in flight, so no write lands after shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.listings]);
  }
}
