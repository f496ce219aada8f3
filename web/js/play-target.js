/** "Play on…": the speaker music starts on (remembered in this browser), and the play and queue actions. */
import { api } from './api.js';
import { t } from './i18n.js';
import { chooseTarget, playBody } from './music-model.js';
import { flash, reportError, showNotice } from './notices.js';
import { observable } from './store.js';

const KEY = 'spotipi.playOn';

function readRemembered() {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

/** The device id chosen last in this browser ('' = none yet). */
export const rememberedDevice = observable(readRemembered());

/** Remembers `deviceId` as where music starts from now on. */
export function rememberDevice(deviceId) {
  try {
    localStorage.setItem(KEY, deviceId);
  } catch {
    // Private mode: remembered for this page only.
  }
  rememberedDevice.set(deviceId);
}

/** The device to play on now (see chooseTarget), or null. */
export function currentTarget(deviceList) {
  return chooseTarget(deviceList, rememberedDevice.get());
}

/** Listeners run after playback started or the queue changed (now playing re-reads its state). */
const afterChange = new Set();

/** Subscribes to "playback or queue changed by an action here". */
export function onMusicChanged(listener) {
  afterChange.add(listener);
}

function changed(what) {
  for (const listener of afterChange) listener(what);
}

/**
 * Plays an item on `deviceId` (default: the chosen speaker), within `contextUri` when given.
 * @returns {Promise<boolean>} whether Spotify took it
 */
export async function playItem(item, { deviceId, contextUri, deviceList = [] } = {}) {
  const target = deviceId ?? currentTarget(deviceList)?.id;
  try {
    await api.post('/api/playback/play', playBody(item, target, contextUri));
    flash(t('music.playing', { name: item.name }));
    changed('play');
    return true;
  } catch (error) {
    if (error.status === 400) showNotice('generic', t('notice.generic.title'), error.message, 'error');
    else reportError(error, () => playItem(item, { deviceId, contextUri, deviceList }));
    return false;
  }
}

/** Adds a track to the queue ("Up next"). */
export async function queueItem(item) {
  try {
    await api.post('/api/queue', { uri: item.uri });
    flash(t('music.queued', { name: item.name }));
    changed('queue');
    return true;
  } catch (error) {
    if (error.status === 400) showNotice('generic', t('notice.generic.title'), error.message, 'error');
    else reportError(error, () => queueItem(item));
    return false;
  }
}
