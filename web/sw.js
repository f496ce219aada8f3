/**
 * Service worker: makes SpotiPi installable and lets the shell open when the Pi is briefly
 * unreachable. API calls are never cached.
 *
 * The build (scripts/build-web.mjs) fills SHELL with the page's content-hashed bundle, stylesheet
 * and catalogue and names CACHE after them. Those files never change under their name, so they
 * are served from the cache without asking the network (and installing costs no request: the
 * browser already holds them). Everything else (the page itself, icons, manifest) is network
 * first, so a new version shows at once, with the cached copy as the offline fallback. Served
 * unbuilt from web/, SHELL is empty and the shell is cached as the page fetches it.
 */
const CACHE = 'spotipi-shell-dev';
const SHELL = [];

/** Content-hashed names (`main-1A2B3C4D.js`): immutable. */
const HASHED = /-[A-Z0-9]{8}\.(js|css|json)$/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || !isShellPath(url.pathname))
    return;
  if (HASHED.test(url.pathname)) {
    event.respondWith(caches.match(event.request).then((hit) => hit ?? fetchAndKeep(event.request)));
    return;
  }
  event.respondWith(
    fetchAndKeep(event.request).catch(() =>
      caches.match(event.request).then((hit) => hit ?? Response.error()),
    ),
  );
});

/** Fetches from the network and keeps a good answer for offline use. */
function fetchAndKeep(request) {
  return fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(request, copy));
    }
    return response;
  });
}

function isShellPath(path) {
  return (
    path === '/' ||
    path.endsWith('.js') ||
    path.endsWith('.css') ||
    path.endsWith('.json') ||
    path.endsWith('.svg') ||
    path.endsWith('.png') ||
    path.endsWith('.webmanifest')
  );
}
