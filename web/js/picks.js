/**
 * Recently picked music: the last few things chosen as an alarm's or the sleep timer's music,
 * kept in this browser and offered as chips beside those music choices.
 */
import { h } from './dom.js';
import { addPick, parsePicks } from './music-model.js';
import { observable } from './store.js';

const KEY = 'spotipi.recentPicks';

function read() {
  try {
    return parsePicks(localStorage.getItem(KEY));
  } catch {
    return [];
  }
}

/** The picks, newest first; views subscribe to redraw their chips. */
export const picks = observable(read());

/** Records `item` ({uri, name, kind}) as picked just now. */
export function rememberPick(item) {
  const next = addPick(picks.get(), item);
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Private mode: the chips last for this page only.
  }
  picks.set(next);
}

/** The name to show for a URI that was picked before (or ''). */
export function pickName(uri) {
  return picks.get().find((p) => p.uri === uri)?.name ?? '';
}

/**
 * Renders the chips into `container`; a tap calls `choose(pick)`. Hidden when there are none.
 * @param {HTMLElement} container
 * @param {(pick: {uri: string, name: string}) => void} choose
 */
export function renderPickChips(container, choose) {
  const list = picks.get();
  container.hidden = list.length === 0;
  const chips = container.querySelector('.chips') ?? container;
  chips.replaceChildren(
    ...list.map((pick) =>
      h(
        'button',
        {
          type: 'button',
          class: 'chip chip-pick',
          title: pick.name,
          dataset: { uri: pick.uri },
          onclick: () => choose(pick),
        },
        [h('span', { class: 'chip-text', text: pick.name })],
      ),
    ),
  );
}
