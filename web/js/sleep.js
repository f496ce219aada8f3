/**
 * The sleep timer card: minutes, music (with recently picked chips), speaker, volume, shuffle and
 * fade-out; a live countdown and cancel. Speaker, volume, shuffle and fade-out are kept as the
 * sleep defaults (`PUT /api/sleep/settings`), so the form opens as it was last used.
 */

import { fillMusicOptions } from './alarms.js';
import { api, whenSettled } from './api.js';
import { byId, h, near, show } from './dom.js';
import { formatCountdown } from './format.js';
import { clearErrors, showFieldError } from './forms.js';
import { onLanguageChange, t } from './i18n.js';
import { flash, reportError } from './notices.js';
import { picks, rememberPick, renderPickChips } from './picks.js';
import { Poller } from './poller.js';
import { loadSleepDefaults, saveSleepDefaults } from './sleep-defaults.js';
import { devices, library } from './store.js';

const POLL_MS = 20000;
/** Epoch ms when the running timer ends, or 0. */
let endsAt = 0;
/** The speaker saved in the defaults (a name or id), kept while the device list loads. */
let savedDevice = '';
/** Form controls the user changed: the defaults, arriving later, leave them as they are. */
const touched = new Set();

/**
 * Wires the card; returns its poller. The timer's state and the form's defaults are read when the
 * card first comes near the screen (the poller is held until then): a first view of the page's
 * top asks nothing for it.
 */
export function initSleep() {
  const form = /** @type {HTMLFormElement} */ (byId('sleep-form'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(form);
  });
  for (const chip of form.querySelectorAll('[data-minutes]')) {
    chip.addEventListener('click', () => {
      input('sleep-minutes').value = /** @type {HTMLElement} */ (chip).dataset.minutes ?? '30';
      touched.add('sleep-minutes');
    });
  }
  for (const type of ['input', 'change']) {
    form.addEventListener(type, (event) => touched.add(/** @type {HTMLElement} */ (event.target).id));
  }
  byId('sleep-cancel').addEventListener('click', () => cancel());
  const volume = input('sleep-volume');
  volume.addEventListener('input', () => {
    byId('sleep-volume-out').textContent = volume.value;
  });
  const context = byId('sleep-context');
  const refill = () =>
    fillMusicOptions(context, /** @type {HTMLSelectElement} */ (context).value, 'music.none');
  library.subscribe(refill);
  onLanguageChange(() => {
    refill();
    fillDevices(currentDevice());
  });
  fillMusicOptions(context, '', 'music.none');
  const choosePick = (pick) => fillMusicOptions(context, pick.uri, 'music.none');
  picks.subscribe(() => renderPickChips(byId('sleep-picks'), choosePick));
  renderPickChips(byId('sleep-picks'), choosePick);
  devices.subscribe(() => fillDevices(currentDevice() || savedDevice));
  fillDevices('');
  const poller = new Poller(load, POLL_MS);
  const cardNear = near(byId('sleep'), { after: whenSettled() });
  poller.holdUntil(cardNear);
  cardNear.then(() => loadSettings());
  setInterval(tick, 1000);
  return poller;
}

/** "Use for the sleep timer": sets `item` as the sleep music and shows the form. */
export function useForSleep(item) {
  rememberPick(item);
  touched.add('sleep-context');
  fillMusicOptions(byId('sleep-context'), item.uri, 'music.none');
  byId('sleep').scrollIntoView({ block: 'start' });
  if (!byId('sleep-form').hidden) input('sleep-minutes').focus();
}

/** Reads the timer state. */
export async function load() {
  try {
    apply(await api.get('/api/sleep'));
  } catch (error) {
    if (error.status === 404) apply(null);
    else reportError(error);
  }
}

/** Fills speaker, volume, shuffle, fade-out, minutes and music from the sleep defaults (what the user has not changed). */
async function loadSettings() {
  try {
    const d = await loadSleepDefaults();
    const fresh = (id) => !touched.has(id);
    savedDevice = d?.device ?? '';
    if (fresh('sleep-device')) fillDevices(savedDevice);
    if (Number.isInteger(d?.volume) && fresh('sleep-volume')) {
      input('sleep-volume').value = String(d.volume);
      byId('sleep-volume-out').textContent = String(d.volume);
    }
    if (fresh('sleep-shuffle')) input('sleep-shuffle').checked = Boolean(d?.shuffle);
    if (Number.isInteger(d?.fade_out_seconds) && fresh('sleep-fade'))
      input('sleep-fade').value = String(d.fade_out_seconds);
    if (Number.isInteger(d?.minutes) && fresh('sleep-minutes'))
      input('sleep-minutes').value = String(d.minutes);
    if (d?.context_uri && fresh('sleep-context'))
      fillMusicOptions(byId('sleep-context'), d.context_uri, 'music.none');
  } catch {
    // The form keeps its built-in values; starting the timer still works.
  }
}

/** Accepts `{active, ends_at|remaining_seconds}` (or null/inactive) and starts the local countdown. */
function apply(body) {
  const timer = body && typeof body === 'object' ? (body.timer ?? body.sleep ?? body) : null;
  const active =
    Boolean(timer) && timer.active !== false && (timer.ends_at || timer.remaining_seconds !== undefined);
  if (!active) endsAt = 0;
  else if (timer.remaining_seconds !== undefined && timer.remaining_seconds !== null) {
    endsAt = Date.now() + Number(timer.remaining_seconds) * 1000;
  } else endsAt = Date.parse(timer.ends_at);
  if (Number.isNaN(endsAt)) endsAt = 0;
  const where = active && timer.device ? t('sleep.onDevice', { device: timer.device }) : '';
  byId('sleep-where').textContent = where;
  tick();
}

function tick() {
  const remaining = endsAt ? Math.max(0, Math.round((endsAt - Date.now()) / 1000)) : 0;
  show(byId('sleep-active'), remaining > 0);
  show(byId('sleep-form'), remaining <= 0);
  byId('sleep-countdown').textContent = formatCountdown(remaining);
}

function numberOrText(value) {
  return value === '' ? value : Number(value);
}

async function start(form) {
  clearErrors(form);
  const device = currentDevice();
  const settings = {
    volume: Number(input('sleep-volume').value),
    shuffle: input('sleep-shuffle').checked,
    fade_out_seconds: numberOrText(input('sleep-fade').value),
    device: device || null,
  };
  /** @type {Record<string, unknown>} */
  const body = {
    minutes: numberOrText(input('sleep-minutes').value),
    volume: settings.volume,
    fade_out_seconds: settings.fade_out_seconds,
  };
  if (device) body.device = device;
  const contextSelect = /** @type {HTMLSelectElement} */ (byId('sleep-context'));
  if (contextSelect.value) body.context_uri = contextSelect.value;
  try {
    // Shuffle is a sleep default (the timer reads it when the music starts); the rest is remembered too.
    await saveSleepDefaults(settings);
    savedDevice = device;
    apply(await api.post('/api/sleep', body));
    const option = contextSelect.selectedOptions[0];
    if (contextSelect.value.startsWith('spotify:') && option) {
      rememberPick({ uri: contextSelect.value, name: option.text });
    }
    flash(t('sleep.started'));
    byId('sleep-cancel').focus();
  } catch (error) {
    if (error.status === 400) showFieldError(form, 'sleep', error);
    else reportError(error, () => start(form));
  }
}

async function cancel() {
  try {
    await api.del('/api/sleep');
    endsAt = 0;
    tick();
    flash(t('sleep.cancelled'));
    input('sleep-minutes').focus();
  } catch (error) {
    reportError(error);
  }
}

function currentDevice() {
  return /** @type {HTMLSelectElement} */ (byId('sleep-device')).value;
}

/** Speaker choices by name (what the timer stores), keeping `selected` even when it is offline now. */
function fillDevices(selected) {
  const select = /** @type {HTMLSelectElement} */ (byId('sleep-device'));
  const list = devices.get();
  const options = [h('option', { value: '', text: t('sleep.activeDevice') })];
  for (const device of list) {
    const locked = device.supportsVolume === false;
    options.push(
      h('option', {
        value: device.name,
        text: locked ? `${device.name} ${t('sleep.volumeLockedSuffix')}` : device.name,
      }),
    );
  }
  if (selected && !list.some((d) => d.name === selected || d.id === selected)) {
    options.push(h('option', { value: selected, text: selected }));
  }
  select.replaceChildren(...options);
  const byId_ = list.find((d) => d.id === selected);
  select.value = byId_ ? byId_.name : (selected ?? '');
}

/** @returns {HTMLInputElement} */
function input(id) {
  return /** @type {HTMLInputElement} */ (byId(id));
}
