/**
 * The page as a phone loads it, measured in Chromium through the DevTools protocol: requests and
 * bytes on the wire (encoded, headers included) until the network is quiet, and the polling rate
 * while the tab is visible and while it is hidden.
 */
import type { Browser, CDPSession } from 'playwright-core';
import { launchChromium } from '../test/ui/browser.js';

/** One first visit (empty cache, no service worker yet), counting what SpotiPi's server sends. */
export interface PageLoad {
  requests: number;
  /** Requests to other origins: cover art, which on a real install comes from Spotify's CDN. */
  otherOrigins: number;
  wireKb: number;
  loadEventMs: number;
  networkQuietMs: number;
  /** Path, encoded size and timing (ms from navigation) of each request, for the report. */
  detail: { path: string; kb: number; encoding: string; startMs: number; endMs: number }[];
}

/** Quiet means no request in flight and none started for this long. */
const QUIET_MS = 500;

interface Tracked {
  origin: string;
  path: string;
  /** When the browser sent it and finished it, by its own clock (CDP timestamps, seconds). */
  sentAt: number;
  doneAt?: number;
  /** The same two on this process's clock, to know when the network went quiet. */
  startedAt: number;
  endedAt?: number;
  bytes: number;
  encoding: string;
  fromCache: boolean;
}

/** Tracks network activity of a page (and its service worker) through CDP Network events. */
function track(session: CDPSession, now: () => number): Map<string, Tracked> {
  const requests = new Map<string, Tracked>();
  session.on('Network.requestWillBeSent', (e) => {
    const url = new URL(e.request.url);
    requests.set(e.requestId, {
      origin: url.origin,
      path: url.pathname,
      sentAt: e.timestamp,
      startedAt: now(),
      bytes: 0,
      encoding: '',
      fromCache: false,
    });
  });
  session.on('Network.responseReceived', (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.fromCache = Boolean(
      e.response.fromDiskCache || e.response.fromServiceWorker || e.response.fromPrefetchCache,
    );
    r.encoding = String(
      e.response.headers['content-encoding'] ?? e.response.headers['Content-Encoding'] ?? '',
    );
  });
  session.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.endedAt = now();
    r.doneAt = e.timestamp;
    r.bytes = e.encodedDataLength;
  });
  session.on('Network.loadingFailed', (e) => {
    const r = requests.get(e.requestId);
    if (!r) return;
    r.endedAt = now();
    r.doneAt = e.timestamp;
  });
  return requests;
}

/** Waits until nothing has been in flight or started for QUIET_MS; returns when the last request ended. */
async function waitQuiet(
  requests: Map<string, Tracked>,
  now: () => number,
  timeoutMs = 15_000,
): Promise<number> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const all = [...requests.values()];
    const busy = all.some((r) => r.endedAt === undefined);
    const last = Math.max(0, ...all.map((r) => r.endedAt ?? r.startedAt));
    if ((!busy && now() - last >= QUIET_MS) || now() > deadline) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts Chromium for the bench (Debian's, never a downloaded one). */
export function launch(): Promise<Browser> {
  return launchChromium();
}

/**
 * Loads `url` in a fresh context (a first visit) and measures it. Times are the browser's own
 * (CDP event timestamps and the navigation timing entry), so a loaded machine delaying the
 * events on their way to this process does not stretch them.
 */
export async function measurePageLoad(browser: Browser, url: string): Promise<PageLoad> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
  try {
    const page = await context.newPage();
    const session = await context.newCDPSession(page);
    await session.send('Network.enable');
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const requests = track(session, now);
    await page.goto(url, { waitUntil: 'load' });
    const origin = new URL(url).origin;
    await waitQuiet(requests, now);
    // A string, not a function: tsx's name helpers do not exist in the page.
    const loadEventMs = Number(
      await page.evaluate(`performance.getEntriesByType('navigation')[0]?.loadEventStart ?? NaN`),
    );
    const all = [...requests.values()];
    const ours = [...requests.values()].filter((r) => r.origin === origin);
    // Milliseconds from the page's own request, by the browser's clock.
    const sent0 = Math.min(...ours.map((r) => r.sentAt));
    const at = (seconds: number) => (seconds - sent0) * 1000;
    const quiet = Math.max(0, ...ours.map((r) => at(r.doneAt ?? r.sentAt)));
    // Requests that reached SpotiPi's server (cache hits cost no wire).
    const wire = ours.filter((r) => !r.fromCache && r.endedAt !== undefined);
    return {
      requests: wire.length,
      otherOrigins: all.filter((r) => r.origin !== origin).length,
      wireKb: wire.reduce((sum, r) => sum + r.bytes, 0) / 1024,
      loadEventMs,
      networkQuietMs: quiet,
      detail: wire.map((r) => ({
        path: r.path,
        kb: r.bytes / 1024,
        encoding: r.encoding,
        startMs: at(r.sentAt),
        endMs: at(r.doneAt ?? r.sentAt),
      })),
    };
  } finally {
    await context.close();
  }
}

/** Polling: requests per second while the page is visible, and while it is hidden. */
export interface Polling {
  visiblePerS: number;
  hiddenCount: number;
  visibleWindowS: number;
  hiddenWindowS: number;
}

/** Opens the page, lets it settle, then counts its requests for `visibleS` visible and `hiddenS` hidden. */
export async function measurePolling(
  browser: Browser,
  url: string,
  visibleS: number,
  hiddenS: number,
): Promise<Polling> {
  const context = await browser.newContext({ locale: 'en-US', serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('html[data-ready="true"]');
    await page.waitForTimeout(3_000); // the first round of loads is the page load, not polling
    let count = 0;
    page.on('request', () => {
      count++;
    });
    await page.waitForTimeout(visibleS * 1000);
    const visible = count;
    // A string, not a function: tsx's name helpers do not exist in the page.
    await page.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    await page.waitForTimeout(500); // requests already on the wire land
    const before = count;
    await page.waitForTimeout(hiddenS * 1000);
    return {
      visiblePerS: visible / visibleS,
      hiddenCount: count - before,
      visibleWindowS: visibleS,
      hiddenWindowS: hiddenS,
    };
  } finally {
    await context.close();
  }
}

/**
 * A burst of UI use: `visits` first visits one after another, each clicking through what the page
 * offers (reloads, library refresh), so the server builds and throws away what real use does.
 */
export async function uiBurst(browser: Browser, url: string, visits: number): Promise<void> {
  for (let i = 0; i < visits; i++) {
    const context = await browser.newContext({ locale: i % 2 ? 'de-DE' : 'en-US', serviceWorkers: 'block' });
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector('html[data-ready="true"]');
      await page.waitForTimeout(300);
      await page.reload();
      await page.waitForSelector('html[data-ready="true"]');
      await Promise.all(
        [
          '/api/music-library?refresh=1',
          '/api/devices',
          '/playback_status',
          '/api/alarms',
          '/api/token-cache/status',
        ].map((path) => page.evaluate(`fetch(${JSON.stringify(path)}).then((r) => r.text())`)),
      );
    } finally {
      await context.close();
    }
  }
}
