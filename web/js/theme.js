/** Light/dark theme: follows prefers-color-scheme until the user picks one; the pick is remembered. */
const STORAGE_KEY = 'spotipi.theme';

/** Applies the stored or system theme and wires the toggle button. */
export function initTheme(button) {
  const media = window.matchMedia('(prefers-color-scheme: dark)');
  const stored = readStored();
  const apply = (theme) => {
    document.documentElement.dataset.theme = theme;
    button.setAttribute('aria-pressed', String(theme === 'dark'));
  };
  apply(stored ?? (media.matches ? 'dark' : 'light'));
  media.addEventListener('change', (event) => {
    if (!readStored()) apply(event.matches ? 'dark' : 'light');
  });
  button.addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Storage disabled: the toggle still works for this page.
    }
    apply(next);
  });
}

function readStored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    return null;
  }
}
