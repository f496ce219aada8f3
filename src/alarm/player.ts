/**
 * The port through which alarms and the sleep timer drive Spotify. Shapes follow Spotify's
 * wire format, so the Web API client (`SpotifyWebApi`) satisfies it as it is.
 */

/** A Spotify Connect device (subset of Spotify's device object). */
export interface PlayerDevice {
  id: string | null;
  name: string;
  is_active: boolean;
  is_restricted?: boolean;
  volume_percent?: number | null;
  /** Spotify's device type ("Speaker", "TV", "Smartphone", …). */
  type?: string;
  /** False for devices whose volume cannot be set (`403 VOLUME_CONTROL_DISALLOW`). */
  supports_volume?: boolean;
}

/** Playback state (subset of `GET /v1/me/player`); null when nothing plays anywhere. */
export interface PlayerState {
  is_playing: boolean;
  device?: PlayerDevice | null;
  context?: { uri: string } | null;
}

/** What to play: a context (playlist/album/artist) or a list of tracks. */
export interface PlayRequest {
  deviceId?: string;
  contextUri?: string;
  uris?: string[];
}

/** The player commands an alarm needs. */
export interface AlarmPlayer {
  getDevices(): Promise<PlayerDevice[]>;
  transferPlayback(deviceId: string, play?: boolean): Promise<void>;
  setVolume(percent: number, deviceId?: string): Promise<void>;
  play(request: PlayRequest): Promise<void>;
  setShuffle(on: boolean, deviceId?: string): Promise<void>;
  pause(deviceId?: string): Promise<void>;
  getPlaybackState(): Promise<PlayerState | null>;
  /** Needed only for the `liked` keyword (Liked Songs live at `spotify:user:<id>:collection`). */
  getCurrentUser?(): Promise<{ id: string }>;
}
