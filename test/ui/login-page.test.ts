import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loginLanguage } from '../../src/server/routes/auth.js';
import { launchChromium } from './browser.js';
import { type DemoServer, startDemoServer } from './harness.js';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const PASSWORD = 'open sesame 42';

describe('the login page language', () => {
  it('takes ?lang= first, then the best Accept-Language by q, then English', () => {
    const offered = ['en', 'de'];
    expect(loginLanguage('de', 'en-US', offered)).toBe('de');
    expect(loginLanguage('fr', 'de-AT,de;q=0.9', offered)).toBe('de');
    expect(loginLanguage(undefined, 'fr-FR,fr;q=0.9,de;q=0.8,en;q=0.7', offered)).toBe('de');
    expect(loginLanguage(undefined, 'en;q=0.5, de-CH;q=0.8', offered)).toBe('de');
    expect(loginLanguage(undefined, 'de;q=0, en', offered)).toBe('en');
    expect(loginLanguage(undefined, 'fr, *;q=0.5', offered)).toBe('en');
    expect(loginLanguage(undefined, undefined, offered)).toBe('en');
    // Garbage is skipped; a q that is not a number counts as absent.
    expect(loginLanguage(undefined, ';;;,q=,de;q=abc', offered)).toBe('de');
  });
});

describe('the password login page in a real browser', () => {
  let demo: DemoServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    await mkdir(OUTPUT, { recursive: true });
    demo = await startDemoServer({ env: { SPOTIPI_PASSWORD: PASSWORD } });
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

  async function open(locale: string): Promise<{ page: Page; errors: string[] }> {
    context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      locale,
      serviceWorkers: 'block',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(demo.url);
    return { page, errors };
  }

  it('greets a German browser in German, says a wrong password in German, and lets the right one in to the German UI', async () => {
    const { page, errors } = await open('de-DE');
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('SpotiPi ist gesperrt');
    expect(await page.getByLabel('Passwort').count()).toBe(1);
    // The password field has focus, so a keyboard user just types.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    // The UI's look: its card on its background, and the brand icon (a public path) loads.
    expect(
      await page.locator('.brand img').evaluate((img: HTMLImageElement) => img.naturalWidth),
    ).toBeGreaterThan(0);
    await page.screenshot({ path: `${OUTPUT}ui-login-phone.png`, fullPage: true });

    await page.getByLabel('Passwort').fill('wrong');
    await page.getByRole('button', { name: 'Entsperren' }).click();
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toBe('Das Passwort stimmt nicht.');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('#password').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entsperren' }).click();
    await page.waitForSelector('html[data-ready="true"]');
    expect(new URL(page.url()).pathname).toBe('/');
    await expect.poll(() => page.locator('#np-heading').textContent()).toBe('Läuft gerade');
    // Chromium logs the 401 page load itself as a console error; nothing else may appear.
    expect(errors.filter((e) => !/401 \(Unauthorized\)/.test(e))).toEqual([]);
  });

  it('switches language with the links on the page and keeps the way back to the page asked for', async () => {
    context = await browser.newContext({ locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(`${demo.url}/auth/login?next=%2F%23alarms`);
    expect(await page.locator('h1').textContent()).toBe('SpotiPi is locked');
    await page.getByRole('link', { name: 'Deutsch' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('SpotiPi ist gesperrt');
    expect(await page.locator('input[name="next"]').inputValue()).toBe('/#alarms');
    expect(await page.getByRole('link', { name: 'Deutsch' }).getAttribute('aria-current')).toBe('true');
  });

  it('answers a browser form over the attempt limit with the page saying so, not JSON', async () => {
    const attempt = () =>
      fetch(`${demo.url}/auth/login?lang=de`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password: 'guess', next: '/' }),
      });
    let res = await attempt();
    for (let i = 0; i < 10 && res.status !== 429; i++) res = await attempt();
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const html = await res.text();
    expect(html).toContain('Zu viele Versuche. Warte eine Minute und versuche es erneut.');
    expect(html).toContain('type="password"');
    expect(html).not.toContain('guess');
  });
});
