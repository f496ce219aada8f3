/**
 * One catalogue (i18n/catalogue.json, inside the built bundle) for every string. The language comes from localStorage,
 * else navigator.language; elements carry `data-i18n` (text), `data-i18n-aria` (aria-label),
 * `data-i18n-placeholder` and `data-i18n-title`.
 */

const STORAGE_KEY = 'spotipi.lang';
export const LANGUAGES = ['en', 'de'];

/** @type {Record<string, Record<string, string>>} */
let catalogue = { en: {}, de: {} };
let current = 'en';
const listeners = new Set();

/** Picks the stored language, else the browser's, else English. */
export function preferredLanguage(storage = globalThis.localStorage, nav = globalThis.navigator) {
  const stored = safeGet(storage, STORAGE_KEY);
  if (stored && LANGUAGES.includes(stored)) return stored;
  const candidates = nav?.languages?.length ? nav.languages : [nav?.language ?? 'en'];
  for (const tag of candidates) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** True when this device chose a language itself (the top-bar select). */
export function hasLocalLanguage(storage = globalThis.localStorage) {
  return LANGUAGES.includes(safeGet(storage, STORAGE_KEY) ?? '');
}

/** Forgets this device's own language choice (the browser's language applies again). */
export function forgetLanguage(storage = globalThis.localStorage) {
  try {
    storage?.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: nothing was remembered.
  }
}

/**
 * Loads the catalogue and applies the preferred language to the document. The build puts the
 * catalogue inside the bundle (`globalThis.SPOTIPI_CATALOGUE`, see scripts/build-web.mjs): no
 * request. Unbuilt, it is fetched from `url`.
 */
export async function initI18n(url = 'i18n/catalogue.json') {
  catalogue = globalThis.SPOTIPI_CATALOGUE ?? (await (await fetch(url)).json());
  await setLanguage(preferredLanguage(), { remember: false });
}

/** The active language code. */
export function language() {
  return current;
}

/** Translates `key`, filling `{name}` placeholders from `params`; falls back to English, then the key. */
export function t(key, params) {
  const text = catalogue[current]?.[key] ?? catalogue.en?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Switches language, re-translates the page and tells subscribers (views re-render dynamic parts). */
export async function setLanguage(lang, { remember = true } = {}) {
  current = LANGUAGES.includes(lang) ? lang : 'en';
  if (remember) safeSet(globalThis.localStorage, STORAGE_KEY, current);
  document.documentElement.lang = current;
  translateTree(document);
  for (const listener of listeners) listener(current);
}

/** Subscribes to language changes. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** Applies the catalogue to every annotated element under `root`. */
export function translateTree(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]'))
    el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]'))
    el.setAttribute('title', t(el.dataset.i18nTitle));
  if (root === document) document.title = t('app.title');
}

function safeGet(storage, key) {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function safeSet(storage, key, value) {
  try {
    storage?.setItem(key, value);
  } catch {
    // Private mode or storage disabled: the choice lasts for this page only.
  }
}
