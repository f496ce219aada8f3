/**
 * Normalises `GET /api/music-library` into three lists of playable items. Accepts Spotify's
 * paging/saved-album wrappers or plain arrays, so either server shape renders.
 */

/** @typedef {{uri: string, name: string, subtitle: string, imageUrl: string, kind: 'playlist'|'album'|'liked', total: number|null}} LibraryItem */

/** Keyword the API accepts for the user's Liked Songs (see src/alarm/model.ts LIKED_SONGS). */
export const LIKED_URI = 'liked';

/**
 * @param {any} raw
 * @returns {{playlists: LibraryItem[], albums: LibraryItem[], liked: LibraryItem|null}}
 */
export function normaliseLibrary(raw) {
  const body = raw && typeof raw === 'object' ? (raw.library ?? raw) : {};
  const playlists = listOf(body.playlists).map((p) => ({
    uri: String(p.uri ?? ''),
    name: String(p.name ?? ''),
    subtitle: String(p.subtitle ?? p.owner?.display_name ?? p.owner_name ?? ''),
    imageUrl: smallestUseful(p.images) || String(p.image ?? p.image_url ?? ''),
    kind: /** @type {const} */ ('playlist'),
    total: numberOrNull(p.tracks?.total ?? p.track_count ?? p.total_tracks ?? p.tracks_total),
  }));
  const albums = listOf(body.albums ?? body.saved_albums).map((entry) => {
    const a = entry.album ?? entry;
    return {
      uri: String(a.uri ?? ''),
      name: String(a.name ?? ''),
      subtitle: Array.isArray(a.artists)
        ? a.artists.map((x) => x?.name ?? x).join(', ')
        : String(a.subtitle ?? a.artist ?? ''),
      imageUrl: smallestUseful(a.images) || String(a.image ?? a.image_url ?? ''),
      kind: /** @type {const} */ ('album'),
      total: numberOrNull(a.total_tracks ?? a.track_count ?? a.tracks?.total),
    };
  });
  const likedRaw = body.liked_songs ?? body.liked ?? body.liked_tracks ?? body.saved_tracks;
  const likedTotal =
    typeof likedRaw === 'number'
      ? likedRaw
      : numberOrNull(likedRaw?.total ?? likedRaw?.count ?? body.liked_tracks_count);
  const liked =
    likedRaw === undefined && likedTotal === null
      ? null
      : {
          uri: String(likedRaw?.uri || likedRaw?.context_uri || LIKED_URI),
          name: '',
          subtitle: '',
          imageUrl: '',
          kind: /** @type {const} */ ('liked'),
          total: likedTotal,
        };
  return {
    playlists: playlists.filter((p) => p.uri),
    albums: albums.filter((a) => a.uri),
    liked,
  };
}

/** Case- and accent-insensitive filter on name and subtitle. */
export function filterItems(items, query) {
  const q = fold(query);
  if (!q) return items;
  return items.filter((item) => fold(item.name).includes(q) || fold(item.subtitle).includes(q));
}

function fold(text) {
  return String(text ?? '')
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .trim();
}

function listOf(value) {
  if (Array.isArray(value)) return value.filter((x) => x && typeof x === 'object');
  if (value && Array.isArray(value.items)) return value.items.filter((x) => x && typeof x === 'object');
  return [];
}

/** Spotify lists images largest first; a list row wants the smallest at least 60 px wide. */
function smallestUseful(images) {
  if (!Array.isArray(images) || images.length === 0) return '';
  const withUrl = images.filter((i) => i?.url);
  const fitting = withUrl.filter((i) => (i.width ?? 0) >= 60).sort((a, b) => (a.width ?? 0) - (b.width ?? 0));
  return String((fitting[0] ?? withUrl[withUrl.length - 1])?.url ?? '');
}

function numberOrNull(value) {
  const n = Number(value);
  return value === null || value === undefined || Number.isNaN(n) ? null : n;
}
