/** The sleep timer card: start with minutes and optional music, live countdown, cancel. */

import { fillMusicOptions } from './alarms.js';
import { api } from './api.js';
import { byId, show } from './dom.js';
import { formatCountdown } from './format.js';
import { clearErrors, showFieldError } from './forms.js';
import { onLanguageChange, t } from './i18n.js';
import { flash, reportError } from './notices.js';
import { Poller } from './poller.js';
import { library } from './store.js';

const POLL_MS = 20000;
/** Epoch ms when the running timer ends, or 0. */
let endsAt = 0;

/** Wires the card; returns its poller. */
export function initSleep() {
  const form = /** @type {HTMLFormElement} */ (byId('sleep-form'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(form);
  });
  for (const chip of form.querySelectorAll('[data-minutes]')) {
    chip.addEventListener('click', () => {
      /** @type {HTMLInputElement} */ (byId('sleep-minutes')).value =
        /** @type {HTMLElement} */ (chip).dataset.minutes ?? '30';
    });
  }
  byId('sleep-cancel').addEventListener('click', () => cancel());
  const context = byId('sleep-context');
  const refill = () =>
    fillMusicOptions(context, /** @type {HTMLSelectElement} */ (context).value, 'music.none');
  library.subscribe(refill);
  onLanguageChange(refill);
  fillMusicOptions(context, '', 'music.none');
  setInterval(tick, 1000);
  return new Poller(load, POLL_MS);
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
  tick();
}

function tick() {
  const remaining = endsAt ? Math.max(0, Math.round((endsAt - Date.now()) / 1000)) : 0;
  show(byId('sleep-active'), remaining > 0);
  show(byId('sleep-form'), remaining <= 0);
  byId('sleep-countdown').textContent = formatCountdown(remaining);
}

async function start(form) {
  clearErrors(form);
  const minutesText = /** @type {HTMLInputElement} */ (byId('sleep-minutes')).value;
  /** @type {Record<string, unknown>} */
  const body = { minutes: minutesText === '' ? minutesText : Number(minutesText) };
  const context = /** @type {HTMLSelectElement} */ (byId('sleep-context')).value;
  if (context) body.context_uri = context;
  try {
    apply(await api.post('/api/sleep', body));
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
    byId('sleep-minutes').focus();
  } catch (error) {
    reportError(error);
  }
}
