/** The artist page, shown in the library card: the artist, their top tracks and albums (paged); back returns. */
import { api } from './api.js';
import { byId } from './dom.js';
import { formatCount } from './format.js';
import { language, onLanguageChange, t } from './i18n.js';
import { openItemSheet } from './item-sheet.js';
import { musicRow } from './music-list.js';
import { reportError } from './notices.js';
import { playItem } from './play-target.js';
import { devices } from './store.js';

/** @type {{id: string, body: any, error: string, loading: boolean}|null} */
let page = null;
/** Elements of the library's own view, hidden while an artist shows. */
const LIBRARY_PARTS = ['library-tabs', 'library-filter', 'library-list', 'library-empty', 'top-controls'];
/** @type {Map<string, boolean>} */
const hiddenBefore = new Map();

/** Wires the back and play buttons. */
export function initArtistView() {
  byId('artist-back').addEventListener('click', () => closeArtist());
  byId('artist-play').addEventListener('click', () => {
    const artist = page?.body?.artist;
    if (artist) playItem(artist, { deviceList: devices.get() });
  });
  byId('artist-more').addEventListener('click', () => moreAlbums());
  byId('artist-view').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeArtist();
  });
  onLanguageChange(() => render());
}

/** Shows the artist `id` in the library card. */
export async function openArtist(id) {
  if (!page) {
    for (const part of LIBRARY_PARTS) {
      hiddenBefore.set(part, byId(part).hidden);
      byId(part).hidden = true;
    }
  }
  page = { id, body: null, error: '', loading: true };
  byId('artist-view').hidden = false;
  render();
  byId('library').scrollIntoView({ block: 'start', behavior: 'smooth' });
  try {
    const body = await api.get(`/api/artists/${encodeURIComponent(id)}`);
    if (page?.id !== id) return;
    page.body = body;
  } catch (error) {
    if (page?.id !== id) return;
    page.error = error.status === 404 ? t('artist.notFound') : error.message;
    reportError(error, () => openArtist(id));
  } finally {
    if (page?.id === id) page.loading = false;
  }
  render();
  byId('artist-back').focus();
}

/** Back to the library lists. */
export function closeArtist() {
  if (!page) return;
  page = null;
  byId('artist-view').hidden = true;
  for (const part of LIBRARY_PARTS) byId(part).hidden = hiddenBefore.get(part) ?? false;
  byId('library-heading').focus?.();
}

async function moreAlbums() {
  const current = page;
  const offset = current?.body?.albums?.next_offset;
  if (!current || offset === null || offset === undefined) return;
  try {
    const body = await api.get(`/api/artists/${encodeURIComponent(current.id)}?albums_offset=${offset}`);
    if (page !== current) return;
    const albums = current.body.albums;
    const seen = new Set(albums.items.map((a) => a.uri));
    albums.items = [...albums.items, ...body.albums.items.filter((a) => !seen.has(a.uri))];
    albums.next_offset = body.albums.next_offset;
    render();
  } catch (error) {
    reportError(error, moreAlbums);
  }
}

function render() {
  if (!page) return;
  const artist = page.body?.artist;
  byId('artist-name').textContent = artist?.name ?? (page.loading ? t('library.loading') : '');
  const facts = [];
  if (artist?.genres?.length) facts.push(artist.genres.slice(0, 3).join(', '));
  if (typeof artist?.followers === 'number') {
    facts.push(t('artist.followers', { count: formatCount(artist.followers, language()) }));
  }
  byId('artist-facts').textContent = facts.join(' · ');
  const image = /** @type {HTMLImageElement} */ (byId('artist-image'));
  image.hidden = !artist?.image;
  if (artist?.image && image.src !== artist.image) image.src = artist.image;
  byId('artist-play').hidden = !artist;
  const status = byId('artist-status');
  status.hidden = !(page.error || page.loading);
  status.textContent = page.error || (page.loading ? t('library.loading') : '');
  status.dataset.state = page.error ? 'error' : 'loading';

  const actions = {
    open: (it) => playItem(it, { deviceList: devices.get() }),
    more: (it) => openItemSheet(it),
  };
  const top = page.body?.top_tracks ?? [];
  byId('artist-top').replaceChildren(...top.map((item) => musicRow(item, actions)));
  byId('artist-top-empty').hidden = !page.body || top.length > 0;
  const albums = page.body?.albums?.items ?? [];
  byId('artist-albums').replaceChildren(...albums.map((item) => musicRow(item, actions)));
  byId('artist-albums-empty').hidden = !page.body || albums.length > 0;
  const next = page.body?.albums?.next_offset;
  byId('artist-more').hidden = next === null || next === undefined;
  for (const id of ['artist-top-heading', 'artist-albums-heading']) byId(id).hidden = !page.body;
}
