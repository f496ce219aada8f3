/**
 * Theme: light, dark or true black (OLED); follows prefers-color-scheme until a choice is made
 * (the top-bar toggle on this device, or the settings page for every device). Remembered locally.
 */
const STORAGE_KEY = 'spotipi.theme';
const THEMES = ['light', 'dark', 'black'];

/** @type {HTMLElement|null} */
let toggle = null;
/** @type {MediaQueryList|null} */
let media = null;

function apply(theme) {
  document.documentElement.dataset.theme = theme;
  toggle?.setAttribute('aria-pressed', String(theme !== 'light'));
}

/** Applies the stored or system theme and wires the toggle button. */
export function initTheme(button) {
  toggle = button;
  media = window.matchMedia('(prefers-color-scheme: dark)');
  const stored = readStored();
  apply(stored ?? (media.matches ? 'dark' : 'light'));
  media.addEventListener('change', (event) => {
    if (!readStored()) apply(event.matches ? 'dark' : 'light');
  });
  button.addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
    writeStored(next);
    apply(next);
  });
}

/** True when this device has its own theme choice (the top-bar toggle or an earlier save here). */
export function hasLocalTheme() {
  return readStored() !== null;
}

/** Applies a theme preference from the settings: `system`, `light`, `dark` or `black`. */
export function setThemePreference(pref) {
  if (THEMES.includes(pref)) {
    writeStored(pref);
    apply(pref);
  } else if (pref === 'system') {
    writeStored(null);
    apply(media?.matches ? 'dark' : 'light');
  }
}

function writeStored(value) {
  try {
    if (value === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, value);
  } catch {
    // Storage disabled: the choice lasts for this page.
  }
}

function readStored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return THEMES.includes(value ?? '') ? value : null;
  } catch {
    return null;
  }
}
