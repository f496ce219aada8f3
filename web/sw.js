/**
 * Service worker: makes SpotiPi installable and lets the shell open when the Pi is briefly
 * unreachable. Network first, so a new version is picked up at once; API calls are never cached.
 */
const CACHE = 'spotipi-shell-v1';
const SHELL = [
  './',
  'app.css',
  'i18n/catalogue.json',
  'manifest.webmanifest',
  'icons/icon.svg',
  'js/main.js',
  'js/alarms.js',
  'js/alarm-safety.js',
  'js/alarm-safety-model.js',
  'js/api.js',
  'js/artist-view.js',
  'js/chart.js',
  'js/dom.js',
  'js/format.js',
  'js/forms.js',
  'js/i18n.js',
  'js/icons.js',
  'js/item-sheet.js',
  'js/library.js',
  'js/library-model.js',
  'js/music-list.js',
  'js/music-model.js',
  'js/notices.js',
  'js/now-playing.js',
  'js/picks.js',
  'js/play-target.js',
  'js/playback-model.js',
  'js/poller.js',
  'js/queue-view.js',
  'js/reauth.js',
  'js/search.js',
  'js/sleep.js',
  'js/store.js',
  'js/theme.js',
  'js/token-model.js',
  'js/token-panel.js',
];

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
  const isShell =
    event.request.method === 'GET' && url.origin === self.location.origin && isShellPath(url.pathname);
  if (!isShell) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      })
      .catch(() => caches.match(event.request).then((hit) => hit ?? Response.error())),
  );
});

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
