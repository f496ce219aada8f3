/**
 * Normalises the server's playback and device JSON into the few fields the UI shows.
 * Accepts Spotify's own `/me/player` shape (which /playback_status passes through) and
 * tolerates a flattened variant, so a server-side reshaping does not blank the player.
 */

/**
 * @typedef {{
 *   isPlaying: boolean, title: string, artist: string, album: string, imageUrl: string,
 *   progressMs: number, durationMs: number, shuffle: boolean, volume: number|null,
 *   deviceId: string, deviceName: string, contextUri: string, fetchedAt: number,
 *   trackUri: string, repeat: 'off'|'context'|'track', supportsVolume: boolean|null, deviceType: string
 * }} PlaybackView
 */

/**
 * @param {any} raw the JSON body (null for 204 / nothing playing)
 * @param {number} now epoch ms when the body arrived
 * @returns {PlaybackView|null}
 */
export function normalisePlayback(raw, now) {
  if (!raw || typeof raw !== 'object') return null;
  const body = raw.playback && typeof raw.playback === 'object' ? raw.playback : raw;
  const item = body.item ?? body.track ?? null;
  const device = body.device ?? null;
  const artists = Array.isArray(item?.artists) ? item.artists.map((a) => a?.name).filter(Boolean) : [];
  const images = item?.album?.images ?? item?.images ?? [];
  return {
    isPlaying: Boolean(body.is_playing ?? body.playing ?? false),
    title: String(item?.name ?? body.track_name ?? body.title ?? ''),
    artist: artists.length ? artists.join(', ') : String(body.artist ?? body.artist_name ?? ''),
    album: String(item?.album?.name ?? body.album ?? ''),
    imageUrl: pickImage(images) || String(body.album_image ?? body.image_url ?? ''),
    progressMs: Number(body.progress_ms ?? 0) || 0,
    durationMs: Number(item?.duration_ms ?? body.duration_ms ?? 0) || 0,
    shuffle: Boolean(body.shuffle_state ?? body.shuffle ?? false),
    volume: numberOrNull(device?.volume_percent ?? body.volume_percent ?? body.volume),
    deviceId: String(device?.id ?? body.device_id ?? ''),
    deviceName: String(device?.name ?? body.device_name ?? ''),
    contextUri: String(body.context?.uri ?? body.context_uri ?? ''),
    fetchedAt: now,
    trackUri: String(item?.uri ?? ''),
    repeat: ['off', 'context', 'track'].includes(body.repeat_state) ? body.repeat_state : 'off',
    // A volume-locked device says supports_volume: false (and usually volume_percent: null).
    supportsVolume: typeof device?.supports_volume === 'boolean' ? device.supports_volume : null,
    deviceType: String(device?.type ?? ''),
  };
}

/** The progress to show `now`, advancing between polls while playing and capped at the duration. */
export function interpolatedProgress(view, now) {
  if (!view) return 0;
  const elapsed = view.isPlaying ? Math.max(0, now - view.fetchedAt) : 0;
  const progress = view.progressMs + elapsed;
  return view.durationMs > 0 ? Math.min(progress, view.durationMs) : progress;
}

/** Picks a ~300 px image (Spotify lists largest first); '' when none. */
export function pickImage(images) {
  if (!Array.isArray(images) || images.length === 0) return '';
  const sized = images.filter((img) => img?.url);
  if (sized.length === 0) return '';
  const medium = sized.find((img) => (img.width ?? 0) > 0 && img.width <= 320);
  return String((medium ?? sized[0]).url);
}

/** `GET /api/devices` body (`{devices: [...]}` or a bare array) to `{id, name, type, isActive, volume, restricted, supportsVolume}`. */
export function normaliseDevices(raw) {
  const list = Array.isArray(raw) ? raw : Array.isArray(raw?.devices) ? raw.devices : [];
  return list
    .filter((d) => d && typeof d === 'object')
    .map((d) => ({
      id: String(d.id ?? ''),
      name: String(d.name ?? d.id ?? ''),
      type: String(d.type ?? ''),
      isActive: Boolean(d.is_active),
      volume: numberOrNull(d.volume_percent),
      restricted: Boolean(d.is_restricted),
      supportsVolume: d.supports_volume !== false,
    }));
}

function numberOrNull(value) {
  const n = Number(value);
  return value === null || value === undefined || Number.isNaN(n) ? null : n;
}
