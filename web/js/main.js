/** Boots the page: language, theme, notices, then each card with its own poller. */
import { initAlarmSafety } from './alarm-safety.js';
import { initAlarms, useForAlarm } from './alarms.js';
import { api, whenSettled } from './api.js';
import { initArtistView, openArtist } from './artist-view.js';
import { initClock, setDimSchedule } from './clock.js';
import { byId, show } from './dom.js';
import { initI18n, language, onLanguageChange, setLanguage } from './i18n.js';
import { initItemSheet } from './item-sheet.js';
import { initLibrary, load as loadLibrary } from './library.js';
import { initNotices, onBackOff } from './notices.js';
import { initNowPlaying, loadDevices } from './now-playing.js';
import { setPollScale } from './poller.js';
import { initQueueView } from './queue-view.js';
import { initReauth } from './reauth.js';
import { initSearch } from './search.js';
import { initSettings, onSettings, refreshAccount } from './settings.js';
import { initSetup } from './setup.js';
import { initSleep, useForSleep } from './sleep.js';
import { initTheme } from './theme.js';
import { initTokenPanel } from './token-panel.js';

async function boot() {
  initTheme(byId('theme-toggle'));
  await initI18n();
  const langSelect = /** @type {HTMLSelectElement} */ (byId('lang-select'));
  langSelect.value = language();
  langSelect.addEventListener('change', () => setLanguage(langSelect.value));
  onLanguageChange((lang) => {
    langSelect.value = lang;
  });
  initNotices();
  initAlarmSafety();
  // The server writes its mode into the page it serves; only a page without it asks /healthz.
  const facts = document.documentElement.dataset;
  if (facts.mode) applyServerFacts({ mode: facts.mode, low_power: facts.lowPower === 'true' });
  else checkHealth();

  const pollers = [initNowPlaying(), initAlarms(), initSleep(), initTokenPanel()];
  onBackOff((seconds) => {
    for (const poller of pollers) poller.backOff(seconds);
  });
  initItemSheet({ openArtist, useForAlarm, useForSleep });
  initArtistView();
  initSearch({ openArtist });
  initQueueView();
  initLibrary({ openArtist });
  initReauth(() => {
    for (const poller of pollers) poller.runNow();
    loadLibrary(true);
    loadDevices();
  });
  loadDevices();
  for (const poller of pollers) poller.start();
  // Settings, setup and the bedside clock (the clock pauses the card pollers while it shows).
  initSettings();
  onSettings((settings) => setDimSchedule(settings.clock_dim_from, settings.clock_dim_until));
  initSetup(() => {
    checkHealth();
    refreshAccount();
  });
  initClock({
    onOpen: () => {
      for (const poller of pollers) poller.stop();
    },
    onClose: () => {
      for (const poller of pollers) poller.start();
    },
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) loadDevices();
  });
  registerServiceWorker();
  landOnHashTarget();
  document.documentElement.dataset.ready = 'true';
}

/**
 * A page opened at a section (/#settings) lands on it once the cards above have their data: they
 * grow as it arrives and push the section away from where the browser scrolled. Not when the user
 * has already moved. After the page's load event (the browser's own scroll to the section comes
 * with it, smoothly under `scroll-behavior: smooth`), and once more a moment later in case that
 * scroll was still under way.
 */
function landOnHashTarget() {
  const id = decodeURIComponent(location.hash.slice(1));
  const target = id && id !== 'clock' ? document.getElementById(id) : null;
  if (!target) return;
  let moved = false;
  const onMove = () => {
    moved = true;
  };
  for (const type of ['wheel', 'touchstart', 'keydown', 'pointerdown'])
    addEventListener(type, onMove, { once: true, passive: true });
  const land = () => {
    // A jump, as the browser's own fragment scroll is when the page opens.
    if (!moved) target.scrollIntoView({ block: 'start', behavior: 'instant' });
  };
  const loaded =
    document.readyState === 'complete'
      ? Promise.resolve()
      : new Promise((resolve) => addEventListener('load', resolve, { once: true }));
  Promise.all([whenSettled(), loaded]).then(() => {
    land();
    setTimeout(land, 500);
  });
}

/** Asks /healthz for the server's facts (a page served without them, e.g. by another server). */
async function checkHealth() {
  try {
    applyServerFacts(await api.get('/healthz', { quiet: true }));
  } catch {
    // Unreachable: the pollers report it.
  }
}

/** Shows the demo banner in demo mode; slows polling in the server's low-power profile. */
function applyServerFacts(health) {
  const demo = String(health?.mode ?? '').toLowerCase() === 'demo' || health?.demo === true;
  // The Pi Zero profile: every card polls half as often.
  if (health?.low_power === true) setPollScale(2);
  show(byId('demo-banner'), demo);
  show(byId('demo-badge'), demo);
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('sw.js').catch(() => {
    // Installability is a bonus; the page works without it.
  });
}

boot();
