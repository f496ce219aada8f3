/** Inline validation messages from the API: a 400 naming a field shows its message next to that field. */
import { show } from './dom.js';

/**
 * Clears every field error inside `form`.
 * @param {HTMLFormElement} form
 */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) {
    el.textContent = '';
    show(/** @type {HTMLElement} */ (el), false);
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Shows an API error in the form: next to its field when the form has one, else at the top.
 * Moves focus to the offending control so keyboard and screen-reader users land on it.
 * @param {HTMLFormElement} form
 * @param {string} prefix id prefix of the form's controls, e.g. "alarm"
 * @param {{message: string, field?: string}} error
 */
export function showFieldError(form, prefix, error) {
  const slot = error.field ? form.querySelector(`#${prefix}-${cssEscape(error.field)}-error`) : null;
  const target = slot ?? form.querySelector(`#${prefix}-form-error`);
  if (!target) return;
  target.textContent = error.message;
  show(/** @type {HTMLElement} */ (target), true);
  if (slot) {
    const control = form.querySelector(`[aria-describedby~="${slot.id}"]`);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      const focusable = control.matches('fieldset') ? control.querySelector('input') : control;
      /** @type {HTMLElement|null} */ (focusable)?.focus();
    }
  }
}

function cssEscape(text) {
  return globalThis.CSS?.escape ? CSS.escape(text) : text.replace(/[^\w-]/g, '\\$&');
}
