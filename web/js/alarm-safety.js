/**
 * The alarm's safety net in the page: the readiness banner ("Your 07:00 alarm will fail: …" with
 * "Log in again"), the readiness line on each alarm card, and the fallback ring — while the
 * server rings its own chime because Spotify did not start, every open page rings too (Web
 * Audio, generated here) with a visible notice; the ringing panel's Stop/Snooze silence it.
 */
import {
  CHIME_SECONDS,
  chimeNotes,
  fallbackAlarm,
  readinessBanner,
  reasonText,
} from './alarm-safety-model.js';
import { byId, h, show } from './dom.js';
import { t } from './i18n.js';

/** @type {AudioContext|undefined} */
let audio;
let ringTimer;
let ringingId = '';

/** Browsers only let a page make sound after a tap: unlock audio on the first one. */
export function initAlarmSafety() {
  const unlock = () => {
    context()
      ?.resume?.()
      .catch(() => {});
    updateTapHint();
  };
  for (const type of ['pointerdown', 'keydown', 'touchstart']) {
    document.addEventListener(type, unlock, { passive: true });
  }
}

/** Updates the banner and the fallback ring from the latest `GET /api/alarms`. */
export function updateAlarmSafety(alarms) {
  renderBanner(readinessBanner(alarms));
  const ringing = fallbackAlarm(alarms);
  if (ringing) startRing(ringing.id);
  else stopRing();
  show(byId('fallback-notice'), Boolean(ringing));
  updateTapHint();
}

/** The readiness line of one alarm card, or null when it was not checked (or is disabled). */
export function readinessLine(alarm) {
  const r = alarm?.readiness;
  if (!alarm?.enabled || !r || typeof r !== 'object') return null;
  const reason = reasonText(r, 0, t);
  const text =
    r.status === 'ok'
      ? t('readiness.ok')
      : t(r.status === 'failing' ? 'readiness.failing' : 'readiness.warning', { reason });
  return h('p', { class: `alarm-readiness alarm-readiness-${r.status}`, text });
}

function renderBanner(banner) {
  const el = byId('readiness-banner');
  show(el, Boolean(banner));
  if (!banner) return;
  el.dataset.tone = banner.level === 'failing' ? 'error' : 'warning';
  byId('readiness-title').textContent = t(
    banner.level === 'failing' ? 'readiness.willFail' : 'readiness.mayFail',
    { time: banner.alarm.time },
  );
  byId('readiness-text').textContent = reasonText(banner.alarm.readiness, 0, t);
  show(byId('readiness-login'), banner.needsLogin);
}

function context() {
  if (audio) return audio;
  const Ctor = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
  if (!Ctor) return undefined;
  audio = new Ctor();
  // Resuming is asynchronous: the hint follows the context's real state.
  audio.addEventListener?.('statechange', updateTapHint);
  return audio;
}

function startRing(id) {
  if (ringingId === id && ringTimer) return;
  stopRing();
  ringingId = id;
  const ctx = context();
  if (!ctx) return;
  ctx.resume?.().catch(() => {});
  const play = () => playChime(ctx);
  play();
  ringTimer = setInterval(play, (CHIME_SECONDS + 0.5) * 1000);
  document.documentElement.dataset.fallbackRinging = 'true';
}

function stopRing() {
  clearInterval(ringTimer);
  ringTimer = undefined;
  ringingId = '';
  delete document.documentElement.dataset.fallbackRinging;
}

/** Schedules one chime: each partial an oscillator with a fast attack and exponential decay. */
function playChime(ctx) {
  if (ctx.state !== 'running') return;
  const start = ctx.currentTime + 0.05;
  const master = ctx.createGain();
  master.gain.value = 0.8;
  master.connect(ctx.destination);
  for (const note of chimeNotes()) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = note.hz;
    const at = start + note.at;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(note.gain, at + 0.005);
    gain.gain.setTargetAtTime(0, at + 0.005, note.decay);
    osc.connect(gain).connect(master);
    osc.start(at);
    osc.stop(start + CHIME_SECONDS);
  }
}

function updateTapHint() {
  const blocked = Boolean(ringTimer) && audio?.state !== 'running';
  show(byId('fallback-tap'), blocked);
}
