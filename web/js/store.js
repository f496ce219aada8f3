/** A few shared values (devices, library, playback) that several views read; views subscribe to changes. */

/**
 * @template T
 * @param {T} initial
 */
export function observable(initial) {
  let value = initial;
  const listeners = new Set();
  return {
    get: () => value,
    /** @param {T} next */
    set(next) {
      value = next;
      for (const listener of listeners) listener(value);
    },
    /** @param {(value: T) => void} listener */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Spotify Connect devices as the API returned them. */
export const devices = observable(/** @type {any[]} */ ([]));
/** The music library: `{playlists, albums, liked}` normalised by library.js. */
export const library = observable(/** @type {{playlists: any[], albums: any[], liked: any} | null} */ (null));
/** The latest playback state, normalised by now-playing.js. */
export const playback = observable(/** @type {any} */ (null));
