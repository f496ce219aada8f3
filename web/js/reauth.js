/** The paste-back login: the URL Spotify redirected to (unreachable from a phone) is sent to the server. */
import { api } from './api.js';
import { byId } from './dom.js';
import { clearErrors, showFieldError } from './forms.js';
import { t } from './i18n.js';
import { flash, hideReauth, reportError } from './notices.js';

/** Wires the paste form; `onDone` reloads the views once the login succeeded. */
export function initReauth(onDone) {
  const form = /** @type {HTMLFormElement} */ (byId('paste-form'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = /** @type {HTMLInputElement} */ (byId('paste-url'));
    try {
      await api.post('/api/login/complete', { redirect_url: input.value.trim() });
      input.value = '';
      hideReauth();
      flash(t('reauth.done'));
      onDone();
    } catch (error) {
      if (error.status === 400) showFieldError(form, 'paste', { message: error.message, field: 'url' });
      else reportError(error);
    }
  });
}
