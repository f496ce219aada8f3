/** The settings card: runtime settings (locked ones explained), the Spotify account, SpotiPi logout. */
import { api, whenSettled } from './api.js';
import { byId, near, show } from './dom.js';
import { clearErrors, showFieldError } from './forms.js';
import {
  forgetLanguage,
  hasLocalLanguage,
  language,
  onLanguageChange,
  preferredLanguage,
  setLanguage,
  t,
} from './i18n.js';
import { flash, reportError, showReauth } from './notices.js';
import {
  accountSummary,
  lockText,
  needsPasteBack,
  pageSettings,
  SETTINGS_FIELDS,
  SLEEP_FIELDS,
  settingsPatch,
  sleepPatch,
} from './settings-model.js';
import { loadSleepDefaults, saveSleepDefaults } from './sleep-defaults.js';
import { hasLocalTheme, setThemePreference } from './theme.js';

/** @type {{settings: Record<string, any>, fields: Record<string, any>, access?: {protected: boolean}}|null} */
let view = null;
/**
 * The settings last applied to the page: from its `<html>` tag, loaded or saved.
 * @type {Record<string, any>|null}
 */
let applied = null;
/**
 * The card's data, loaded once (when the card comes near the screen).
 * @type {Promise<unknown>|null}
 */
let cardLoad = null;
/** @type {any} */
let account = null;
/** The sleep timer's defaults (null when the server has no sleep timer). */
let sleepDefaults = null;
const listeners = new Set();

/** The settings last applied (those the page came with, loaded or saved; null before any). */
export function currentSettings() {
  return applied;
}

/** Calls `listener(settings)` whenever the settings are applied: at start, when loaded or saved. */
export function onSettings(listener) {
  listeners.add(listener);
  if (applied) listener(applied);
}

/**
 * Wires the form and the account buttons and applies the settings the server wrote into the page
 * (language, theme, the clock's night window). The card's own data (every setting with its source,
 * the account, the sleep defaults) loads when the card first comes near the screen: scrolled to,
 * or opened as /#settings. A page served without those settings loads everything at once.
 */
export function initSettings() {
  const form = /** @type {HTMLFormElement} */ (byId('settings-form'));
  setFormReady(form, false);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await save(form);
  });
  byId('account-disconnect').addEventListener('click', () => disconnect());
  byId('account-login').addEventListener('click', (event) => loginAgain(event));
  byId('access-logout').addEventListener('click', () => logout('/auth/logout'));
  byId('access-logout-all').addEventListener('click', () => logout('/auth/logout-everywhere'));
  onLanguageChange(() => renderAccount());
  const facts = pageSettings(document.documentElement.dataset);
  if (facts) apply(facts);
  // Opened as /#settings: wanted at once.
  if (facts && location.hash !== '#settings')
    near(byId('settings'), { after: whenSettled() }).then(() => loadCard(form));
  else loadCard(form);
}

/** Loads the card's data once; the form takes input when the settings are in. */
function loadCard(form) {
  cardLoad ??= Promise.all([
    loadSettings().finally(() => setFormReady(form, true)),
    loadAccount(),
    readSleepDefaults(),
  ]);
  return cardLoad;
}

/**
 * Until the settings are in, the form's fields are disabled: nothing typed is overwritten by the
 * values arriving, and nothing is saved against settings the page has not seen.
 */
function setFormReady(form, ready) {
  for (const group of /** @type {NodeListOf<HTMLFieldSetElement>} */ (form.querySelectorAll('fieldset')))
    group.disabled = !ready;
  /** @type {HTMLButtonElement} */ (byId('settings-save')).disabled = !ready;
  form.setAttribute('aria-busy', String(!ready));
}

async function readSleepDefaults() {
  try {
    sleepDefaults = await loadSleepDefaults();
  } catch {
    sleepDefaults = null;
  }
  renderSleep();
}

function renderSleep() {
  show(byId('sleep-defaults'), sleepDefaults !== null);
  if (!sleepDefaults) return;
  for (const name of SLEEP_FIELDS) {
    /** @type {HTMLInputElement} */ (byId(`set-sleep_${name}`)).value = String(sleepDefaults[name] ?? '');
  }
}

/** Fetches the settings and applies the device-wide ones (language, theme). */
export async function loadSettings() {
  try {
    view = await api.get('/api/settings', { quiet: true });
  } catch {
    // An older server without settings: the card stays at its defaults.
    return;
  }
  render();
  apply(view.settings);
}

/** Shows who is connected now (after a login here); a card not loaded yet will fetch it when it loads. */
export function refreshAccount() {
  if (cardLoad) loadAccount();
}

/** Fetches who is connected. */
async function loadAccount() {
  try {
    account = await api.get('/api/settings/account', { quiet: true });
  } catch (error) {
    account = { error: error.message };
  }
  renderAccount();
}

/**
 * Applies language and theme. Loaded settings are the default of a device that made no choice of
 * its own (the top bar's language and theme stay per device); saved ones apply here at once.
 */
function apply(settings, { saved = false } = {}) {
  applied = settings;
  if (saved || !hasLocalTheme()) setThemePreference(settings.theme);
  if (saved && settings.language === 'auto') {
    forgetLanguage();
    setLanguage(preferredLanguage(), { remember: false });
  } else if (
    settings.language !== 'auto' &&
    (saved || !hasLocalLanguage()) &&
    settings.language !== language()
  ) {
    setLanguage(settings.language, { remember: saved });
  }
  for (const listener of listeners) listener(settings);
}

function render() {
  if (!view) return;
  for (const name of Object.keys(SETTINGS_FIELDS)) {
    const control = /** @type {HTMLInputElement|null} */ (document.getElementById(`set-${name}`));
    if (!control) continue;
    control.value = String(view.settings[name] ?? '');
    const info = view.fields[name];
    control.disabled = Boolean(info?.locked);
    const lock = byId(`set-${name}-lock`);
    lock.textContent = lockText(info, t);
    show(lock, Boolean(info?.locked));
  }
  show(byId('access'), Boolean(view.access?.protected));
}

async function save(form) {
  clearErrors(form);
  show(byId('settings-saved'), false);
  const values = Object.fromEntries(new FormData(form).entries());
  const patch = settingsPatch(/** @type {Record<string,string>} */ (values), view);
  const sleep = sleepPatch(/** @type {Record<string,string>} */ (values), sleepDefaults);
  if (Object.keys(patch).length === 0 && Object.keys(sleep).length === 0) {
    flash(t('settings.unchanged'));
    return;
  }
  try {
    if (Object.keys(patch).length > 0) {
      view = { ...view, ...(await api.patch('/api/settings', patch, { quiet: true })) };
      render();
      apply(view.settings, { saved: true });
    }
    if (Object.keys(sleep).length > 0) {
      try {
        sleepDefaults = await saveSleepDefaults(sleep, { quiet: true });
      } catch (error) {
        // The sleep timer names its own fields (`minutes`); the form calls them `sleep_minutes`.
        if (error.field && SLEEP_FIELDS.includes(error.field)) error.field = `sleep_${error.field}`;
        throw error;
      }
      renderSleep();
    }
    show(byId('settings-saved'), true);
    flash(t('settings.saved'));
  } catch (error) {
    if (error.status === 400 || error.status === 409) showFieldError(form, 'set', error);
    else reportError(error);
  }
}

function renderAccount() {
  const summary = accountSummary(account);
  const avatar = /** @type {HTMLImageElement} */ (byId('account-avatar'));
  if (summary.avatar) avatar.src = summary.avatar;
  show(avatar, Boolean(summary.avatar));
  byId('account-name').textContent =
    summary.status === 'disconnected' ? t('account.notConnected') : summary.name || '–';
  const parts = [];
  if (summary.status === 'demo') parts.push(t('account.demo'));
  if (summary.premium === true) parts.push(t('account.premium'));
  if (summary.premium === false) parts.push(t('account.free'));
  if (summary.premium === null && summary.name) parts.push(t('account.premiumUnknown'));
  if (account?.token?.state) parts.push(t(`token.state.${account.token.state}`));
  if (summary.status === 'connected' && account?.login_expires_at) {
    const date = new Date(account.login_expires_at);
    if (!Number.isNaN(date.getTime())) {
      parts.push(
        t('account.loginUntil', { date: date.toLocaleDateString(language(), { dateStyle: 'medium' }) }),
      );
    }
  }
  byId('account-detail').textContent = parts.join(' · ');
  const error = byId('account-error');
  error.textContent = account?.user_error ?? account?.error ?? '';
  show(error, Boolean(error.textContent));
  show(byId('account-disconnect'), summary.status === 'connected');
  byId('account-login').textContent = t(
    summary.status === 'connected' ? 'account.loginAgain' : 'account.login',
  );
  show(byId('account-login'), summary.status !== 'demo');
}

async function disconnect() {
  if (!window.confirm(t('account.disconnectConfirm'))) return;
  try {
    await api.post('/api/settings/account/disconnect');
    flash(t('account.disconnected'));
  } catch (error) {
    reportError(error);
  }
  await loadAccount();
}

/**
 * Ends the SpotiPi session (`/auth/logout`) or every session (`/auth/logout-everywhere`), then shows the
 * password page. Sent with fetch: a form post from this page would carry `Origin: null` under its
 * no-referrer policy, which the cross-site guard refuses.
 */
async function logout(path) {
  const error = byId('access-error');
  show(error, false);
  try {
    const res = await fetch(path, { method: 'POST', credentials: 'same-origin', redirect: 'manual' });
    if (res.status >= 400)
      throw new Error((await res.json().catch(() => null))?.error?.message ?? res.statusText);
    location.assign('/auth/login');
  } catch (err) {
    error.textContent = err instanceof Error ? err.message : String(err);
    show(error, true);
  }
}

/**
 * "Log in again": on the server's own machine the link simply goes to /login. From a phone the
 * loopback redirect cannot come back, so it opens Spotify in a new tab and shows the paste box.
 */
async function loginAgain(event) {
  if (!needsPasteBack('http://127.0.0.1/', location.hostname)) return;
  event.preventDefault();
  try {
    const start = await api.post('/api/login/start');
    if (!needsPasteBack(start.redirect_uri, location.hostname)) {
      location.assign(start.authorize_url);
      return;
    }
    window.open(start.authorize_url, '_blank', 'noopener');
    showReauth();
    const details = document.querySelector('#reauth details');
    if (details) /** @type {HTMLDetailsElement} */ (details).open = true;
    byId('paste-url').focus();
  } catch (error) {
    reportError(error);
  }
}
