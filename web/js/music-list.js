/** Rows of music (tracks, albums, artists, playlists): a tap plays (an artist opens), "more" opens the actions. */
import { h } from './dom.js';
import { formatTrackTime } from './format.js';
import { t } from './i18n.js';
import { icon } from './icons.js';

/**
 * @typedef {{kind: string, uri: string, id: string, name: string, subtitle: string, image: string|null,
 *   duration_ms?: number, year?: string, album?: {uri: string, name: string}, artists?: {id: string, name: string}[]}} MusicItem
 * @typedef {{open: (item: MusicItem) => void, more: (item: MusicItem) => void, detail?: (item: MusicItem) => string}} RowActions
 */

/**
 * One list row.
 * @param {MusicItem} item
 * @param {RowActions} actions
 */
export function musicRow(item, actions) {
  const thumb = item.image
    ? h('img', {
        class: `thumb thumb-${item.kind}`,
        src: item.image,
        alt: '',
        loading: 'lazy',
        width: 48,
        height: 48,
      })
    : h('span', { class: `thumb thumb-${item.kind}`, 'aria-hidden': 'true' });
  if (thumb.tagName === 'IMG') {
    thumb.addEventListener('error', () =>
      thumb.replaceWith(h('span', { class: `thumb thumb-${item.kind}`, 'aria-hidden': 'true' })),
    );
  }
  const detail = actions.detail?.(item) ?? defaultDetail(item);
  const main = h(
    'button',
    {
      type: 'button',
      class: 'library-item music-open',
      'aria-label': t(item.kind === 'artist' ? 'music.openArtist' : 'library.playItem', { name: item.name }),
      dataset: { uri: item.uri, kind: item.kind },
    },
    [
      thumb,
      h('span', { class: 'library-text' }, [
        h('span', { class: 'library-name', text: item.name }),
        h('span', { class: 'library-sub', text: detail }),
      ]),
    ],
  );
  main.addEventListener('click', () => actions.open(item));
  const more = h(
    'button',
    {
      type: 'button',
      class: 'icon-button icon-button-small music-more',
      'aria-label': t('music.more', { name: item.name }),
      'aria-haspopup': 'dialog',
    },
    [icon('more')],
  );
  more.addEventListener('click', () => actions.more(item));
  return h('li', { class: 'music-row', dataset: { uri: item.uri } }, [main, more]);
}

/** "Artist · 3:41" for tracks, "Artist · 2019" for albums, genres for artists, "by Owner" for playlists. */
function defaultDetail(item) {
  if (item.kind === 'track') {
    return [item.subtitle, item.duration_ms ? formatTrackTime(item.duration_ms) : '']
      .filter(Boolean)
      .join(' · ');
  }
  if (item.kind === 'album') return [item.subtitle, item.year].filter(Boolean).join(' · ');
  if (item.kind === 'playlist') return item.subtitle ? t('library.by', { owner: item.subtitle }) : '';
  return item.subtitle || t('music.kind.artist');
}
