/** Tiny DOM helpers: build elements without innerHTML (no injection from API strings). */

/**
 * Creates an element. `attrs` keys: `class`, `text`, `on<Event>` handlers, `dataset`, others as attributes.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {(Node|string|null|undefined|false)[]} [children]
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function')
      el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** Creates an SVG element with attributes. */
export function svg(tag, attrs = {}, children = []) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  }
  for (const child of children) el.append(child);
  return el;
}

/** `document.getElementById` that fails loudly when the page and script disagree. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`Missing element #${id}`);
  return el;
}

/** Shows or hides an element via the `hidden` attribute. */
export function show(el, visible) {
  el.hidden = !visible;
}

/**
 * Resolves once `el` first comes within `margin` (a CSS length or a share of the screen's height)
 * of the screen: a card below the fold loads its data when the user scrolls towards it or jumps
 * to it (#settings), not with the page. Watching starts when `after` resolves (the page's first
 * data is in: before that its cards are short, and a card far down looks near). At once where
 * IntersectionObserver is missing.
 * @param {Element} el
 * @param {{margin?: string, after?: Promise<unknown>}} [options]
 * @returns {Promise<void>}
 */
export function near(el, { margin = '50%', after = Promise.resolve() } = {}) {
  return new Promise((resolve) => {
    if (typeof IntersectionObserver !== 'function') {
      resolve();
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        resolve();
      },
      { rootMargin: `${margin} 0px ${margin} 0px` },
    );
    after.then(() => observer.observe(el));
  });
}
