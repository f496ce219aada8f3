/**
 * Pure decisions of the music views (no DOM): search groups and paging, the recently picked list,
 * device icons, the repeat cycle and what the volume control may honestly show.
 */

/** The search groups in the order they are shown, with their catalogue key. */
export const SEARCH_GROUPS = /** @type {const} */ ([
  ['tracks', 'search.tracks'],
  ['artists', 'search.artists'],
  ['albums', 'search.albums'],
  ['playlists', 'search.playlists'],
]);

/** Shortest query worth sending (one letter finds everything and nothing). */
export const MIN_QUERY = 2;
/** Typing pause before a search is sent, in ms. */
export const SEARCH_DEBOUNCE_MS = 350;

/** What the search box should do with `text`: nothing yet, show the hint, or search. */
export function searchIntent(text) {
  const q = String(text ?? '').trim();
  if (q.length === 0) return { kind: 'idle', q: '' };
  if (q.length < MIN_QUERY) return { kind: 'short', q };
  return { kind: 'search', q };
}

/**
 * Merges a further page of one group into the shown results (no duplicates).
 * @param {{items: any[], total: number, next_offset: number|null}|undefined} shown
 * @param {{items: any[], total: number, next_offset: number|null}} page
 */
export function appendPage(shown, page) {
  if (!shown) return page;
  const seen = new Set(shown.items.map((i) => i.uri));
  return {
    ...page,
    items: [...shown.items, ...page.items.filter((i) => !seen.has(i.uri))],
  };
}

/** Whether a search answer has nothing in any group. */
export function isEmptyResult(body) {
  return SEARCH_GROUPS.every(([key]) => !body?.[key]?.items?.length);
}

/** How many picks the chips show. */
export const MAX_PICKS = 5;

/**
 * The recently picked list after choosing `item` (newest first, no duplicates, at most MAX_PICKS).
 * @param {{uri: string, name: string, kind?: string}[]} list
 * @param {{uri: string, name: string, kind?: string}} item
 */
export function addPick(list, item) {
  if (!item?.uri || !item?.name) return list;
  const clean = { uri: String(item.uri), name: String(item.name), kind: String(item.kind ?? '') };
  return [clean, ...(Array.isArray(list) ? list : []).filter((p) => p?.uri !== clean.uri)].slice(
    0,
    MAX_PICKS,
  );
}

/** Reads a stored picks list defensively (anything malformed becomes []). */
export function parsePicks(text) {
  try {
    const value = JSON.parse(text ?? '[]');
    return Array.isArray(value)
      ? value.filter((p) => p && typeof p.uri === 'string' && typeof p.name === 'string').slice(0, MAX_PICKS)
      : [];
  } catch {
    return [];
  }
}

/** The icon name for a Spotify Connect device type. */
export function deviceIcon(type) {
  switch (String(type ?? '').toLowerCase()) {
    case 'speaker':
    case 'avr':
    case 'stb':
    case 'audiodongle':
      return 'speaker';
    case 'tv':
    case 'castvideo':
      return 'tv';
    case 'computer':
      return 'computer';
    case 'smartphone':
    case 'tablet':
      return 'phone';
    default:
      return 'device';
  }
}

/**
 * The device to play on: the remembered one while it is listed, else the active one, else none
 * (Spotify then uses whatever is active).
 * @param {{id: string, isActive: boolean, restricted?: boolean}[]} devices
 * @param {string} remembered
 */
export function chooseTarget(devices, remembered) {
  const usable = (devices ?? []).filter((d) => d.id && !d.restricted);
  return usable.find((d) => d.id === remembered) ?? usable.find((d) => d.isActive) ?? null;
}

/** Repeat cycles like Spotify's button: off → context ("all") → track ("one") → off. */
export function nextRepeat(state) {
  if (state === 'off') return 'context';
  if (state === 'context') return 'track';
  return 'off';
}

/**
 * What the volume control may show for a device: a number it can change, or locked (the device
 * takes no volume commands), or unknown (nothing plays).
 * @param {{supportsVolume?: boolean|null, volume?: number|null}|null} device
 */
export function volumeView(device) {
  if (!device) return { state: 'unknown', value: null };
  if (device.supportsVolume === false) return { state: 'locked', value: device.volume ?? null };
  if (device.volume === null || device.volume === undefined) return { state: 'unknown', value: null };
  return { state: 'adjustable', value: device.volume };
}

/**
 * The body of `POST /api/playback/play` for an item: a context for albums, playlists and artists;
 * a track within its album (so playback goes on) or alone.
 * @param {{kind: string, uri: string, album?: {uri: string}}} item
 * @param {string} [deviceId]
 * @param {string} [contextUri] play the track within this context (e.g. Liked Songs) instead
 */
export function playBody(item, deviceId, contextUri) {
  /** @type {Record<string, unknown>} */
  const body = {};
  if (item.kind === 'track') {
    if (contextUri) {
      body.context_uri = contextUri;
      body.offset = { uri: item.uri };
    } else if (item.album?.uri) {
      body.context_uri = item.album.uri;
      body.offset = { uri: item.uri };
    } else body.uris = [item.uri];
  } else body.context_uri = item.uri;
  if (deviceId) body.device_id = deviceId;
  return body;
}
