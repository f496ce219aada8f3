/** How many answers each music cache keeps (each entry is a page of Spotify items, a few KB). */
export interface MusicCacheLimits {
  /** Search answers (query, types, page). */
  search: number;
  /** Library sections (Liked Songs pages, followed artists, recently played, top items). */
  sections: number;
  /** Artist pages (artist, top tracks, a page of albums). */
  artists: number;
}

const STANDARD: MusicCacheLimits = { search: 200, sections: 50, artists: 30 };
/**
 * The low-power profile (SPOTIPI_LOW_POWER, a Pi Zero): a tenth. Only the latest few answers are
 * looked at again on a phone; older ones are fetched anew when revisited, at the cost of a Spotify
 * call, and the cache never grows beyond ~100 KB.
 */
const LOW_POWER: MusicCacheLimits = { search: 20, sections: 5, artists: 3 };

/** The music caches' sizes for a profile. */
export function musicCacheLimits(lowPower: boolean): MusicCacheLimits {
  return lowPower ? LOW_POWER : STANDARD;
}
