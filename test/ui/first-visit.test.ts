/**
 * A phone's first visit, counted where the requests land: at SpotiPi's server (issue 17: at most 10,
 * each thing once). What sits below the fold loads when the user gets there, and still fills.
 */
import type { IncomingMessage } from 'node:http';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { useDemoBrowser } from './demo-browser.js';
import { type DemoServer, getJson, startUiServer, type UiServer } from './harness.js';

const PHONE = { width: 390, height: 844 };
/** The first visit may cost at most this many requests (issue 17's target). */
const MAX_FIRST_VISIT = 10;
/** What the cards below the fold and behind a control ask for, once they are reached. */
const BELOW_THE_FOLD = ['/api/settings', '/api/settings/account', '/api/sleep/settings', '/api/sleep'];

const ui = useDemoBrowser();

/** Records the path of every request that reaches `server` (its own HTTP server, so nothing escapes). */
function countRequests(server: UiServer): { paths: string[]; stop(): void } {
  const paths: string[] = [];
  const onRequest = (req: IncomingMessage) => paths.push((req.url ?? '').split('?')[0]!);
  server.server.app.server.on('request', onRequest);
  return { paths, stop: () => server.server.app.server.off('request', onRequest) };
}

/**
 * Opens `url` in a fresh browser (no cache; service worker allowed, as a phone's first visit is)
 * and waits for the page's first round of data: the player shows whether its track is liked, the
 * page has had some of its own time to look which cards are near the screen, and no request has
 * come for a second. The page's clock moves only that little, so no poll comes round a second
 * time however slow the machine (every request seen is part of the first visit); it runs on once
 * counted.
 */
async function firstVisit(
  url: string,
  seen: string[],
  locale = 'en-US',
): Promise<{ page: Page; errors: string[]; first: string[] }> {
  const context = await ui.newContext({ viewport: PHONE, locale, timezoneId: 'Europe/Berlin' });
  const page = await context.newPage();
  await page.clock.install();
  await page.clock.pauseAt(Date.now() + 1000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    // The demo's cover art is served over plain http, which the page's CSP refuses (real art is https).
    if (msg.type() === 'error' && !msg.text().includes('/__emulator/art/')) errors.push(msg.text());
  });
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]');
  await page.waitForSelector('#btn-like[data-known="true"]', { state: 'attached', timeout: 15_000 });
  // Less than any poll's interval (4 s; 1 s for the token card's second look at a token being
  // refreshed) and the page's longest wait for its first round (3 s).
  for (let i = 0; i < 3; i++) {
    await page.clock.runFor(200);
    await page.waitForTimeout(500);
  }
  for (let before = -1; before !== seen.length; ) {
    before = seen.length;
    await page.waitForTimeout(1000);
  }
  // Cover art is Spotify's CDN on a real install, not this server.
  const first = seen.filter((p) => !p.startsWith('/__emulator/'));
  await page.clock.resume();
  return { page, errors, first };
}

/** The snooze minutes the server holds, as the settings card should show them. */
async function snooze(server: DemoServer): Promise<string> {
  return String(
    (await getJson<{ settings: { snooze_minutes: number } }>(server, '/api/settings')).settings
      .snooze_minutes,
  );
}

/** How often each path was asked for. */
function tally(paths: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(p, (counts.get(p) ?? 0) + 1);
  return counts;
}

describe('a first visit on a phone', () => {
  it('asks the server at most 10 things, each once, and nothing for the cards below the fold; they fill when reached', async () => {
    // Sleep defaults the sleep card and the settings card both show.
    await fetch(`${ui.demo.url}/api/sleep/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ minutes: 25, fade_out_seconds: 17 }),
    });
    const snoozeMinutes = await snooze(ui.demo);
    const counter = countRequests(ui.demo);
    try {
      const { page, errors, first } = await firstVisit(ui.demo.url, counter.paths);
      expect(first.length, first.join(' ')).toBeLessThanOrEqual(MAX_FIRST_VISIT);
      // Each once: the preloaded answers are the ones the page uses, the sleep defaults are shared.
      const repeated = [...tally(first)].filter(([, n]) => n > 1);
      expect(repeated, first.join(' ')).toEqual([]);
      for (const path of BELOW_THE_FOLD) expect(first, path).not.toContain(path);
      // The heart beside the track came with the player's state, not in a request after it.
      expect(first).not.toContain('/api/library/saved');
      // Styles and strings travel inside the page and its one bundle; the mode too (no /healthz).
      expect(first.filter((p) => p.endsWith('.css') || p.includes('/i18n/') || p === '/healthz')).toEqual([]);
      expect(first.filter((p) => p.endsWith('.js') && p !== '/sw.js')).toHaveLength(1);

      // Scrolled to: the settings card fills (settings, account, the sleep defaults).
      await page.locator('#settings').scrollIntoViewIfNeeded();
      await expect.poll(() => page.locator('#set-snooze_minutes').inputValue()).toBe(snoozeMinutes);
      await expect.poll(() => page.locator('#account-detail').textContent()).toContain('Demo account');
      await expect.poll(() => page.locator('#set-sleep_minutes').inputValue()).toBe('25');
      expect(await page.locator('#settings-save').isEnabled()).toBe(true);

      // The sleep card fills from the same answer: the defaults are asked for once.
      await page.locator('#sleep').scrollIntoViewIfNeeded();
      await expect.poll(() => page.locator('#sleep-fade').inputValue()).toBe('17');
      expect(await page.locator('#sleep-minutes').inputValue()).toBe('25');
      await expect.poll(() => counter.paths.includes('/api/sleep')).toBe(true);
      const counts = tally(counter.paths);
      for (const path of ['/api/settings', '/api/settings/account', '/api/sleep/settings']) {
        expect(counts.get(path), path).toBe(1);
      }
      expect(errors).toEqual([]);
    } finally {
      counter.stop();
    }
  });

  it('opened at /#settings fills the settings card at once, in German, and switches to English', async () => {
    const snoozeMinutes = await snooze(ui.demo);
    const counter = countRequests(ui.demo);
    try {
      const context = await ui.newContext({ viewport: PHONE, locale: 'de-DE', serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(`${ui.demo.url}/#settings`);
      await page.waitForSelector('html[data-ready="true"]');
      expect(await page.locator('#settings-heading').textContent()).toBe('Einstellungen');
      await expect.poll(() => page.locator('#set-snooze_minutes').inputValue()).toBe(snoozeMinutes);
      await expect.poll(() => page.locator('#account-detail').textContent()).toContain('Demo-Konto');
      // It lands on the card, not where the card was before the cards above it got their data.
      const top = async () => (await page.locator('#settings').boundingBox())?.y ?? -1;
      await expect.poll(async () => (await top()) >= 0 && (await top()) < PHONE.height / 2).toBe(true);
      // The strings of both languages came with the bundle: switching asks nothing more.
      const before = counter.paths.filter((p) => p.includes('i18n')).length;
      await page.locator('#lang-select').selectOption('en');
      expect(await page.locator('#settings-heading').textContent()).toBe('Settings');
      expect(counter.paths.filter((p) => p.includes('i18n')).length).toBe(before);
    } finally {
      counter.stop();
    }
  });

  it('keeps what the user set in the sleep form when the defaults arrive after it', async () => {
    await fetch(`${ui.demo.url}/api/sleep/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ volume: 40, fade_out_seconds: 33 }),
    });
    const context = await ui.newContext({ viewport: PHONE, locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked = false;
    await page.route('**/api/sleep/settings', async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    await page.goto(ui.demo.url);
    await page.waitForSelector('html[data-ready="true"]');
    await page.locator('#sleep').scrollIntoViewIfNeeded();
    await expect.poll(() => asked).toBe(true);
    await page.locator('#sleep-volume').fill('22');
    release();
    await expect.poll(() => page.locator('#sleep-fade').inputValue()).toBe('33');
    expect(await page.locator('#sleep-volume').inputValue()).toBe('22');
  });
});

describe('a first visit to a server on a real Spotify account', () => {
  let spotify: RunningEmulator;
  let server: UiServer;
  beforeAll(async () => {
    spotify = await startEmulator({ port: 0, initialPlayback: 'playing' });
    server = await startUiServer({
      env: {
        SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
        SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
        SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
        SPOTIFY_ACCOUNTS_URL: spotify.url,
        SPOTIFY_API_URL: spotify.url,
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await spotify?.close();
  });

  it('asks nothing about first-run setup and follows the theme saved on the server', async () => {
    const patched = await fetch(`${server.url}/api/settings`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ theme: 'black', language: 'de' }),
    });
    expect(patched.status).toBe(200);
    const counter = countRequests(server);
    try {
      const { page, errors, first } = await firstVisit(server.url, counter.paths);
      expect(first.length, first.join(' ')).toBeLessThanOrEqual(MAX_FIRST_VISIT);
      expect(first).not.toContain('/api/setup');
      expect(first).not.toContain('/api/settings');
      expect(await page.locator('#setup').isVisible()).toBe(false);
      // The server's settings came with the page itself.
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('black');
      expect(await page.locator('#np-heading').textContent()).toBe('Läuft gerade');
      expect(errors).toEqual([]);
    } finally {
      counter.stop();
    }
  });
});
