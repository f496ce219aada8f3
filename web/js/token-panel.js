/** The token-cache card: live figures from /api/token-cache/status and a chart of requests and refreshes. */
import { api } from './api.js';
import { drawChart } from './chart.js';
import { byId, show } from './dom.js';
import { formatCount, formatCountdown, formatPercent } from './format.js';
import { language, onLanguageChange, t } from './i18n.js';
import { flash, hideReauth, reportError, showReauth } from './notices.js';
import { Poller } from './poller.js';
import { addSample, normaliseTokenStatus } from './token-model.js';

const POLL_MS = 10000;
const HISTORY_KEY = 'spotipi.tokenHistory';
const HISTORY_MAX = 180;
const TRANSIENT_STATES = new Set(['refreshing', 'refreshing_ahead', 'empty']);

/** @type {Poller|undefined} */
let poller;

/** @type {import('./token-model.js').TokenView|null} */
let view = null;
/** @type {import('./token-model.js').Sample[]} */
let history = readHistory();

/** Wires the card; returns its poller. */
export function initTokenPanel() {
  byId('token-refresh').addEventListener('click', () => forceRefresh());
  onLanguageChange(() => render());
  setInterval(renderExpiry, 1000);
  render();
  poller = new Poller(load, POLL_MS);
  return poller;
}

/** Reads the status now. */
export async function load() {
  try {
    view = normaliseTokenStatus(await api.get('/api/token-cache/status'), Date.now());
    history = addSample(
      history,
      {
        t: view.fetchedAt,
        requests: view.total ?? 0,
        refreshes: view.refreshAttempts ?? (view.refreshOk ?? 0) + (view.refreshFailed ?? 0),
      },
      HISTORY_MAX,
    );
    saveHistory();
    if (view.state === 'reauthorization_required') showReauth('/login');
    else hideReauth();
    render();
    // A refresh in progress settles within a second or two: look again soon rather than in 5 s.
    if (TRANSIENT_STATES.has(view.state)) setTimeout(() => poller?.runNow(), 1000);
  } catch (error) {
    reportError(error);
  }
}

async function forceRefresh() {
  const button = /** @type {HTMLButtonElement} */ (byId('token-refresh'));
  button.disabled = true;
  try {
    await api.post('/api/token-cache/refresh');
    flash(t('token.refreshed'));
  } catch (error) {
    reportError(error);
  } finally {
    button.disabled = false;
  }
  await load();
}

function render() {
  const lang = language();
  const state = view?.state ?? '';
  const badge = byId('token-state');
  badge.textContent = state ? t(`token.state.${state}`) : '–';
  badge.dataset.state = state;
  byId('token-hits').textContent = formatCount(view?.hits, lang);
  byId('token-misses').textContent = formatCount(view?.misses, lang);
  byId('token-hit-rate').textContent = formatPercent(view?.hitRate, lang);
  byId('token-refresh-ok').textContent = formatCount(view?.refreshOk, lang);
  byId('token-refresh-failed').textContent = formatCount(view?.refreshFailed, lang);
  byId('token-meta').textContent = view
    ? t('token.meta', {
        store: view.store || '–',
        total: formatCount(view.total, lang),
        age: view.ageMinutes ?? '–',
      })
    : '';
  renderLogin(view?.login ?? null);
  const errorEl = byId('token-error');
  errorEl.textContent = view?.lastError ? t('token.lastError', { error: view.lastError }) : '';
  show(errorEl, Boolean(view?.lastError));
  renderExpiry();
  drawChart(
    byId('token-chart'),
    history,
    (g, minutes) =>
      t('token.chartLabel', { minutes, requests: g.totalRequests, refreshes: g.totalRefreshes }),
    t('token.chartEmpty'),
  );
}

/** "Login expires in N days", a warning from 14 days before (Spotify ends a login after 6 months). */
function renderLogin(login) {
  const el = byId('token-login');
  show(el, login !== null);
  if (login === null) return;
  const left = login.expiresAt - Date.now();
  let text;
  if (left <= 0) text = t('token.loginExpired');
  else if (login.daysLeft === 0) text = t('token.loginExpiresToday');
  else if (login.daysLeft === 1) text = t('token.loginExpiresOne');
  else text = t('token.loginExpires', { days: login.daysLeft });
  el.textContent = login.estimated ? `${text} ${t('token.loginEstimated')}` : text;
  el.classList.toggle('field-error', login.warn);
  el.classList.toggle('muted', !login.warn);
}

function renderExpiry() {
  const el = byId('token-expiry');
  if (!view || view.expiresAt === null) {
    el.textContent = '–';
    return;
  }
  el.textContent = formatCountdown(Math.round((view.expiresAt - Date.now()) / 1000));
}

function readHistory() {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((s) => s && Number.isFinite(s.t)).slice(-HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

function saveHistory() {
  try {
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(history));
  } catch {
    // Storage full or disabled: the chart just starts over on reload.
  }
}
