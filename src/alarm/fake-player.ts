import { SpotifyApiError } from '../spotify/errors.js';
import type { Clock } from '../token/types.js';
import type { AlarmPlayer, PlayerDevice, PlayerState, PlayRequest } from './player.js';

/** One recorded call to the fake player. */
export interface PlayerCall {
  method: keyof AlarmPlayer;
  args: unknown[];
  /** Wall ms of the call (when a clock was given). */
  at: number;
}

/** The Spotify client's HTTP error, as the fake raises it (a real SpotifyApiError, so `instanceof` holds). */
export class FakeSpotifyError extends SpotifyApiError {
  constructor(message: string, status: number, reason?: string) {
    super(message, status, 'fake player', reason);
  }
}

/**
 * A recording in-memory player for unit tests: devices, one playback state, per-device volume,
 * and queued failures per method. Not a mock of Spotify's HTTP: the emulator suites do that.
 */
export class FakePlayer implements AlarmPlayer {
  readonly calls: PlayerCall[] = [];
  devices: PlayerDevice[];
  playing = false;
  activeId: string | null = null;
  context: string | undefined;
  shuffle = false;
  userId = 'demo-user';
  private readonly failures = new Map<string, unknown[]>();

  constructor(
    devices: PlayerDevice[] = [{ id: 'dev-kitchen', name: 'Kitchen', is_active: false, volume_percent: 40 }],
    private readonly clock?: Clock,
  ) {
    this.devices = devices.map((d) => ({ ...d }));
    this.activeId = this.devices.find((d) => d.is_active)?.id ?? null;
  }

  /** Makes the next `times` calls of `method` throw `err`. */
  failNext(method: keyof AlarmPlayer, err: unknown, times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(err);
    this.failures.set(method, list);
  }

  /** Drops every queued failure (Spotify is healthy again). */
  clearFailures(): void {
    this.failures.clear();
  }

  /** Calls of one method, in order. */
  callsOf(method: keyof AlarmPlayer): PlayerCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The volume a device is at now. */
  volumeOf(deviceId: string): number | null | undefined {
    return this.devices.find((d) => d.id === deviceId)?.volume_percent;
  }

  /** Simulates the user turning the volume on the device. */
  userSetsVolume(deviceId: string, percent: number): void {
    const d = this.devices.find((x) => x.id === deviceId);
    if (d) d.volume_percent = percent;
  }

  private record(method: keyof AlarmPlayer, args: unknown[]): void {
    this.calls.push({ method, args, at: this.clock?.now() ?? Date.now() });
    const queue = this.failures.get(method);
    if (queue && queue.length > 0) throw queue.shift();
  }

  private device(id?: string): PlayerDevice {
    const d = this.devices.find((x) => x.id === (id ?? this.activeId));
    if (!d) throw new FakeSpotifyError(id ? `device ${id} not found` : 'no active device', 404);
    return d;
  }

  async getDevices(): Promise<PlayerDevice[]> {
    this.record('getDevices', []);
    return this.devices.map((d) => ({ ...d, is_active: d.id === this.activeId }));
  }

  async transferPlayback(deviceId: string, play?: boolean): Promise<void> {
    this.record('transferPlayback', [deviceId, play]);
    this.device(deviceId);
    this.activeId = deviceId;
    if (play) this.playing = true;
  }

  async setVolume(percent: number, deviceId?: string): Promise<void> {
    this.record('setVolume', [percent, deviceId]);
    const d = this.device(deviceId);
    if (d.supports_volume === false) {
      throw new FakeSpotifyError(
        'Player command failed: Cannot control device volume',
        403,
        'VOLUME_CONTROL_DISALLOW',
      );
    }
    d.volume_percent = percent;
  }

  async play(request: PlayRequest): Promise<void> {
    this.record('play', [request]);
    const d = this.device(request.deviceId);
    this.activeId = d.id;
    this.playing = true;
    this.context = request.contextUri ?? request.uris?.[0];
  }

  async setShuffle(on: boolean, deviceId?: string): Promise<void> {
    this.record('setShuffle', [on, deviceId]);
    this.device(deviceId);
    this.shuffle = on;
  }

  async pause(deviceId?: string): Promise<void> {
    this.record('pause', [deviceId]);
    this.device(deviceId);
    this.playing = false;
  }

  async getPlaybackState(): Promise<PlayerState | null> {
    this.record('getPlaybackState', []);
    if (!this.activeId) return null;
    const d = this.device();
    return {
      is_playing: this.playing,
      device: { ...d, is_active: true },
      context: this.context ? { uri: this.context } : null,
    };
  }

  async getCurrentUser(): Promise<{ id: string }> {
    this.record('getCurrentUser', []);
    return { id: this.userId };
  }
}
