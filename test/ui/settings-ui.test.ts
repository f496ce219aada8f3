import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { CHROMIUM_PATH, launchChromium } from './browser.js';
import { createAlarmInTwoMinutes, type DemoServer, getJson, startDemoServer } from './harness.js';

/** Screenshots are looked at by eye, never committed. */
const SHOTS = process.env.SPOTIPI_SHOTS_DIR ?? '/tmp/spotipi-settings-shots';
const PHONE = { width: 390, height: 844 };
const CLIENT_ID = '0123456789abcdef0123456789abcdef';
const SECRET = 'fedcba9876543210fedcba9876543210';

let browser: Browser;
let context: BrowserContext | undefined;
const servers: DemoServer[] = [];

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});
afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
});

async function server(options: Parameters<typeof startDemoServer>[0] = {}): Promise<DemoServer> {
  const s = await startDemoServer(options);
  servers.push(s);
  return s;
}

/** Opens `url` at phone size; records console errors; `init` runs in the page before its scripts. */
async function open(
  url: string,
  options: { locale?: string; init?: () => void } = {},
): Promise<{ page: Page; errors: string[] }> {
  context = await browser.newContext({
    viewport: PHONE,
    locale: options.locale ?? 'en-US',
    timezoneId: 'Europe/Berlin',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  if (options.init) await page.addInitScript(options.init);
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors };
}

/**
 * Scrolls to the settings card, which loads its data when it comes near the screen, and waits for
 * the form to take input.
 */
async function openSettings(page: Page): Promise<void> {
  await page.locator('#settings').scrollIntoViewIfNeeded();
  await page.waitForSelector('#settings-form[aria-busy="false"]');
}

async function patch(demo: DemoServer, body: unknown): Promise<void> {
  const res = await fetch(`${demo.url}/api/settings`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`PATCH /api/settings: ${res.status} ${await res.text()}`);
}

describe('the settings card', () => {
  it('shows the settings, explains a locked one, saves a change and applies the true-black theme at once', async () => {
    const demo = await server({ env: { SPOTIPI_SNOOZE_MINUTES: '7' } });
    const { page, errors } = await open(demo.url);
    await openSettings(page);
    const snooze = page.locator('#set-snooze_minutes');
    await expect.poll(() => snooze.inputValue()).toBe('7');
    expect(await snooze.isDisabled()).toBe(true);
    expect(await page.locator('#set-snooze_minutes-lock').textContent()).toBe(
      'Set by SPOTIPI_SNOOZE_MINUTES (environment); change it there.',
    );
    expect(await page.locator('#account-name').textContent()).not.toBe('–');
    expect(await page.locator('#account-detail').textContent()).toContain('Demo account');
    // No password: no SpotiPi logout buttons.
    expect(await page.locator('#access').isVisible()).toBe(false);

    await page.locator('#set-alarm_volume').fill('35');
    await page.locator('#set-theme').selectOption('black');
    await expect.poll(() => page.locator('#set-sleep_minutes').inputValue()).toBe('30');
    await page.locator('#set-sleep_minutes').fill('45');
    await page.locator('#settings-save').click();
    await expect.poll(() => page.locator('#settings-saved').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('black');
    const saved = await getJson<{ settings: Record<string, unknown> }>(demo, '/api/settings');
    expect(saved.settings).toMatchObject({ alarm_volume: 35, theme: 'black', snooze_minutes: 7 });
    expect((await getJson<{ minutes: number }>(demo, '/api/sleep/settings')).minutes).toBe(45);
    await page.locator('#settings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/settings-en-black.png`, fullPage: false });
    expect(errors).toEqual([]);

    // Another device with no theme of its own follows the saved one; one that chose keeps its own.
    await context?.close();
    const fresh = await open(demo.url);
    await expect.poll(() => fresh.page.evaluate(() => document.documentElement.dataset.theme)).toBe('black');
    await fresh.page.locator('#theme-toggle').click();
    await fresh.page.reload();
    await fresh.page.waitForSelector('html[data-ready="true"]');
    await fresh.page.waitForTimeout(500);
    expect(await fresh.page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
  });

  it('shows the server refusal of a bad value at its field, in German on the German page', async () => {
    const demo = await server();
    const { page } = await open(demo.url, { locale: 'de-DE' });
    await openSettings(page);
    await page.locator('#set-alarm_volume').fill('300');
    await page.locator('#settings-save').click();
    const error = page.locator('#set-alarm_volume-error');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toBe('alarm_volume: erwartet eine ganze Zahl zwischen 0 und 100');
    expect(await page.locator('#set-alarm_volume').getAttribute('aria-invalid')).toBe('true');

    // The sleep defaults are refused at their own field.
    await page.locator('#set-alarm_volume').fill('40');
    await page.locator('#set-sleep_minutes').fill('0');
    await page.locator('#settings-save').click();
    const sleepError = page.locator('#set-sleep_minutes-error');
    await expect.poll(() => sleepError.isVisible()).toBe(true);
    await page.locator('#settings').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/settings-de-error.png` });
  });

  it('offers Log out and Log out everywhere when a password protects SpotiPi', async () => {
    const demo = await server({ env: { SPOTIPI_PASSWORD: 'correct horse battery' } });
    const contexts: BrowserContext[] = [];
    /** A browser (its own cookies) logged in to SpotiPi. */
    const loggedIn = async (): Promise<Page> => {
      const ctx = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await page.goto(`${demo.url}/auth/login`);
      await page.locator('input[type="password"]').fill('correct horse battery');
      await page.locator('button[type="submit"], input[type="submit"]').first().click();
      await page.waitForSelector('html[data-ready="true"]');
      await openSettings(page);
      // Generous: three browsers log in at once on a loaded machine.
      await expect.poll(() => page.locator('#access').isVisible(), { timeout: 20_000 }).toBe(true);
      return page;
    };
    const apiStatus = (page: Page) => page.evaluate(async () => (await fetch('/api/settings')).status);
    try {
      const phone = await loggedIn();
      const laptop = await loggedIn();
      const tablet = await loggedIn();

      // Log out: this browser only.
      await phone.locator('#access-logout').click();
      await phone.waitForURL(/\/auth\/login/);
      expect(await apiStatus(phone)).toBe(401);
      expect(await apiStatus(tablet)).toBe(200);

      // Log out everywhere: every other browser too.
      await laptop.locator('#access-logout-all').click();
      await laptop.waitForURL(/\/auth\/login/);
      expect(await apiStatus(laptop)).toBe(401);
      expect(await apiStatus(tablet)).toBe(401);
    } finally {
      for (const ctx of contexts) await ctx.close();
    }
  }, 60_000);
});

describe('first-run setup in the browser', () => {
  let spotify: RunningEmulator;
  beforeAll(async () => {
    spotify = await startEmulator({ port: 0, clientId: CLIENT_ID, clientSecret: SECRET });
  });
  afterAll(async () => {
    await spotify?.close();
  });

  it('goes from demo mode to a logged-in account without a restart', async () => {
    const demo = await server({ env: { SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_API_URL: spotify.url } });
    const { page, errors } = await open(demo.url);
    await expect.poll(() => page.locator('#setup').isVisible()).toBe(true);
    expect(await page.locator('#demo-banner').isVisible()).toBe(true);
    expect(await page.locator('#setup-redirect').textContent()).toBe(`${demo.url}/callback`);
    await page.screenshot({ path: `${SHOTS}/setup-en.png` });

    await page.locator('#setup-client-id').fill('ffffffffffffffffffffffffffffffff');
    await page.locator('#setup-submit').click();
    const idError = page.locator('#setup-client_id-error');
    await expect.poll(() => idError.isVisible()).toBe(true);
    expect(await idError.textContent()).toContain('does not know this Client ID');

    await page.locator('#setup-client-id').fill(CLIENT_ID);
    await page.locator('#setup-client-secret').fill(SECRET);
    await page.locator('#setup-submit').click();
    await expect.poll(() => page.locator('#setup-login').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#demo-banner').isVisible()).toBe(false);
    await page.screenshot({ path: `${SHOTS}/setup-en-saved.png` });

    // Into Spotify's (the emulator's) consent page and back.
    await page.locator('#setup-login').click();
    await page.waitForURL(new RegExp(`^${spotify.url}/authorize`));
    await page.locator('button[value="accept"], button[name="decision"][value="accept"]').first().click();
    await page.waitForURL(/\/callback\?/);
    expect(await page.locator('h1').textContent()).toBe('Logged in to Spotify');
    await page.locator('a[href="/"]').click();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.locator('#setup').isVisible()).toBe(false);
    expect(await page.locator('#demo-badge').isVisible()).toBe(false);
    await openSettings(page);
    await expect.poll(() => page.locator('#account-detail').textContent()).toContain('valid');
    expect(await page.locator('#account-detail').textContent()).toContain('login valid until');
    expect(await page.locator('#account-disconnect').isVisible()).toBe(true);
    const health = await getJson<{ mode: string }>(demo, '/healthz');
    expect(health.mode).toBe('spotify');
    // Expected noise: the refused Client ID (400), the demo's cover art is gone (404), and the stand-in Spotify serves its art
    // over plain http, which the page's CSP refuses (real Spotify art is https).
    const unexpected = errors.filter(
      (e) => !/status of (400|401|404)/.test(e) && !e.includes('/__emulator/art/'),
    );
    expect(unexpected).toEqual([]);
  });

  it('on a phone (not the server machine) uses the paste-back login to leave demo mode', async () => {
    const demo = await server({
      env: {
        SPOTIFY_ACCOUNTS_URL: spotify.url,
        SPOTIFY_API_URL: spotify.url,
        SPOTIPI_ALLOWED_HOSTS: 'spotipi.test',
      },
    });
    // The page is opened as http://spotipi.test:PORT, as a phone would open http://pi.local:PORT.
    const phoneBrowser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP spotipi.test 127.0.0.1'],
    });
    try {
      const ctx = await phoneBrowser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
      const page = await ctx.newPage();
      await page.goto(demo.url.replace('127.0.0.1', 'spotipi.test'));
      await page.waitForSelector('html[data-ready="true"]');
      await expect.poll(() => page.locator('#setup').isVisible()).toBe(true);
      expect(await page.locator('#setup-pasteback-note').isVisible()).toBe(true);
      await page.locator('#setup-client-id').fill(CLIENT_ID);
      await page.locator('#setup-submit').click();
      await expect.poll(() => page.locator('#setup-paste-form').isVisible()).toBe(true);
      expect(await page.locator('#setup-login').isVisible()).toBe(false);

      // Spotify opens in a new tab. The phone cannot load the redirect to 127.0.0.1 that follows
      // consent, so the consent is given here and the address it redirects to is what gets pasted.
      const [popup] = await Promise.all([
        ctx.waitForEvent('page'),
        page.locator('#setup-open-login').click(),
      ]);
      await popup.waitForURL(/\/authorize\?/);
      await popup.locator('#accept').waitFor();
      const authorizeUrl = new URL(popup.url());
      await popup.close();
      const form = new URLSearchParams(authorizeUrl.searchParams);
      form.set('decision', 'accept');
      const consent = await fetch(`${authorizeUrl.origin}/authorize`, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      const redirected = consent.headers.get('location') ?? '';
      expect(redirected).toMatch(/\/callback\?code=/);
      await page.locator('#setup-paste-url').fill(redirected);
      await page.locator('#setup-paste-form button[type="submit"]').click();
      await expect.poll(() => page.locator('#setup').isVisible()).toBe(false);
      await expect
        .poll(async () => (await getJson<{ connected: boolean }>(demo, '/api/settings/account')).connected)
        .toBe(true);

      // "Log in again" from the phone: Spotify in a new tab, the paste box here.
      await page.reload();
      await page.waitForSelector('html[data-ready="true"]');
      await openSettings(page);
      await expect.poll(() => page.locator('#account-login').textContent()).toBe('Log in again');
      const [again] = await Promise.all([ctx.waitForEvent('page'), page.locator('#account-login').click()]);
      await again.waitForURL(/\/authorize\?/);
      expect(await page.locator('#reauth').isVisible()).toBe(true);
      expect(await page.locator('#paste-url').isVisible()).toBe(true);
      await ctx.close();
    } finally {
      await phoneBrowser.close();
    }
  }, 60_000);

  it('shows the setup card in German', async () => {
    const demo = await server({ env: { SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_API_URL: spotify.url } });
    const { page } = await open(demo.url, { locale: 'de-DE' });
    await expect.poll(() => page.locator('#setup').isVisible()).toBe(true);
    expect(await page.locator('#setup-heading').textContent()).toBe('Dein Spotify verbinden');
    await page.locator('#setup-client-id').fill(CLIENT_ID);
    await page.locator('#setup-client-secret').fill('falsch');
    await page.locator('#setup-submit').click();
    const error = page.locator('#setup-client_secret-error');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toContain('Client-Secret');
    await page.screenshot({ path: `${SHOTS}/setup-de-error.png` });
  });
});

describe('the bedside clock', () => {
  const clock = new ManualClock(Date.now());
  let ringing: DemoServer;
  beforeAll(async () => {
    ringing = await server({ alarmClock: clock });
  });

  /** Records wake-lock requests in `window.__wakeLocks` (headless Chromium has no real screen). */
  const stubWakeLock = () => {
    const w = window as unknown as { __wakeLocks: string[] };
    w.__wakeLocks = [];
    Object.defineProperty(navigator, 'wakeLock', {
      configurable: true,
      value: {
        request: async (type: string) => {
          w.__wakeLocks.push(type);
          return { release: async () => {}, released: false, type };
        },
      },
    });
  };

  it('asks for a screen wake lock, shows the time and dims during the night window', async () => {
    const now = new Date();
    const hhmm = (d: Date) =>
      new Intl.DateTimeFormat('en-GB', {
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZone: 'Europe/Berlin',
      }).format(d);
    // A window around now (Berlin time, as the page sees it): dimmed.
    await patch(ringing, {
      clock_dim_from: hhmm(new Date(now.getTime() - 60 * 60_000)),
      clock_dim_until: hhmm(new Date(now.getTime() + 60 * 60_000)),
    });
    const { page, errors } = await open(`${ringing.url}/#clock`, { init: stubWakeLock });
    await expect.poll(() => page.locator('#clock').isVisible()).toBe(true);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __wakeLocks: string[] }).__wakeLocks))
      .toEqual(['screen']);
    expect(await page.locator('#clock-time').textContent()).toMatch(/^\d{2}:\d{2}$/);
    await expect.poll(() => page.locator('#clock').getAttribute('class')).toContain('dimmed');
    await page.screenshot({ path: `${SHOTS}/clock-en-dimmed.png` });
    // Opened from a bookmark: sound needs one tap first, and the clock says so until then.
    const hint = page.locator('#clock-sound-hint');
    await expect.poll(() => hint.isVisible()).toBe(true);
    await page.locator('#clock-time').click();
    await expect.poll(() => hint.isVisible()).toBe(false);

    // Outside the window: bright.
    await patch(ringing, {
      clock_dim_from: hhmm(new Date(now.getTime() + 2 * 60 * 60_000)),
      clock_dim_until: hhmm(new Date(now.getTime() + 3 * 60 * 60_000)),
    });
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await expect.poll(() => page.locator('#clock').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#clock').getAttribute('class')).not.toContain('dimmed');
    expect(errors).toEqual([]);
  });

  it('offers big snooze and stop while an alarm rings, without moving the clock', async () => {
    const created = await createAlarmInTwoMinutes(ringing, clock.now());
    const alarm = (await created.json()) as { id: string };
    const { page } = await open(`${ringing.url}/#clock`, { init: stubWakeLock });
    await expect.poll(() => page.locator('#clock').isVisible()).toBe(true);
    const timeBox = await page.locator('#clock-time').boundingBox();
    expect(await page.locator('#clock-ringing').getAttribute('data-active')).toBe('false');

    await clock.advance(3 * 60_000);
    await expect
      .poll(() => page.locator('#clock-ringing').getAttribute('data-active'), { timeout: 15_000 })
      .toBe('true');
    expect(await page.locator('#clock-snooze').isEnabled()).toBe(true);
    expect(await page.locator('#clock-time').boundingBox()).toEqual(timeBox);
    await page.screenshot({ path: `${SHOTS}/clock-en-ringing.png` });

    await page.locator('#clock-snooze').click();
    await expect
      .poll(async () => (await getJson<{ state: string }>(ringing, `/api/alarms/${alarm.id}`)).state)
      .toBe('snoozed');
    await expect.poll(() => page.locator('#clock-snooze').isDisabled()).toBe(true);
    await page.locator('#clock-stop').click();
    await expect
      .poll(async () => (await getJson<{ state: string }>(ringing, `/api/alarms/${alarm.id}`)).state)
      .toBe('idle');
    await expect.poll(() => page.locator('#clock-ringing').getAttribute('data-active')).toBe('false');

    // Escape closes the clock; the page's cards come back.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#clock').isVisible()).toBe(false);
    expect(await page.locator('#now-playing').isVisible()).toBe(true);
  });

  it('rings by itself (Web Audio) while the server reports fallback_sound, and shows readiness', async () => {
    // The agreed alarm view (interfaces.md §1 and §3), served to the page as the server will send it.
    let fallback = true;
    const alarm = {
      id: 'f1',
      label: 'Wake',
      time: '07:00',
      enabled: true,
      state: 'ringing',
      next_fire_at: new Date(Date.now() + 86_400_000).toISOString(),
      snoozed_until: null,
      fallback_sound: true,
      readiness: {
        status: 'warning',
        reasons: ['Spotify needs a new login'],
        checked_at: new Date().toISOString(),
      },
    };
    const recordTones = () => {
      const w = window as unknown as { __tones: number };
      w.__tones = 0;
      const param = () => ({
        value: 0,
        setValueAtTime() {},
        linearRampToValueAtTime() {},
        exponentialRampToValueAtTime() {},
        setTargetAtTime() {},
      });
      class FakeAudioContext {
        state = 'running';
        currentTime = 0;
        destination = {};
        resume() {
          return Promise.resolve();
        }
        addEventListener() {}
        createOscillator() {
          return {
            type: 'sine',
            frequency: param(),
            connect: (n: unknown) => n,
            start: () => {
              w.__tones++;
            },
            stop() {},
          };
        }
        createGain() {
          return { gain: param(), connect: (n: unknown) => n };
        }
      }
      (window as unknown as { AudioContext: unknown }).AudioContext = FakeAudioContext;
    };
    context = await browser.newContext({ viewport: PHONE, locale: 'en-US', serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.addInitScript(recordTones);
    await page.addInitScript(stubWakeLock);
    await page.route('**/api/alarms', (route) =>
      route.fulfill({
        json: { alarms: [{ ...alarm, fallback_sound: fallback, state: fallback ? 'ringing' : 'idle' }] },
      }),
    );
    await page.goto(`${ringing.url}/#clock`);
    await page.waitForSelector('html[data-ready="true"]');
    const tones = () => page.evaluate(() => (window as unknown as { __tones: number }).__tones);
    await expect.poll(tones).toBeGreaterThan(0);
    expect(await page.locator('#clock-readiness').textContent()).toBe('Spotify needs a new login');
    expect(await page.locator('#clock-readiness').getAttribute('data-status')).toBe('warning');

    // The server's fallback stops (music started, or stopped elsewhere): the page falls silent.
    fallback = false;
    await expect
      .poll(() => page.locator('#clock-ringing').getAttribute('data-active'), { timeout: 15_000 })
      .toBe('false');
    const after = await tones();
    await page.waitForTimeout(3500);
    expect(await tones()).toBe(after);
  }, 40_000);

  it('makes at most one request every few seconds while it shows, and none while hidden', async () => {
    const { page } = await open(`${ringing.url}/#clock`, { init: stubWakeLock });
    await expect.poll(() => page.locator('#clock').isVisible()).toBe(true);
    await page.waitForTimeout(1000);
    const seen: string[] = [];
    page.on('request', (r) => seen.push(new URL(r.url()).pathname));
    await page.waitForTimeout(9000);
    // 3 s between requests: at most 4 in 9 s (timer jitter on a loaded machine allows one more).
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThanOrEqual(4);
    expect(new Set(seen)).toEqual(new Set(['/api/alarms', '/playback_status']));

    // Hidden (screen off, other tab): no requests at all.
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, value: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    seen.length = 0;
    await page.waitForTimeout(7000);
    expect(seen).toEqual([]);
  }, 40_000);
});
