/**
 * The bedside clock (`#clock`): large time, next alarm and its readiness, what is playing, big
 * snooze/stop while ringing, night dimming, Screen Wake Lock. One request every few seconds at
 * most (alarms and playback take turns), none while hidden. Rings by itself (Web Audio, through
 * the page's one ring in alarm-safety.js) while the server's fallback sound is on.
 */
import { updateAlarmSafety } from './alarm-safety.js';
import { api } from './api.js';
import {
  activeAlarm,
  clockText,
  isNight,
  msToNextMinute,
  nextAlarm,
  readinessOf,
  shouldDim,
} from './clock-model.js';
import { byId, show } from './dom.js';
import { formatFireTime } from './format.js';
import { language, onLanguageChange, t } from './i18n.js';

/** Milliseconds between two requests (alarms and playback alternate). */
export const CLOCK_POLL_MS = 3000;

let open = false;
let timer;
let pollTimer;
let turn = 0;
let alarms = [];
let playing = null;
let lux = null;
let wakeLock = null;
let dim = { from: '22:00', until: '07:00' };
let hooks = { onOpen() {}, onClose() {} };

/**
 * Wires the clock. `onOpen`/`onClose` pause and resume the main page's pollers, so the clock's
 * own requests are the only ones while it shows.
 */
export function initClock(options) {
  hooks = { ...hooks, ...options };
  byId('clock-open').addEventListener('click', () => {
    location.hash = '#clock';
  });
  const close = () => {
    history.replaceState(null, '', location.pathname + location.search);
    setOpen(false);
  };
  byId('clock-close').addEventListener('click', close);
  document.addEventListener('keydown', (event) => {
    if (open && event.key === 'Escape') close();
  });
  byId('clock-snooze').addEventListener('click', () => act('snooze'));
  byId('clock-stop').addEventListener('click', () => act('stop'));
  // The page's audio unlocks on the first tap (alarm-safety.js); the hint goes with it.
  byId('clock').addEventListener('pointerdown', () => setTimeout(() => open && render(), 300));
  window.addEventListener('hashchange', () => setOpen(location.hash === '#clock'));
  document.addEventListener('visibilitychange', () => {
    if (!open) return;
    if (document.hidden) stopPolling();
    else {
      requestWakeLock();
      poll();
    }
  });
  onLanguageChange(() => open && render());
  watchAmbientLight();
  if (location.hash === '#clock') setOpen(true);
}

/** Dimming times from the settings. */
export function setDimSchedule(from, until) {
  dim = { from, until };
  if (open) render();
}

function setOpen(value) {
  if (value === open) return;
  open = value;
  show(byId('clock'), open);
  document.documentElement.classList.toggle('clock-open', open);
  if (open) {
    hooks.onOpen();
    byId('clock-close').focus();
    requestWakeLock();
    tick();
    poll();
  } else {
    clearTimeout(timer);
    stopPolling();
    wakeLock?.release?.().catch(() => {});
    wakeLock = null;
    hooks.onClose();
    byId('clock-open').focus();
  }
}

async function requestWakeLock() {
  if (!open || document.hidden || !('wakeLock' in navigator)) return;
  try {
    wakeLock = await navigator.wakeLock.request('screen');
  } catch {
    // Refused (battery saver, no permission): the clock still works, the screen may sleep.
  }
}

function tick() {
  render();
  clearTimeout(timer);
  timer = setTimeout(tick, msToNextMinute(new Date()) + 50);
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = undefined;
}

async function poll() {
  stopPolling();
  if (!open || document.hidden) return;
  try {
    if (turn++ % 2 === 0) {
      const body = await api.get('/api/alarms', { quiet: true });
      alarms = Array.isArray(body?.alarms) ? body.alarms : [];
      // One ring path for the whole page: the alarms card's pollers pause while the clock shows.
      updateAlarmSafety(alarms);
    } else {
      playing = await api.get('/playback_status', { quiet: true });
    }
  } catch {
    // Shown as "–" until the next turn; a bedside clock never pops error banners.
  }
  render();
  if (open && !document.hidden) pollTimer = setTimeout(poll, CLOCK_POLL_MS);
}

async function act(action) {
  const alarm = activeAlarm(alarms);
  if (!alarm) return;
  try {
    await api.post(`/api/alarms/${encodeURIComponent(alarm.id)}/${action}`);
    alarms = (await api.get('/api/alarms', { quiet: true }))?.alarms ?? alarms;
    updateAlarmSafety(alarms);
  } catch {
    // The next poll shows the truth.
  }
  render();
}

function render() {
  const now = new Date();
  const lang = language();
  byId('clock-time').textContent = clockText(now);
  byId('clock-date').textContent = now.toLocaleDateString(lang, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  });
  const next = nextAlarm(alarms, now.getTime());
  byId('clock-next').textContent = next
    ? t('clock.next', { when: formatFireTime(new Date(next.at).toISOString(), lang, t, now) })
    : t('clock.noAlarm');
  const readiness = next ? readinessOf(next.alarm) : null;
  const badge = byId('clock-readiness');
  show(badge, readiness !== null);
  if (readiness) {
    badge.dataset.status = readiness.status;
    badge.textContent =
      readiness.status === 'ok' ? t('clock.ready') : readiness.reason || t('clock.notReady');
  }
  const item = playing?.item;
  byId('clock-playing').textContent = item
    ? `${playing.is_playing ? '▶' : '‖'} ${item.name}${item.artists?.length ? ` – ${item.artists.map((a) => a.name).join(', ')}` : ''}`
    : '\u00a0';
  const active = activeAlarm(alarms);
  const sounding = active && active.state !== 'snoozed';
  const ring = byId('clock-ringing');
  ring.dataset.active = String(Boolean(active));
  byId('clock-ringing-label').textContent = active
    ? `${t(sounding ? 'alarms.ringing' : 'alarms.snoozedTitle')} · ${active.time} ${active.label ?? ''}`
    : '\u00a0';
  byId('clock-snooze').disabled = !sounding;
  // Sound needs one tap on the page first; visibility, not display, so nothing moves.
  const tapped = navigator.userActivation?.hasBeenActive ?? true;
  byId('clock-sound-hint').style.visibility = tapped ? 'hidden' : 'visible';
  byId('clock').classList.toggle('dimmed', shouldDim({ night: isNight(now, dim.from, dim.until), lux }));
}

/** Ambient light, where the browser offers it (Chrome on Android behind a flag); else the schedule. */
function watchAmbientLight() {
  const Sensor = globalThis.AmbientLightSensor;
  if (!Sensor) return;
  try {
    const sensor = new Sensor({ frequency: 0.2 });
    sensor.addEventListener('reading', () => {
      lux = sensor.illuminance;
      if (open) render();
    });
    sensor.addEventListener('error', () => {
      lux = null;
    });
    sensor.start();
  } catch {
    lux = null;
  }
}
