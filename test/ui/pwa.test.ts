import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { type DemoServer, startDemoServer } from './harness.js';
import { WEB_ROOT } from './web-module.js';

const swSource = readFileSync(join(WEB_ROOT, 'sw.js'), 'utf8');
const shell = [...(/const SHELL = \[([\s\S]*?)\];/.exec(swSource)?.[1] ?? '').matchAll(/'([^']+)'/g)].map(
  (m) => m[1] ?? '',
);

describe('the service worker shell list', () => {
  it('names every script module of the page, so the installed app opens offline', () => {
    const modules = readdirSync(join(WEB_ROOT, 'js'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => `js/${f}`);
    expect(modules.length).toBeGreaterThan(10);
    expect(modules.filter((m) => !shell.includes(m))).toEqual([]);
  });

  it('names only files that exist', () => {
    const missing = shell.filter((entry) => entry !== './' && !readdirSafe(join(WEB_ROOT, entry)));
    expect(missing).toEqual([]);
  });
});

function readdirSafe(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

describe('the installable app in a real browser', () => {
  let demo: DemoServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    demo = await startDemoServer();
    browser = await launchChromium();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('links a manifest whose icons load, registers its service worker, and opens offline from the shell', async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(demo.url);
    await page.waitForSelector('html[data-ready="true"]');
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = (await (await fetch(new URL(manifestHref ?? '', `${demo.url}/`))).json()) as {
      icons: { src: string }[];
    };
    for (const icon of manifest.icons) {
      const res = await fetch(new URL(icon.src, `${demo.url}/`));
      expect(res.status, icon.src).toBe(200);
    }
    // 127.0.0.1 is a secure context, so the page registers sw.js and it takes control.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${demo.url}/`);
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    // Wait until the shell is cached, then reload with the network gone: the page still opens.
    await expect
      .poll(() => page.evaluate(async () => (await (await caches.open('spotipi-shell-v1')).keys()).length))
      .toBeGreaterThanOrEqual(20);
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.locator('#np-heading').textContent()).toBe('Now playing');
    await expect.poll(() => page.locator('#notice-title').textContent()).toBe('SpotiPi is not answering');
  });

  it('stops polling while the tab is hidden and polls at once when it is shown again', async () => {
    context = await browser.newContext({ locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    const polls: number[] = [];
    page.on('request', (request: Request) => {
      if (
        /\/(playback_status|api\/token-cache\/status|api\/alarms|api\/sleep)$/.test(
          new URL(request.url()).pathname,
        )
      )
        polls.push(Date.now());
    });
    await page.goto(demo.url);
    await page.waitForSelector('html[data-ready="true"]');
    await expect.poll(() => polls.length).toBeGreaterThan(3);
    const setHidden = (hidden: boolean) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
        Object.defineProperty(document, 'visibilityState', {
          configurable: true,
          get: () => (value ? 'hidden' : 'visible'),
        });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.waitForTimeout(300); // let requests already on the wire land
    const whileHidden = polls.length;
    // The player polls every 3 s and the token panel every 5 s: 7 s would see both.
    await page.waitForTimeout(7_000);
    expect(polls.length).toBe(whileHidden);
    await setHidden(false);
    await expect.poll(() => polls.length, { timeout: 1_000 }).toBeGreaterThan(whileHidden);
  }, 30_000);
});
