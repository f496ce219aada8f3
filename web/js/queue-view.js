/** "Up next" in the player card: what plays after the current track; read when opened and after changes. */
import { api } from './api.js';
import { byId } from './dom.js';
import { t } from './i18n.js';
import { openItemSheet } from './item-sheet.js';
import { musicRow } from './music-list.js';
import { reportError } from './notices.js';
import { onMusicChanged } from './play-target.js';
import { playback } from './store.js';

/** How many rows "Up next" shows. */
const SHOW = 10;
let lastTrack = '';
let loading = false;

/** Wires the panel: loads when opened, after a queue change, and when the track changes while open. */
export function initQueueView() {
  const panel = /** @type {HTMLDetailsElement} */ (byId('queue-panel'));
  panel.addEventListener('toggle', () => {
    if (panel.open) load();
  });
  onMusicChanged(() => {
    if (panel.open) load();
  });
  playback.subscribe((view) => {
    const track = view?.trackUri ?? '';
    if (track !== lastTrack) {
      lastTrack = track;
      if (panel.open) load();
    }
  });
}

/** Reads the queue now. */
export async function load() {
  if (loading) return;
  loading = true;
  const status = byId('queue-status');
  try {
    const body = await api.get('/api/queue', { quiet: true });
    const items = (body?.queue ?? []).slice(0, SHOW);
    byId('queue-list').replaceChildren(
      ...items.map((item) =>
        musicRow(item, { open: (it) => openItemSheet(it), more: (it) => openItemSheet(it) }),
      ),
    );
    // Nothing playing: Spotify answers with an empty queue, which is not "nothing after this track".
    status.textContent = items.length ? '' : t(body?.currently_playing ? 'queue.empty' : 'queue.noDevice');
    status.dataset.state = 'empty';
    status.hidden = items.length > 0;
  } catch (error) {
    byId('queue-list').replaceChildren();
    status.textContent = error.status === 409 ? t('queue.noDevice') : t('queue.failed');
    status.dataset.state = 'error';
    status.hidden = false;
    if (error.status !== 409) reportError(error, load);
  } finally {
    loading = false;
  }
}
