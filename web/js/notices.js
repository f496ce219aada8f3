/**
 * The global status banner (aria-live) and the re-authorization panel. Turns API failures
 * into a clear message with what to do; transient successes show briefly.
 */
import { onApiOutcome } from './api.js';
import { byId, show } from './dom.js';
import { t } from './i18n.js';

let hideTimer;
let currentKind = '';
let retryAction;
/** @type {((seconds: number) => void)[]} */
const backOffListeners = [];

/** Wires the banner to every API call. */
export function initNotices() {
  byId('notice-close').addEventListener('click', () => clearNotice());
  byId('notice-retry').addEventListener('click', () => {
    const action = retryAction;
    clearNotice();
    action?.();
  });
  onApiOutcome(
    (error) => reportError(error),
    () => {
      // A request got through: connectivity notices are stale now.
      if (currentKind === 'unreachable' || currentKind === 'spotifyDown') clearNotice();
    },
  );
}

/** Called with Retry-After seconds whenever the server says to slow down (pollers back off). */
export function onBackOff(listener) {
  backOffListeners.push(listener);
}

/**
 * Shows the right message for an API failure. 400s are left to the form that sent them.
 * @param {import('./api.js').ApiError} error
 * @param {() => void} [retry]
 */
export function reportError(error, retry) {
  switch (error.status) {
    case 400:
    case 404:
      return;
    case 0:
      return showNotice(
        'unreachable',
        t('notice.unreachable.title'),
        t('notice.unreachable.text'),
        'error',
        retry,
      );
    case 401:
      if (error.loginUrl) {
        showReauth(error.loginUrl);
        return;
      }
      // SpotiPi's own password: the session expired; the server serves the login page.
      window.location.reload();
      return;
    case 403:
      // A login that has not granted a permission a view needs: logging in again grants it.
      if (error.loginUrl) {
        showReauth(error.loginUrl);
        return;
      }
      return showNotice(
        'forbidden',
        t('notice.forbidden.title'),
        error.message || t('notice.forbidden.text'),
        'error',
      );
    case 409:
      return showNotice('noDevice', t('notice.noDevice.title'), t('notice.noDevice.text'), 'warning', retry);
    case 429:
    case 503: {
      const seconds = error.retryAfter ?? 30;
      for (const listener of backOffListeners) listener(seconds);
      return showNotice(
        'rateLimited',
        t('notice.rateLimited.title'),
        t('notice.rateLimited.text', { seconds }),
        'warning',
      );
    }
    case 502:
    case 504:
      return showNotice(
        'spotifyDown',
        t('notice.spotifyDown.title'),
        t('notice.spotifyDown.text'),
        'error',
        retry,
      );
    default:
      return showNotice('generic', t('notice.generic.title'), error.message, 'error', retry);
  }
}

/**
 * Shows the banner.
 * @param {string} kind
 * @param {string} title
 * @param {string} text
 * @param {'info'|'warning'|'error'|'success'} tone
 * @param {() => void} [retry]
 */
export function showNotice(kind, title, text, tone = 'info', retry) {
  clearTimeout(hideTimer);
  currentKind = kind;
  retryAction = retry;
  const banner = byId('notice');
  banner.dataset.tone = tone;
  // Errors interrupt; the rest is announced politely.
  banner.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  byId('notice-title').textContent = title;
  byId('notice-text').textContent = text;
  show(byId('notice-retry'), Boolean(retry));
  show(banner, true);
  if (tone === 'success' || tone === 'info') hideTimer = setTimeout(clearNotice, 3500);
}

/** Briefly confirms an action ("Saved"). */
export function flash(text) {
  showNotice('flash', text, '', 'success');
}

/** Hides the banner. */
export function clearNotice() {
  clearTimeout(hideTimer);
  currentKind = '';
  retryAction = undefined;
  show(byId('notice'), false);
}

/** Shows the "log in again" panel with the server's login link. */
export function showReauth(loginUrl = '/login') {
  const link = /** @type {HTMLAnchorElement} */ (byId('reauth-login'));
  // Only same-origin paths: the link must never point elsewhere.
  link.href = loginUrl.startsWith('/') && !loginUrl.startsWith('//') ? loginUrl : '/login';
  show(byId('reauth'), true);
}

/** Hides the "log in again" panel. */
export function hideReauth() {
  show(byId('reauth'), false);
}
