import type { Clock } from '../token/types.js';
import type { Catalog, DeviceRec } from './catalog.js';
import { addIdleDemoSpeaker, DeviceBehaviours } from './device-behaviour.js';
import { SeededRandom } from './random.js';
import type { EmulatorPlayback } from './types.js';

/** A player command Spotify would refuse; becomes `{"error":{status,message,reason}}`. */
export class PlayerError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

const noActiveDevice = () =>
  new PlayerError(404, 'Player command failed: No active device found', 'NO_ACTIVE_DEVICE');

interface State {
  deviceId: string;
  contextUri: string | null;
  /** Track ids in context order. */
  queue: string[];
  /** Play order: indexes into `queue` (identity, or a permutation when shuffling). */
  order: number[];
  /** Position in `order`. */
  pos: number;
  isPlaying: boolean;
  /** Progress at `anchorAt`; while playing, progress grows with the clock from there. */
  anchorProgress: number;
  anchorAt: number;
  shuffle: boolean;
  repeat: 'off' | 'track' | 'context';
  /** Indexes into `queue` of tracks added with `enqueue` (they play before the context goes on). */
  added?: Set<number>;
}

export interface PlayRequest {
  deviceId?: string;
  contextUri?: string;
  uris?: string[];
  offset?: { position?: number; uri?: string };
  positionMs?: number;
}

/** The player of the demo account: state that lives on the injected clock. */
export class PlaybackModel {
  private state: State | null = null;
  private readonly rnd = new SeededRandom(7);
  /** Lagging/rounding volume reports and idle speakers. */
  readonly behaviours: DeviceBehaviours;

  constructor(
    private readonly catalog: Catalog,
    private readonly clock: Clock,
    initial: 'paused' | 'playing' | 'none' = 'paused',
  ) {
    this.behaviours = new DeviceBehaviours(clock);
    addIdleDemoSpeaker(catalog, this.behaviours);
    for (const d of catalog.devices) this.behaviours.install(d);
    const first = catalog.playlists[0];
    const device = catalog.devices[0];
    if (initial !== 'none' && first && device) {
      this.start(
        device.id,
        `spotify:playlist:${first.id}`,
        first.items.map((i) => i.trackId),
        0,
        0,
      );
      this.state!.isPlaying = initial === 'playing';
    }
  }

  /** Current state with progress brought up to the clock's now, or null when no device is active. */
  snapshot(): (EmulatorPlayback & { timestamp: number; trackId: string | null }) | null {
    const s = this.tick();
    if (!s) return null;
    const index = s.order[s.pos] ?? 0;
    return {
      deviceId: s.deviceId,
      contextUri: s.contextUri,
      queue: s.queue.map((id) => `spotify:track:${id}`),
      index,
      isPlaying: s.isPlaying,
      progressMs: s.anchorProgress,
      shuffle: s.shuffle,
      repeat: s.repeat,
      timestamp: this.clock.now(),
      trackId: s.queue[index] ?? null,
    };
  }

  activeDeviceId(): string | null {
    return this.state?.deviceId ?? null;
  }

  play(req: PlayRequest): void {
    const s = this.tick();
    const deviceId = req.deviceId ? this.device(req.deviceId, true).id : s?.deviceId;
    if (!deviceId) throw noActiveDevice();

    if (req.contextUri || req.uris) {
      let queue: string[];
      let contextUri: string | null = null;
      if (req.contextUri) {
        queue = this.resolveContext(req.contextUri);
        contextUri = req.contextUri;
      } else {
        queue = req.uris!.map((uri) => this.resolveTrackUri(uri));
      }
      if (queue.length === 0) throw new PlayerError(400, 'Player command failed: Context is empty');
      let index = 0;
      if (req.offset?.position !== undefined) {
        index = req.offset.position;
        if (!Number.isInteger(index) || index < 0 || index >= queue.length) {
          throw new PlayerError(400, 'Invalid offset');
        }
      } else if (req.offset?.uri !== undefined) {
        index = queue.indexOf(this.resolveTrackUri(req.offset.uri));
        if (index < 0) throw new PlayerError(400, 'Invalid offset uri');
      }
      const shuffle = s?.shuffle ?? false;
      const repeat = s?.repeat ?? 'off';
      this.start(deviceId, contextUri, queue, index, req.positionMs ?? 0);
      this.state!.repeat = repeat;
      if (shuffle) this.applyShuffle(true);
      return;
    }

    if (!s) {
      // Nothing to resume: start the liked songs, as a fresh Spotify session would offer.
      this.start(
        deviceId,
        this.likedSongsUri(),
        this.catalog.savedTracks.map((t) => t.trackId),
        0,
        0,
      );
      return;
    }
    s.deviceId = deviceId;
    if (req.positionMs !== undefined) s.anchorProgress = Math.min(req.positionMs, this.currentDuration(s));
    s.isPlaying = true;
    s.anchorAt = this.clock.now();
  }

  pause(deviceId?: string): void {
    const s = this.target(deviceId);
    if (!s.isPlaying) throw new PlayerError(403, 'Player command failed: Restriction violated', 'UNKNOWN');
    s.isPlaying = false;
    s.anchorAt = this.clock.now();
  }

  next(deviceId?: string): void {
    const s = this.target(deviceId);
    this.skip(s, 1);
  }

  previous(deviceId?: string): void {
    const s = this.target(deviceId);
    // Like the apps: after the first seconds "previous" restarts the track.
    if (s.anchorProgress > 3000 || s.pos === 0) {
      s.anchorProgress = 0;
      s.anchorAt = this.clock.now();
      return;
    }
    this.skip(s, -1);
  }

  seek(positionMs: number, deviceId?: string): void {
    const s = this.target(deviceId);
    const duration = this.currentDuration(s);
    if (positionMs >= duration) {
      this.skip(s, 1);
      return;
    }
    s.anchorProgress = positionMs;
    s.anchorAt = this.clock.now();
  }

  setVolume(percent: number, deviceId?: string): void {
    const device = deviceId ? this.device(deviceId) : this.activeDevice();
    if (!device.supportsVolume) {
      throw new PlayerError(
        403,
        'Player command failed: Cannot control device volume',
        'VOLUME_CONTROL_DISALLOW',
      );
    }
    device.volumePercent = percent;
  }

  setShuffle(on: boolean, deviceId?: string): void {
    const s = this.target(deviceId);
    if (s.shuffle !== on) this.applyShuffle(on);
  }

  setRepeat(repeat: 'off' | 'track' | 'context', deviceId?: string): void {
    const s = this.target(deviceId);
    s.repeat = repeat;
  }

  transfer(deviceId: string, play?: boolean): void {
    const device = this.device(deviceId, true);
    const s = this.tick();
    if (!s) {
      this.start(
        device.id,
        this.likedSongsUri(),
        this.catalog.savedTracks.map((t) => t.trackId),
        0,
        0,
      );
      this.state!.isPlaying = play === true;
      return;
    }
    s.deviceId = device.id;
    if (play === true && !s.isPlaying) {
      s.isPlaying = true;
      s.anchorAt = this.clock.now();
    }
  }

  /** `POST /me/player/queue`: the track plays after the current one and after tracks added before it. */
  enqueue(trackUri: string, deviceId?: string): void {
    const s = this.target(deviceId);
    s.queue.push(this.resolveTrackUri(trackUri));
    const index = s.queue.length - 1;
    s.added ??= new Set();
    const added = s.added;
    let at = s.pos + 1;
    while (at < s.order.length && added.has(s.order[at]!)) at++;
    s.order.splice(at, 0, index);
    added.add(index);
  }

  /** `GET /me/player/queue`: the current track id and up to `limit` ids that play after it. */
  upNext(limit = 20): { current: string | null; next: string[] } {
    const s = this.tick();
    if (!s) return { current: null, next: [] };
    const ahead = s.order.slice(s.pos + 1, s.pos + 1 + limit).map((i) => s.queue[i]!);
    return { current: s.queue[s.order[s.pos] ?? 0] ?? null, next: ahead };
  }

  /** Drops playback (no active device), e.g. when the active device disappears. */
  clear(): void {
    this.state = null;
  }

  /** Called when a device's availability changes. */
  deviceChanged(device: DeviceRec): void {
    if (!device.available && this.state?.deviceId === device.id) this.clear();
  }

  /** A person pauses on the speaker (or in another app); false when nothing was playing. */
  personPauses(): boolean {
    const s = this.tick();
    if (!s?.isPlaying) return false;
    s.isPlaying = false;
    s.anchorAt = this.clock.now();
    return true;
  }

  private likedSongsUri(): string {
    return `spotify:user:${this.catalog.user.id}:collection`;
  }

  private start(
    deviceId: string,
    contextUri: string | null,
    queue: string[],
    index: number,
    positionMs: number,
  ) {
    this.state = {
      deviceId,
      contextUri,
      queue,
      order: queue.map((_, i) => i),
      pos: index,
      isPlaying: true,
      anchorProgress: 0,
      anchorAt: this.clock.now(),
      shuffle: false,
      repeat: 'off',
    };
    this.state.anchorProgress = Math.min(Math.max(0, positionMs), this.currentDuration(this.state) - 1);
  }

  private applyShuffle(on: boolean): void {
    const s = this.state!;
    const current = s.order[s.pos] ?? 0;
    if (on) {
      const rest = this.rnd.shuffle(s.queue.map((_, i) => i).filter((i) => i !== current));
      s.order = [current, ...rest];
      s.pos = 0;
    } else {
      s.order = s.queue.map((_, i) => i);
      s.pos = current;
    }
    s.shuffle = on;
  }

  private skip(s: State, delta: 1 | -1): void {
    let pos = s.pos + delta;
    if (pos >= s.order.length) pos = s.repeat === 'context' || s.repeat === 'track' ? 0 : s.order.length - 1;
    if (pos < 0) pos = 0;
    if (delta === 1 && s.pos === s.order.length - 1 && s.repeat === 'off') {
      // Past the end of the context: Spotify stops at the start of it.
      s.pos = 0;
      s.isPlaying = false;
    } else {
      s.pos = pos;
    }
    s.anchorProgress = 0;
    s.anchorAt = this.clock.now();
  }

  private target(deviceId?: string): State {
    const s = this.tick();
    if (deviceId) this.device(deviceId);
    if (!s) throw noActiveDevice();
    return s;
  }

  private activeDevice(): DeviceRec {
    const id = this.tick()?.deviceId;
    if (!id) throw noActiveDevice();
    return this.device(id);
  }

  /**
   * A listed device by id. With `wake` (transfer, play?device_id=) an idle speaker answers too
   * and is listed again, as Spotify Connect speakers do when addressed by id.
   */
  private device(id: string, wake = false): DeviceRec {
    const device = this.catalog.devices.find(
      (d) => d.id === id && (d.available || (wake && this.behaviours.isIdle(d.id))),
    );
    if (!device) throw new PlayerError(404, 'Device not found');
    if (!device.available) this.behaviours.setIdle(device, false);
    return device;
  }

  private currentDuration(s: State): number {
    const id = s.queue[s.order[s.pos] ?? 0];
    return (id && this.catalog.tracks.get(id)?.durationMs) || 1;
  }

  /** Advances progress to now, moving through tracks that ended in the meantime. */
  private tick(): State | null {
    const s = this.state;
    if (!s) return null;
    const now = this.clock.now();
    if (!s.isPlaying) return s;
    let progress = s.anchorProgress + Math.max(0, now - s.anchorAt);
    for (let guard = 0; guard < 100_000; guard++) {
      const duration = this.currentDuration(s);
      if (progress < duration) break;
      progress -= duration;
      if (s.repeat === 'track') {
        progress %= duration;
        continue;
      }
      if (s.pos + 1 < s.order.length) {
        s.pos++;
      } else if (s.repeat === 'context') {
        s.pos = 0;
      } else {
        s.pos = 0;
        s.isPlaying = false;
        progress = 0;
        break;
      }
    }
    s.anchorProgress = progress;
    s.anchorAt = now;
    return s;
  }

  private resolveTrackUri(uri: string): string {
    const m = /^spotify:track:([A-Za-z0-9]+)$/.exec(uri);
    if (!m) throw new PlayerError(400, `Unsupported uri kind: ${uri.split(':')[1] ?? 'unknown'}`);
    if (!this.catalog.tracks.has(m[1]!)) throw new PlayerError(404, 'Track not found');
    return m[1]!;
  }

  private resolveContext(uri: string): string[] {
    const parts = uri.split(':');
    if (parts[0] !== 'spotify') throw new PlayerError(400, 'Invalid context uri');
    if ((parts[1] === 'user' && parts[3] === 'collection') || uri === 'spotify:collection:tracks') {
      return this.catalog.savedTracks.map((t) => t.trackId);
    }
    const id = parts[2] ?? '';
    switch (parts[1]) {
      case 'playlist': {
        const p = this.catalog.playlistsById.get(id);
        if (!p) throw new PlayerError(404, 'Context not found');
        return p.items.map((i) => i.trackId);
      }
      case 'album': {
        const a = this.catalog.albums.get(id);
        if (!a) throw new PlayerError(404, 'Context not found');
        return a.trackIds;
      }
      case 'artist': {
        if (!this.catalog.artists.has(id)) throw new PlayerError(404, 'Context not found');
        return [...this.catalog.tracks.values()]
          .filter((t) => t.artistIds[0] === id)
          .sort((a, b) => b.popularity - a.popularity)
          .slice(0, 10)
          .map((t) => t.id);
      }
      default:
        throw new PlayerError(400, 'Invalid context uri');
    }
  }
}
