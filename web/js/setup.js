/** First-run setup card: shown in demo mode; saves the user's Spotify app and continues to the login. */
import { api } from './api.js';
import { byId, show } from './dom.js';
import { clearErrors, showFieldError } from './forms.js';
import { t } from './i18n.js';
import { flash, reportError } from './notices.js';
import { needsPasteBack } from './settings-model.js';

/**
 * Loads `GET /api/setup` and shows the card in demo mode. `onChange` runs when the server left
 * demo mode (the page re-checks its mode) and again once the login completed here. A page the
 * server marked as not in demo mode (`<html data-mode>`) has no setup to show and asks nothing.
 */
export async function initSetup(onChange) {
  const mode = document.documentElement.dataset.mode;
  if (mode && mode !== 'demo') return;
  let view;
  try {
    view = await api.get('/api/setup', { quiet: true });
  } catch {
    return;
  }
  if (view?.mode !== 'demo') return;
  show(byId('setup'), true);
  byId('setup-redirect').textContent = view.redirect_uri;
  const pasteBack = needsPasteBack(view.redirect_uri, location.hostname);
  show(byId('setup-pasteback-note'), pasteBack);
  const form = /** @type {HTMLFormElement} */ (byId('setup-form'));
  if (!view.allowed) {
    const refused = byId('setup-refused');
    refused.textContent = t('error.setup.remote');
    show(refused, true);
    for (const control of form.elements) /** @type {HTMLInputElement} */ (control).disabled = true;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const clientId = /** @type {HTMLInputElement} */ (byId('setup-client-id')).value.trim();
    const secret = /** @type {HTMLInputElement} */ (byId('setup-client-secret')).value.trim();
    const submit = /** @type {HTMLButtonElement} */ (byId('setup-submit'));
    submit.disabled = true;
    submit.textContent = t('setup.checking');
    try {
      await api.post(
        '/api/setup',
        { client_id: clientId, ...(secret ? { client_secret: secret } : {}) },
        { quiet: true },
      );
      /** @type {HTMLInputElement} */ (byId('setup-client-secret')).value = '';
      show(form, false);
      show(byId('setup-login-step'), true);
      show(byId('setup-login'), !pasteBack);
      show(byId('setup-paste-form'), pasteBack);
      onChange();
    } catch (error) {
      if (error.status === 400 || error.status === 409 || error.status === 403 || error.status === 502)
        showFieldError(form, 'setup', error);
      else reportError(error);
    } finally {
      submit.disabled = false;
      submit.textContent = t('setup.submit');
    }
  });
  initPasteBack(onChange);
}

function initPasteBack(onDone) {
  byId('setup-open-login').addEventListener('click', async () => {
    try {
      const start = await api.post('/api/login/start');
      window.open(start.authorize_url, '_blank', 'noopener');
    } catch (error) {
      reportError(error);
    }
  });
  const form = /** @type {HTMLFormElement} */ (byId('setup-paste-form'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = /** @type {HTMLInputElement} */ (byId('setup-paste-url'));
    try {
      await api.post('/api/login/complete', { redirect_url: input.value.trim() }, { quiet: true });
      flash(t('reauth.done'));
      show(byId('setup'), false);
      onDone();
    } catch (error) {
      showFieldError(form, 'setup', { message: error.message, field: 'redirect_url' });
    }
  });
}
