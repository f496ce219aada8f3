/** The search card: one box, results grouped by type, typing debounced, each group paged. */
import { api } from './api.js';
import { byId, h } from './dom.js';
import { onLanguageChange, t } from './i18n.js';
import { openItemSheet } from './item-sheet.js';
import { musicRow } from './music-list.js';
import { appendPage, isEmptyResult, SEARCH_DEBOUNCE_MS, SEARCH_GROUPS, searchIntent } from './music-model.js';
import { reportError } from './notices.js';
import { playItem } from './play-target.js';
import { devices } from './store.js';

/** Results per group at first (a phone screen's worth), then per "more" (Spotify's Development Mode maximum). */
const FIRST_PAGE = 5;
const PAGE = 10;
let timer;
/** Bumped per search; answers to an older one are dropped. */
let generation = 0;
/** @type {{q: string, body: any}|null} */
let shown = null;
/** @type {(id: string) => void} */
let openArtist = () => {};
/** The status line's state (and the error behind it), to redraw it in another language. */
let lastState = { state: 'idle', error: /** @type {any} */ (null) };

/** Wires the box; `hooks.openArtist` shows an artist page. */
export function initSearch(hooks) {
  openArtist = hooks.openArtist;
  const input = /** @type {HTMLInputElement} */ (byId('search-input'));
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => run(input.value), SEARCH_DEBOUNCE_MS);
  });
  byId('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    run(input.value);
  });
  onLanguageChange(() => {
    render();
    setState(lastState.state, lastState.error ? errorText(lastState.error) : '');
  });
  setState('idle');
}

async function run(text) {
  const intent = searchIntent(text);
  const mine = ++generation;
  if (intent.kind !== 'search') {
    shown = null;
    render();
    setState(intent.kind);
    return;
  }
  if (shown?.q === intent.q) return;
  setState('loading');
  try {
    const body = await api.get(`/api/search?q=${encodeURIComponent(intent.q)}&limit=${FIRST_PAGE}`, {
      quiet: true,
    });
    if (mine !== generation) return;
    shown = { q: intent.q, body };
    render();
    setState(isEmptyResult(body) ? 'empty' : 'results');
  } catch (error) {
    if (mine !== generation) return;
    shown = null;
    render();
    lastState = { state: 'error', error };
    setState('error', errorText(error));
    reportError(error, () => run(text));
  }
}

async function more(key, type, offset) {
  if (!shown) return;
  const { q } = shown;
  try {
    const body = await api.get(
      `/api/search?q=${encodeURIComponent(q)}&type=${type}&limit=${PAGE}&offset=${offset}`,
    );
    if (shown?.q !== q) return;
    shown.body[key] = appendPage(shown.body[key], body[key]);
    render();
  } catch (error) {
    reportError(error, () => more(key, type, offset));
  }
}

/** The reason a search failed, in the page's language where the cause is known. */
function errorText(error) {
  if (error.status === 0) return t('search.errorOffline');
  if (error.status === 502 || error.status === 504) return t('search.errorDown');
  if (error.status === 429 || error.status === 503) return t('search.errorSlow');
  return t('search.error', { message: error.message });
}

/** Shows the line under the box: idle hint, too short, searching, nothing found, or the error. */
function setState(state, message = '') {
  if (state !== 'error') lastState = { state, error: null };
  const status = byId('search-status');
  const text = {
    idle: t('search.hint'),
    short: t('search.short'),
    loading: t('search.loading'),
    empty: t('search.empty', {
      q: shown?.q ?? searchIntent(/** @type {HTMLInputElement} */ (byId('search-input')).value).q,
    }),
    error: message,
    results: '',
  }[state];
  status.textContent = text ?? '';
  status.dataset.state = state;
  status.hidden = !text;
  byId('search-results').setAttribute('aria-busy', String(state === 'loading'));
}

function render() {
  const container = byId('search-results');
  if (!shown) {
    container.replaceChildren();
    return;
  }
  const sections = [];
  for (const [key, labelKey] of SEARCH_GROUPS) {
    const group = shown.body?.[key];
    if (!group?.items?.length) continue;
    const type = key.slice(0, -1);
    const list = h(
      'ul',
      { class: 'music-list', 'aria-label': t(labelKey) },
      group.items.map((item) =>
        musicRow(item, {
          open: (it) =>
            it.kind === 'artist' ? openArtist(it.id) : playItem(it, { deviceList: devices.get() }),
          more: (it) => openItemSheet(it),
        }),
      ),
    );
    const moreButton =
      group.next_offset !== null && group.next_offset !== undefined
        ? h('button', {
            type: 'button',
            class: 'button button-small button-quiet search-more',
            text: t('search.more', { shown: group.items.length, total: group.total }),
            onclick: () => more(key, type, group.next_offset),
          })
        : null;
    sections.push(
      h('section', { class: 'search-group', dataset: { group: key } }, [
        h('h3', { class: 'group-title', text: t(labelKey) }),
        list,
        moreButton,
      ]),
    );
  }
  container.replaceChildren(...sections);
}
