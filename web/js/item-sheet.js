/**
 * The actions of one piece of music, in a sheet: play now on a chosen speaker ("play on…",
 * remembered), add to the queue, go to the artist, use it for an alarm or the sleep timer.
 */
import { byId, h } from './dom.js';
import { t } from './i18n.js';
import { icon } from './icons.js';
import { deviceIcon } from './music-model.js';
import { currentTarget, playItem, queueItem, rememberDevice } from './play-target.js';
import { devices } from './store.js';

/** @type {any} */
let current = null;
/** @type {{contextUri?: string}} */
let currentOptions = {};
/** @type {{openArtist?: (id: string) => void, useForAlarm?: (item: any) => void, useForSleep?: (item: any) => void}} */
const handlers = {};

/** Wires the sheet's buttons; `hooks` connect it to the artist page, the alarm form and the sleep timer. */
export function initItemSheet(hooks) {
  Object.assign(handlers, hooks);
  const dialog = /** @type {HTMLDialogElement} */ (byId('item-sheet'));
  byId('sheet-play').addEventListener('click', async () => {
    const item = current;
    const deviceId = chosenDevice();
    if (deviceId) rememberDevice(deviceId);
    dialog.close();
    await playItem(item, {
      deviceId: deviceId || undefined,
      contextUri: currentOptions.contextUri,
      deviceList: devices.get(),
    });
  });
  byId('sheet-queue').addEventListener('click', async () => {
    const item = current;
    dialog.close();
    await queueItem(item);
  });
  byId('sheet-artist').addEventListener('click', () => {
    const artist = current?.kind === 'artist' ? current : current?.artists?.[0];
    dialog.close();
    if (artist?.id) handlers.openArtist?.(artist.id);
  });
  byId('sheet-alarm').addEventListener('click', () => {
    const item = current;
    dialog.close();
    handlers.useForAlarm?.(item);
  });
  byId('sheet-sleep').addEventListener('click', () => {
    const item = current;
    dialog.close();
    handlers.useForSleep?.(item);
  });
  // A tap on the backdrop closes the sheet.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  devices.subscribe(() => {
    if (dialog.open) renderDevices();
  });
}

/**
 * Opens the sheet for `item`.
 * @param {any} item
 * @param {{contextUri?: string}} [options] play a track within this context (Liked Songs)
 */
export function openItemSheet(item, options = {}) {
  current = item;
  currentOptions = options;
  byId('sheet-title').textContent = item.name;
  byId('sheet-sub').textContent = [t(`music.kind.${item.kind}`), item.subtitle].filter(Boolean).join(' · ');
  byId('sheet-queue').hidden = item.kind !== 'track';
  const artist = item.kind === 'artist' ? item : item.artists?.[0];
  byId('sheet-artist').hidden = !artist?.id;
  byId('sheet-artist').textContent =
    item.kind === 'artist' ? t('sheet.openArtist') : t('sheet.goToArtist', { name: artist?.name ?? '' });
  renderDevices();
  /** @type {HTMLDialogElement} */ (byId('item-sheet')).showModal();
  byId('sheet-play').focus();
}

function renderDevices() {
  const list = devices.get();
  const target = currentTarget(list);
  const choices = list.map((d) =>
    h('label', { class: `device-choice${d.restricted ? ' device-restricted' : ''}` }, [
      h('input', {
        type: 'radio',
        name: 'sheet-device',
        value: d.id,
        checked: target?.id === d.id,
        disabled: d.restricted,
      }),
      icon(deviceIcon(d.type), 'icon device-icon'),
      h('span', { class: 'device-name', text: d.name }),
      d.isActive ? h('span', { class: 'device-active', text: t('sheet.active') }) : null,
    ]),
  );
  byId('sheet-device-list').replaceChildren(...choices);
  byId('sheet-no-devices').hidden = list.length > 0;
}

function chosenDevice() {
  const checked = /** @type {HTMLInputElement|null} */ (
    byId('sheet-device-list').querySelector('input[name="sheet-device"]:checked')
  );
  return checked?.value ?? '';
}
