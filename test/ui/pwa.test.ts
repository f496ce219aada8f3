import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { type DemoServer, startDemoServer } from './harness.js';
import { builtWebRoot, WEB_ROOT } from './web-module.js';

/** The built service worker's shell list and cache name. */
function builtShell(webRoot: string): { shell: string[]; cache: string } {
  const sw = readFileSync(join(webRoot, 'sw.js'), 'utf8');
  const shell = JSON.parse(/const SHELL = (\[[^\]]*\]);/.exec(sw)?.[1] ?? '[]') as string[];
  return { shell, cache: /const CACHE = '([^']+)';/.exec(sw)?.[1] ?? '' };
}

describe('the service worker shell list', () => {
  it('names the built bundle (styles are in the page, strings in the bundle), so the installed app opens offline', async () => {
    const root = await builtWebRoot();
    const { shell, cache } = builtShell(root);
    const html = readFileSync(join(root, 'index.html'), 'utf8');
    const script = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
    expect(script).toMatch(/^js\/main-[A-Z0-9]{8}\.js$/);
    expect(html).not.toContain('rel="stylesheet"');
    expect(shell).toEqual([script]);
    for (const entry of shell) expect(existsSync(join(root, entry)), entry).toBe(true);
    // A new build (new file names) is a new cache, so an old shell never outlives its files.
    expect(cache).toMatch(/^spotipi-shell-[A-Z0-9]{8}$/);
    // The page's modules are one bundle: the page loads no other script.
    expect([...html.matchAll(/<script\b/g)]).toHaveLength(1);
  });

  it('leaves web/sw.js with an empty shell, so unbuilt web/ caches what the page fetches', () => {
    const { shell } = builtShell(WEB_ROOT);
    expect(shell).toEqual([]);
  });
});

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
    // Wait until the shell and the page are cached, then reload with the network gone: the page still opens.
    const { shell, cache } = builtShell(await builtWebRoot());
    await expect
      .poll(() =>
        page.evaluate(
          async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname),
          cache,
        ),
      )
      .toEqual(expect.arrayContaining(['/', ...shell.map((entry) => `/${entry}`)]));
    await context.setOffline(true);
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.locator('#np-heading').textContent()).toBe('Now playing');
    await expect.poll(() => page.locator('#notice-title').textContent()).toBe('SpotiPi is not answering');
  });

  it('loads in few requests: one bundle with its strings, the styles inside the page, compressed, and no /healthz (the page carries the mode)', async () => {
    context = await browser.newContext({ locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    const paths: string[] = [];
    page.on('request', (request: Request) => {
      const url = new URL(request.url());
      if (url.origin === demo.url) paths.push(url.pathname);
    });
    const response = await page.goto(demo.url);
    await page.waitForSelector('html[data-ready="true"]');
    expect(await response?.headerValue('content-encoding')).toBe('br');
    expect(await page.locator('#demo-banner').isVisible()).toBe(true);
    expect(paths).not.toContain('/healthz');
    const scripts = paths.filter((p) => p.endsWith('.js'));
    expect(scripts).toEqual([expect.stringMatching(/^\/js\/main-[A-Z0-9]{8}\.js$/)]);
    expect(paths.filter((p) => p.endsWith('.css') || p.includes('/i18n/'))).toEqual([]);
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
    // The player polls every 4 s: 7 s would see at least one poll.
    await page.waitForTimeout(7_000);
    expect(polls.length).toBe(whileHidden);
    await setHidden(false);
    await expect.poll(() => polls.length, { timeout: 1_000 }).toBeGreaterThan(whileHidden);
  }, 30_000);
});
