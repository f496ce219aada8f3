/**
 * The library card: tabs for playlists, albums, Liked Songs, followed artists, recently played and
 * top items, rendered in pages as you scroll; a tap plays (on the chosen speaker), an artist opens.
 * Sections beyond playlists and albums are fetched on first view (the server caches them).
 */
import { api } from './api.js';
import { byId, h } from './dom.js';
import { formatCount } from './format.js';
import { language, onLanguageChange, t } from './i18n.js';
import { openItemSheet } from './item-sheet.js';
import { filterItems, normaliseLibrary } from './library-model.js';
import { musicRow } from './music-list.js';
import { reportError } from './notices.js';
import { playItem } from './play-target.js';
import { devices, library } from './store.js';

const PAGE = 30;
let kind = 'playlists';
let rendered = 0;
/** @type {import('./library-model.js').LibraryItem[]} */
let visible = [];
/** Last row of a partly rendered list; scrolling it into view renders the next page. */
const sentinel = h('li', { class: 'sentinel', 'aria-hidden': 'true' });
/** @type {IntersectionObserver|undefined} */
let observer;
/** Sections loaded on first view: `{items, next_offset?, loading, error}` per key. */
const sections = new Map();
/** @type {(id: string) => void} */
let openArtist = () => {};
const SECTION_KINDS = new Set(['liked', 'artists', 'recent', 'top']);

/** Wires the tabs, filter and lazy rendering; loads the library. `hooks.openArtist` shows an artist page. */
export function initLibrary(hooks = {}) {
  if (hooks.openArtist) openArtist = hooks.openArtist;
  for (const id of ['top-type', 'top-range']) {
    byId(id).addEventListener('change', () => {
      if (kind === 'top') showSection(false);
    });
  }
  const tabs = [...document.querySelectorAll('#library [role="tab"]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => selectTab(tab, tabs));
    tab.addEventListener('keydown', (event) => {
      // Arrow keys move between tabs (WAI-ARIA tabs pattern).
      const index = tabs.indexOf(tab);
      let next = -1;
      if (event.key === 'ArrowRight') next = (index + 1) % tabs.length;
      else if (event.key === 'ArrowLeft') next = (index - 1 + tabs.length) % tabs.length;
      else if (event.key === 'Home') next = 0;
      else if (event.key === 'End') next = tabs.length - 1;
      if (next >= 0) {
        event.preventDefault();
        tabs[next].focus();
        selectTab(tabs[next], tabs);
      }
    });
  }
  byId('library-filter').addEventListener('input', () => renderList());
  byId('library-refresh').addEventListener('click', () => {
    if (SECTION_KINDS.has(kind)) showSection(true);
    else load(true);
  });
  // The list scrolls inside its card, so the sentinel lives in the list and the list is the root.
  observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        if (SECTION_KINDS.has(kind)) loadMoreSection();
        else renderMore();
      }
    },
    { root: byId('library-list'), rootMargin: '0px 0px 200px 0px' },
  );
  library.subscribe(() => renderList());
  onLanguageChange(() => renderList());
  load(false);
}

/** Loads the library (`force` bypasses the server's short cache). */
export async function load(force) {
  byId('library-list').setAttribute('aria-busy', 'true');
  try {
    library.set(
      normaliseLibrary(await api.get(force ? '/api/music-library?refresh=1' : '/api/music-library')),
    );
  } catch (error) {
    reportError(error, () => load(force));
  } finally {
    byId('library-list').setAttribute('aria-busy', 'false');
  }
}

function selectTab(tab, tabs) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
  }
  kind = tab.dataset.kind;
  byId('library-list').setAttribute('aria-labelledby', tab.id);
  byId('top-controls').hidden = kind !== 'top';
  if (SECTION_KINDS.has(kind)) showSection(false);
  else renderList();
}

function sectionKey() {
  if (kind !== 'top') return kind;
  return `top:${selectValue('top-type')}:${selectValue('top-range')}`;
}

function selectValue(id) {
  return /** @type {HTMLSelectElement} */ (byId(id)).value;
}

function sectionUrl(key, offset, force) {
  const refresh = force ? 'refresh=1' : '';
  if (key === 'liked') return `/api/library/liked?offset=${offset}${refresh ? `&${refresh}` : ''}`;
  if (key === 'artists') return `/api/library/artists${refresh ? `?${refresh}` : ''}`;
  if (key === 'recent') return `/api/library/recent${refresh ? `?${refresh}` : ''}`;
  const [, type, range] = key.split(':');
  return `/api/library/top?type=${type}&time_range=${range}${refresh ? `&${refresh}` : ''}`;
}

/** Shows the current section, loading it the first time (or again with `force`). */
async function showSection(force) {
  const key = sectionKey();
  const known = sections.get(key);
  if (known && !force && !known.error) {
    renderSection();
    return;
  }
  const state = { items: [], next_offset: null, loading: true, error: '' };
  sections.set(key, state);
  renderSection();
  try {
    const body = await api.get(sectionUrl(key, 0, force));
    state.items = body.items ?? [];
    state.next_offset = body.next_offset ?? null;
  } catch (error) {
    state.error = error.message || t('library.failed');
    reportError(error, () => showSection(true));
  } finally {
    state.loading = false;
  }
  if (sectionKey() === key) renderSection();
}

/** Liked Songs is paged: the next page when the list's end scrolls into view. */
async function loadMoreSection() {
  const key = sectionKey();
  const state = sections.get(key);
  if (!state || state.loading || state.next_offset === null || state.next_offset === undefined) return;
  state.loading = true;
  try {
    const body = await api.get(sectionUrl(key, state.next_offset, false));
    const seen = new Set(state.items.map((i) => i.uri));
    state.items = [...state.items, ...(body.items ?? []).filter((i) => !seen.has(i.uri))];
    state.next_offset = body.next_offset ?? null;
  } catch (error) {
    reportError(error, loadMoreSection);
  } finally {
    state.loading = false;
  }
  if (sectionKey() === key) renderSection();
}

function renderSection() {
  const list = byId('library-list');
  const state = sections.get(sectionKey());
  const query = /** @type {HTMLInputElement} */ (byId('library-filter')).value;
  const items = filterItems(state?.items ?? [], query);
  const likedUri = library.get()?.liked?.uri;
  const rows = items.map((item) =>
    musicRow(item, {
      open: (it) => {
        if (it.kind === 'artist') openArtist(it.id);
        else playItem(it, { contextUri: contextFor(it, likedUri), deviceList: devices.get() });
      },
      more: (it) => openItemSheet(it, { contextUri: contextFor(it, likedUri) }),
      detail: kind === 'recent' ? recentDetail : undefined,
    }),
  );
  if (kind === 'liked' && likedUri && items.length > 0 && !query) {
    const all = h('button', { type: 'button', class: 'library-item liked-all', dataset: { uri: likedUri } }, [
      h('span', { class: 'thumb thumb-liked', 'aria-hidden': 'true' }),
      h('span', { class: 'library-text' }, [
        h('span', { class: 'library-name', text: t('library.playAllLiked') }),
        h('span', {
          class: 'library-sub',
          text: t('library.tracks', { count: formatCount(library.get()?.liked?.total, language()) }),
        }),
      ]),
    ]);
    all.addEventListener('click', () =>
      playItem({ kind: 'playlist', uri: likedUri, name: t('music.liked') }, { deviceList: devices.get() }),
    );
    rows.unshift(h('li', {}, [all]));
  }
  sentinel.remove();
  list.replaceChildren(...rows);
  if (kind === 'liked' && state?.next_offset !== null && state?.next_offset !== undefined && observer) {
    list.append(sentinel);
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }
  list.setAttribute('aria-busy', String(Boolean(state?.loading)));
  const empty = byId('library-empty');
  empty.textContent = state?.error
    ? t('library.failed')
    : state?.loading
      ? t('library.loading')
      : t(`library.empty.${kind}`);
  empty.dataset.state = state?.error ? 'error' : state?.loading ? 'loading' : 'empty';
  empty.hidden = rows.length > 0;
}

/** Liked songs play on from the track in Liked Songs; recently played in the context it was played from. */
function contextFor(item, likedUri) {
  if (kind === 'liked') return likedUri || undefined;
  if (kind === 'recent' && item.context_uri && /^spotify:(playlist|album):/.test(item.context_uri)) {
    return item.context_uri;
  }
  return undefined;
}

function recentDetail(item) {
  const when = item.played_at ? new Date(item.played_at) : null;
  const time =
    when && !Number.isNaN(when.getTime())
      ? new Intl.DateTimeFormat(language(), { weekday: 'short', hour: '2-digit', minute: '2-digit' }).format(
          when,
        )
      : '';
  return [item.subtitle, time].filter(Boolean).join(' · ');
}

function itemsFor(data) {
  if (!data) return [];
  if (kind === 'albums') return data.albums;
  return data.playlists;
}

function renderList() {
  if (SECTION_KINDS.has(kind)) {
    renderSection();
    return;
  }
  const data = library.get();
  const query = /** @type {HTMLInputElement} */ (byId('library-filter')).value;
  visible = filterItems(itemsFor(data), query);
  rendered = 0;
  byId('library-list').replaceChildren();
  const empty = byId('library-empty');
  empty.textContent = t('library.empty');
  empty.dataset.state = 'empty';
  empty.hidden = !(data && visible.length === 0);
  renderMore();
}

function renderMore() {
  const list = byId('library-list');
  const slice = visible.slice(rendered, rendered + PAGE);
  rendered += slice.length;
  sentinel.remove();
  list.append(...slice.map(renderItem));
  if (rendered < visible.length && observer) {
    list.append(sentinel);
    // Observing afresh reports at once when the sentinel is still in view (a tall list, short rows).
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }
}

/**
 * A playlist or album row: a tap plays it on the chosen speaker, "more" offers play on…, alarm, sleep.
 * @param {import('./library-model.js').LibraryItem} item
 */
function renderItem(item) {
  const music = {
    kind: item.kind,
    id: '',
    uri: item.uri,
    name: item.name,
    subtitle: item.subtitle,
    image: item.imageUrl || null,
  };
  return musicRow(music, {
    open: (it) => playItem(it, { deviceList: devices.get() }),
    more: (it) => openItemSheet(it),
    detail: () => {
      const details = [
        item.subtitle
          ? item.kind === 'playlist'
            ? t('library.by', { owner: item.subtitle })
            : item.subtitle
          : '',
      ];
      if (item.total !== null)
        details.push(t('library.tracks', { count: formatCount(item.total, language()) }));
      return details.filter(Boolean).join(' · ');
    },
  });
}
