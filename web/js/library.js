/** The library card: tabs for playlists, albums and liked songs, rendered in pages as you scroll; a tap plays. */
import { api } from './api.js';
import { byId, h } from './dom.js';
import { formatCount } from './format.js';
import { language, onLanguageChange, t } from './i18n.js';
import { filterItems, normaliseLibrary } from './library-model.js';
import { flash, reportError, showNotice } from './notices.js';
import { refresh as refreshPlayback } from './now-playing.js';
import { library } from './store.js';

const PAGE = 30;
let kind = 'playlists';
let rendered = 0;
/** @type {import('./library-model.js').LibraryItem[]} */
let visible = [];
/** Last row of a partly rendered list; scrolling it into view renders the next page. */
const sentinel = h('li', { class: 'sentinel', 'aria-hidden': 'true' });
/** @type {IntersectionObserver|undefined} */
let observer;

/** Wires the tabs, filter and lazy rendering; loads the library. */
export function initLibrary() {
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
  byId('library-refresh').addEventListener('click', () => load(true));
  // The list scrolls inside its card, so the sentinel lives in the list and the list is the root.
  observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) renderMore();
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
  renderList();
}

function itemsFor(data) {
  if (!data) return [];
  if (kind === 'albums') return data.albums;
  if (kind === 'liked') return data.liked ? [{ ...data.liked, name: t('music.liked') }] : [];
  return data.playlists;
}

function renderList() {
  const data = library.get();
  const query = /** @type {HTMLInputElement} */ (byId('library-filter')).value;
  visible = filterItems(itemsFor(data), query);
  rendered = 0;
  byId('library-list').replaceChildren();
  byId('library-empty').hidden = !(data && visible.length === 0);
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

/** @param {import('./library-model.js').LibraryItem} item */
function renderItem(item) {
  const details = [
    item.subtitle
      ? item.kind === 'playlist'
        ? t('library.by', { owner: item.subtitle })
        : item.subtitle
      : '',
  ];
  if (item.total !== null) details.push(t('library.tracks', { count: formatCount(item.total, language()) }));
  const thumb = item.imageUrl
    ? h('img', { class: 'thumb', src: item.imageUrl, alt: '', loading: 'lazy', width: 48, height: 48 })
    : h('span', { class: `thumb thumb-${item.kind}`, 'aria-hidden': 'true' });
  if (thumb.tagName === 'IMG')
    thumb.addEventListener('error', () =>
      thumb.replaceWith(h('span', { class: 'thumb', 'aria-hidden': 'true' })),
    );
  const button = h(
    'button',
    {
      type: 'button',
      class: 'library-item',
      'aria-label': t('library.playItem', { name: item.name }),
      dataset: { uri: item.uri },
    },
    [
      thumb,
      h('span', { class: 'library-text' }, [
        h('span', { class: 'library-name', text: item.name }),
        h('span', { class: 'library-sub', text: details.filter(Boolean).join(' · ') }),
      ]),
      h('span', { class: 'library-play', 'aria-hidden': 'true', text: '▶' }),
    ],
  );
  button.addEventListener('click', () => play(item));
  return h('li', {}, [button]);
}

async function play(item) {
  try {
    await api.post('/api/playback/play', { context_uri: item.uri });
    flash(t('library.started', { name: item.name }));
  } catch (error) {
    if (error.status === 400) showNotice('generic', t('notice.generic.title'), error.message, 'error');
    else reportError(error, () => play(item));
  }
  await refreshPlayback();
}
