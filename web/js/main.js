/** Boots the page: language, theme, notices, then each card with its own poller. */
import { initAlarmSafety } from './alarm-safety.js';
import { initAlarms, useForAlarm } from './alarms.js';
import { api } from './api.js';
import { initArtistView, openArtist } from './artist-view.js';
import { byId, show } from './dom.js';
import { initI18n, language, setLanguage } from './i18n.js';
import { initItemSheet } from './item-sheet.js';
import { initLibrary, load as loadLibrary } from './library.js';
import { initNotices, onBackOff } from './notices.js';
import { initNowPlaying, loadDevices } from './now-playing.js';
import { initQueueView } from './queue-view.js';
import { initReauth } from './reauth.js';
import { initSearch } from './search.js';
import { initSleep, useForSleep } from './sleep.js';
import { initTheme } from './theme.js';
import { initTokenPanel } from './token-panel.js';

async function boot() {
  initTheme(byId('theme-toggle'));
  await initI18n();
  const langSelect = /** @type {HTMLSelectElement} */ (byId('lang-select'));
  langSelect.value = language();
  langSelect.addEventListener('change', () => setLanguage(langSelect.value));
  initNotices();
  initAlarmSafety();
  checkHealth();

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
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) loadDevices();
  });
  registerServiceWorker();
  document.documentElement.dataset.ready = 'true';
}

/** Shows the demo banner when the server runs against its built-in emulator. */
async function checkHealth() {
  try {
    const health = await api.get('/healthz', { quiet: true });
    const demo = String(health?.mode ?? '').toLowerCase() === 'demo' || health?.demo === true;
    show(byId('demo-banner'), demo);
    show(byId('demo-badge'), demo);
  } catch {
    // Unreachable: the pollers report it.
  }
}

function registerServiceWorker() {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  navigator.serviceWorker.register('sw.js').catch(() => {
    // Installability is a bonus; the page works without it.
  });
}

boot();
