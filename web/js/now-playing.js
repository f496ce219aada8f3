/**
 * The player card: now playing with a live progress bar you can seek on, transport controls,
 * repeat, like, the volume as the device allows it, shuffle and the speaker it plays on.
 */
import { api } from './api.js';
import { byId, h } from './dom.js';
import { formatTrackTime } from './format.js';
import { onLanguageChange, t } from './i18n.js';
import { icon } from './icons.js';
import { deviceIcon, nextRepeat, volumeView } from './music-model.js';
import { reportError } from './notices.js';
import { onMusicChanged, rememberDevice } from './play-target.js';
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
/** While the user drags the seek slider, polls do not move it. */
let seeking = false;
/** Liked state per track URI (read once per track). */
const likedByUri = new Map();
let likeFor = '';

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
    if (!select.value) return;
    rememberDevice(select.value);
    // Moving the music keeps it playing when it was.
    const play = Boolean(playback.get()?.isPlaying);
    command('PUT', '/api/playback/device', { device_id: select.value, play }, true);
  });
  const seek = /** @type {HTMLInputElement} */ (byId('np-seek'));
  seek.addEventListener('input', () => {
    seeking = true;
    showProgress(Number(seek.value), playback.get()?.durationMs ?? 0);
  });
  seek.addEventListener('change', () => seekTo(Number(seek.value)));
  byId('btn-repeat').addEventListener('click', () => {
    const next = nextRepeat(byId('btn-repeat').dataset.state ?? 'off');
    renderRepeat(next);
    command('PUT', '/api/playback/repeat', { state: next });
  });
  byId('btn-like').addEventListener('click', () => toggleLike());
  onMusicChanged(() => refresh());
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

/** The first look also asks whether the track is liked (one request; index.html preloads it). */
let firstLook = true;

/** Fetches playback state now. */
export async function refresh() {
  try {
    const raw = await api.get(firstLook ? '/playback_status?saved=1' : '/playback_status');
    firstLook = false;
    const uri = raw?.item?.uri;
    if (typeof uri === 'string' && typeof raw.item_saved === 'boolean') likedByUri.set(uri, raw.item_saved);
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

async function seekTo(positionMs) {
  const view = playback.get();
  seeking = false;
  if (view) playback.set({ ...view, progressMs: positionMs, fetchedAt: Date.now() });
  tickProgress();
  try {
    await api.put('/api/playback/seek', { position_ms: Math.max(0, Math.round(positionMs)) });
  } catch (error) {
    reportError(error, () => seekTo(positionMs));
  }
  await refresh();
}

/** Reads whether the current track is liked (once per track). */
async function loadLiked(uri) {
  likeFor = uri;
  if (!uri.startsWith('spotify:track:')) return renderLike(uri);
  if (!likedByUri.has(uri)) {
    try {
      const body = await api.get(`/api/library/saved?uris=${encodeURIComponent(uri)}`, { quiet: true });
      likedByUri.set(uri, Boolean(body?.saved?.[uri]));
    } catch {
      // Unknown: the heart stays neutral; a tap tries again.
    }
  }
  if (likeFor === uri) renderLike(uri);
}

async function toggleLike() {
  const uri = playback.get()?.trackUri ?? '';
  if (!uri.startsWith('spotify:track:')) return;
  const next = !likedByUri.get(uri);
  likedByUri.set(uri, next);
  renderLike(uri);
  try {
    await api.put('/api/library/saved', { uri, saved: next });
  } catch (error) {
    likedByUri.set(uri, !next);
    renderLike(uri);
    reportError(error, toggleLike);
  }
}

function renderLike(uri) {
  const button = byId('btn-like');
  const known = likedByUri.has(uri);
  const liked = likedByUri.get(uri) === true;
  button.hidden = !uri.startsWith('spotify:track:');
  button.setAttribute('aria-pressed', String(liked));
  button.dataset.known = String(known);
  button.setAttribute('aria-label', t(liked ? 'player.unlike' : 'player.like'));
}

function renderRepeat(state) {
  const button = byId('btn-repeat');
  button.dataset.state = state;
  button.setAttribute('aria-pressed', String(state !== 'off'));
  button.setAttribute('aria-label', t(`player.repeat.${state}`));
  button.title = t(`player.repeat.${state}`);
}

/** Shows the volume as the device allows: a slider, or why it cannot be changed. */
function renderVolume(view) {
  const state = volumeView(
    view?.deviceId ? { supportsVolume: view.supportsVolume, volume: view.volume } : null,
  );
  const slider = /** @type {HTMLInputElement} */ (byId('volume'));
  slider.disabled = state.state !== 'adjustable';
  const note = byId('volume-note');
  note.hidden = state.state !== 'locked';
  note.textContent =
    state.state === 'locked' ? t('player.volumeLocked', { device: view?.deviceName ?? '' }) : '';
  byId('volume-row').dataset.state = state.state;
  if (state.state !== 'adjustable') {
    byId('volume-out').textContent = state.value === null ? '–' : String(state.value);
    slider.setAttribute('aria-valuetext', state.state === 'locked' ? t('player.volumeFixed') : '–');
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
    renderLike('');
    renderRepeat(view?.repeat ?? 'off');
    renderVolume(view);
    renderDeviceIcon(view);
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
  renderVolume(view);
  renderRepeat(view.repeat);
  renderDeviceIcon(view);
  if (view.trackUri !== likeFor) loadLiked(view.trackUri);
  else renderLike(view.trackUri);
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
  if (seeking) return;
  const view = playback.get();
  const duration = view?.durationMs ?? 0;
  const progress = interpolatedProgress(view, Date.now());
  const seek = /** @type {HTMLInputElement} */ (byId('np-seek'));
  seek.max = String(Math.max(1, Math.round(duration)));
  seek.value = String(Math.round(progress));
  seek.disabled = !view?.title || duration <= 0;
  showProgress(progress, duration);
}

function showProgress(progress, duration) {
  const ratio = duration > 0 ? Math.min(1, progress / duration) : 0;
  byId('np-progress').style.transform = `scaleX(${ratio.toFixed(4)})`;
  byId('np-elapsed').textContent = formatTrackTime(progress);
  byId('np-duration').textContent = formatTrackTime(duration);
  byId('np-seek').setAttribute(
    'aria-valuetext',
    t('player.position', { elapsed: formatTrackTime(progress), duration: formatTrackTime(duration) }),
  );
}

function renderDeviceIcon(view) {
  const holder = byId('device-type-icon');
  const name = view?.deviceType ? deviceIcon(view.deviceType) : 'device';
  if (holder.firstElementChild?.getAttribute('data-icon') !== name) holder.replaceChildren(icon(name));
}

/** @param {ReturnType<typeof normaliseDevices>} list */
function renderDevices(list) {
  const select = /** @type {HTMLSelectElement} */ (byId('device-select'));
  const active = list.find((d) => d.isActive);
  const options = list.map((d) =>
    h('option', {
      value: d.id,
      disabled: d.restricted,
      text: d.restricted
        ? `${d.name} ${t('player.restricted')}`
        : d.supportsVolume === false
          ? `${d.name} ${t('player.fixedVolume')}`
          : d.name,
    }),
  );
  if (list.length === 0) options.push(h('option', { value: '', text: t('player.noDevices') }));
  else if (!active) options.unshift(h('option', { value: '', text: t('player.chooseDevice') }));
  select.replaceChildren(...options);
  select.value = active?.id ?? '';
}
