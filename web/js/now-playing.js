/** The player card: now playing with a live progress bar, transport controls, volume, shuffle, devices. */
import { api } from './api.js';
import { byId, h } from './dom.js';
import { formatTrackTime } from './format.js';
import { onLanguageChange, t } from './i18n.js';
import { reportError } from './notices.js';
import { interpolatedProgress, normaliseDevices, normalisePlayback } from './playback-model.js';
import { Poller } from './poller.js';
import { devices, playback } from './store.js';

const POLL_MS = 4000;
/** Keep the slider where the user left it while the server catches up. */
const VOLUME_HOLD_MS = 2500;

let poller;
let volumeTimer;
let volumeHeldUntil = 0;
let shownImageUrl = '';

/** Starts the player card; returns its poller. */
export function initNowPlaying() {
  const playPause = byId('btn-playpause');
  playPause.addEventListener('click', () => togglePlay());
  byId('btn-next').addEventListener('click', () => command('POST', '/api/playback/next'));
  byId('btn-previous').addEventListener('click', () => command('POST', '/api/playback/previous'));
  byId('btn-shuffle').addEventListener('click', () => {
    const next = byId('btn-shuffle').getAttribute('aria-pressed') !== 'true';
    byId('btn-shuffle').setAttribute('aria-pressed', String(next));
    command('PUT', '/api/playback/shuffle', { state: next });
  });
  const volume = /** @type {HTMLInputElement} */ (byId('volume'));
  volume.addEventListener('input', () => {
    volumeHeldUntil = Date.now() + VOLUME_HOLD_MS;
    showVolume(Number(volume.value));
    clearTimeout(volumeTimer);
    volumeTimer = setTimeout(() => {
      command('PUT', '/api/playback/volume', { volume: Number(volume.value) }, false);
    }, 250);
  });
  const select = /** @type {HTMLSelectElement} */ (byId('device-select'));
  select.addEventListener('change', () => {
    if (select.value) command('PUT', '/api/playback/device', { device_id: select.value }, true);
  });
  byId('btn-devices-refresh').addEventListener('click', () => loadDevices());
  byId('np-cover').addEventListener('error', () => {
    byId('np-cover').hidden = true;
  });

  devices.subscribe(renderDevices);
  onLanguageChange(() => {
    render(playback.get());
    renderDevices(devices.get());
  });
  setInterval(tickProgress, 500);

  poller = new Poller(refresh, POLL_MS);
  return poller;
}

/** Fetches playback state now. */
export async function refresh() {
  try {
    const raw = await api.get('/playback_status');
    const view = normalisePlayback(raw, Date.now());
    playback.set(view);
    render(view);
  } catch (error) {
    reportError(error);
  }
}

/** Loads the device list into the shared store. */
export async function loadDevices() {
  try {
    devices.set(normaliseDevices(await api.get('/api/devices')));
  } catch (error) {
    reportError(error, loadDevices);
  }
}

async function togglePlay() {
  const view = playback.get();
  const playing = Boolean(view?.isPlaying);
  // Optimistic: show the new state at once, correct it with the next poll.
  if (view)
    playback.set({
      ...view,
      isPlaying: !playing,
      progressMs: interpolatedProgress(view, Date.now()),
      fetchedAt: Date.now(),
    });
  renderPlayState(!playing, view?.title ?? '');
  await command('POST', playing ? '/api/playback/pause' : '/api/playback/play', playing ? undefined : {});
}

/**
 * Sends a control request, reports failures, then re-reads the state.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {boolean} [refreshAfter]
 */
async function command(method, path, body, refreshAfter = true) {
  try {
    if (method === 'POST') await api.post(path, body);
    else await api.put(path, body);
  } catch (error) {
    reportError(error, () => command(method, path, body, refreshAfter));
  }
  if (refreshAfter) {
    await refresh();
    if (path.endsWith('/device')) loadDevices();
  }
}

/** @param {import('./playback-model.js').PlaybackView|null} view */
function render(view) {
  const title = byId('np-title');
  const cover = /** @type {HTMLImageElement} */ (byId('np-cover'));
  if (!view?.title) {
    title.textContent = t('player.nothing');
    byId('np-artist').textContent = '';
    byId('np-device').textContent = view?.deviceName ? t('player.onDevice', { device: view.deviceName }) : '';
    cover.hidden = true;
    shownImageUrl = '';
    renderPlayState(Boolean(view?.isPlaying), '');
    tickProgress();
    return;
  }
  title.textContent = view.title;
  byId('np-artist').textContent = view.artist;
  byId('np-device').textContent = view.deviceName ? t('player.onDevice', { device: view.deviceName }) : '';
  if (view.imageUrl !== shownImageUrl) {
    shownImageUrl = view.imageUrl;
    if (view.imageUrl) {
      cover.hidden = false;
      cover.src = view.imageUrl;
      cover.alt = view.album || view.title;
    } else {
      cover.hidden = true;
      cover.removeAttribute('src');
    }
  }
  renderPlayState(view.isPlaying, view.title);
  byId('btn-shuffle').setAttribute('aria-pressed', String(view.shuffle));
  if (view.volume !== null && Date.now() > volumeHeldUntil) {
    /** @type {HTMLInputElement} */ (byId('volume')).value = String(view.volume);
    showVolume(view.volume);
  }
  const select = /** @type {HTMLSelectElement} */ (byId('device-select'));
  if (
    view.deviceId &&
    select.value !== view.deviceId &&
    [...select.options].some((o) => o.value === view.deviceId)
  ) {
    select.value = view.deviceId;
  }
  tickProgress();
}

function renderPlayState(isPlaying, title) {
  const button = byId('btn-playpause');
  button.dataset.state = isPlaying ? 'playing' : 'paused';
  button.setAttribute('aria-label', t(isPlaying ? 'player.pause' : 'player.play'));
  const stateText = title ? t(isPlaying ? 'player.statePlaying' : 'player.statePaused', { title }) : '';
  const live = byId('np-state');
  if (live.textContent !== stateText) live.textContent = stateText;
}

function showVolume(value) {
  byId('volume-out').textContent = String(value);
  byId('volume').setAttribute('aria-valuetext', `${value}%`);
}

function tickProgress() {
  const view = playback.get();
  const progress = interpolatedProgress(view, Date.now());
  const duration = view?.durationMs ?? 0;
  const ratio = duration > 0 ? progress / duration : 0;
  byId('np-progress').style.transform = `scaleX(${ratio.toFixed(4)})`;
  byId('np-elapsed').textContent = formatTrackTime(progress);
  byId('np-duration').textContent = formatTrackTime(duration);
}

/** @param {ReturnType<typeof normaliseDevices>} list */
function renderDevices(list) {
  const select = /** @type {HTMLSelectElement} */ (byId('device-select'));
  const active = list.find((d) => d.isActive);
  const options = list.map((d) =>
    h('option', {
      value: d.id,
      disabled: d.restricted,
      text: d.restricted ? `${d.name} ${t('player.restricted')}` : d.name,
    }),
  );
  if (list.length === 0) options.push(h('option', { value: '', text: t('player.noDevices') }));
  else if (!active) options.unshift(h('option', { value: '', text: t('player.chooseDevice') }));
  select.replaceChildren(...options);
  select.value = active?.id ?? '';
}
