import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/token/manual-clock.js';
import { launchChromium } from './browser.js';
import {
  createAlarmInTwoMinutes,
  type DemoServer,
  emulatorAdmin,
  getJson,
  startDemoServer,
} from './harness.js';

const OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

interface AlarmView {
  id: string;
  label: string;
  time: string;
  enabled: boolean;
  next_fire_at: string | null;
}

interface PlaybackStatus {
  is_playing: boolean;
  context: { uri: string } | null;
  item: { name: string } | null;
}

let demo: DemoServer;
let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  await mkdir(OUTPUT, { recursive: true });
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

async function alarmList(): Promise<AlarmView[]> {
  const body = await getJson<{ alarms?: AlarmView[] } | AlarmView[]>(demo, '/api/alarms');
  return Array.isArray(body) ? body : (body.alarms ?? []);
}

/** Opens the app in a fresh browser context; collects console errors and uncaught exceptions. */
async function openApp(
  options: {
    viewport?: { width: number; height: number };
    locale?: string;
    colorScheme?: 'light' | 'dark';
    /** Runs before the page loads (e.g. `page.route` to feed the UI a bigger library). */
    setup?: (page: Page) => Promise<unknown>;
  } = {},
): Promise<{ page: Page; errors: string[] }> {
  context = await browser.newContext({
    viewport: options.viewport ?? PHONE,
    locale: options.locale ?? 'en-US',
    colorScheme: options.colorScheme ?? 'light',
    timezoneId: 'Europe/Berlin',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await options.setup?.(page);
  await page.goto(demo.url);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors };
}

describe('the web UI in a real browser against the demo server', () => {
  it('loads with no console errors, shows the demo banner, the current track and the library', async () => {
    const { page, errors } = await openApp();
    await expect.poll(() => page.locator('#demo-banner').isVisible()).toBe(true);
    const status = await getJson<PlaybackStatus>(demo, '/playback_status');
    await expect.poll(() => page.locator('#np-title').textContent()).toBe(status.item?.name);
    await expect.poll(() => page.locator('#library-list li').count()).toBeGreaterThan(3);
    await expect.poll(() => page.locator('#token-state').textContent()).toBe('valid');
    // Cover art loads (through the server's demo-art proxy, allowed by the CSP).
    await expect
      .poll(() => page.locator('#np-cover').evaluate((img: HTMLImageElement) => img.naturalWidth))
      .toBeGreaterThan(0);
    await page.waitForTimeout(500);
    expect(errors).toEqual([]);
  });

  it('play/pause changes the state shown and the real playback state', async () => {
    const { page } = await openApp();
    const button = page.locator('#btn-playpause');
    await expect.poll(() => button.getAttribute('aria-label')).toMatch(/^(Play|Pause)$/);
    const wasPlaying = (await getJson<PlaybackStatus>(demo, '/playback_status')).is_playing;
    await expect.poll(() => button.getAttribute('data-state')).toBe(wasPlaying ? 'playing' : 'paused');
    await button.click();
    await expect.poll(() => button.getAttribute('data-state')).toBe(wasPlaying ? 'paused' : 'playing');
    await expect
      .poll(async () => (await getJson<PlaybackStatus>(demo, '/playback_status')).is_playing)
      .toBe(!wasPlaying);
    expect(await button.getAttribute('aria-label')).toBe(wasPlaying ? 'Play' : 'Pause');
    // And back, by keyboard.
    await button.focus();
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await getJson<PlaybackStatus>(demo, '/playback_status')).is_playing)
      .toBe(wasPlaying);
    await expect.poll(() => button.getAttribute('data-state')).toBe(wasPlaying ? 'playing' : 'paused');
  });

  it('choosing a playlist starts it and now playing shows its track', async () => {
    const { page } = await openApp();
    const before = await getJson<PlaybackStatus>(demo, '/playback_status');
    const items = page.locator('#library-list .library-item');
    await expect.poll(() => items.count()).toBeGreaterThan(1);
    const uris = await items.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.uri ?? ''));
    const target = uris.find((uri) => uri !== before.context?.uri);
    expect(target).toBeDefined();
    await page.locator(`#library-list .library-item[data-uri="${target}"]`).click();
    await expect
      .poll(async () => (await getJson<PlaybackStatus>(demo, '/playback_status')).context?.uri)
      .toBe(target);
    const after = await getJson<PlaybackStatus>(demo, '/playback_status');
    expect(after.is_playing).toBe(true);
    await expect.poll(() => page.locator('#np-title').textContent()).toBe(after.item?.name);
    await expect.poll(() => page.locator('#btn-playpause').getAttribute('data-state')).toBe('playing');
  });

  it('renders a long library page by page as the list scrolls, and a row far down still starts playback', async () => {
    const real = await getJson<{ playlists: { uri: string }[] }>(demo, '/api/music-library');
    const playable = real.playlists.at(-1)?.uri;
    expect(playable).toBeDefined();
    // 75 playlists (more than two pages of 30); the last one is a real demo playlist.
    const playlists = Array.from({ length: 75 }, (_, i) => ({
      id: `p${i}`,
      name: `Playlist ${String(i + 1).padStart(2, '0')}`,
      uri: i === 74 ? playable : `spotify:playlist:fake${i}`,
      image: null,
      subtitle: 'Bench',
      track_count: i,
    }));
    const { page, errors } = await openApp({
      setup: (p) =>
        p.route('**/api/music-library*', (route) =>
          route.fulfill({
            json: { ...real, playlists, cached: false },
          }),
        ),
    });
    const rows = page.locator('#library-list .library-item');
    await expect.poll(() => rows.count()).toBe(30);
    const list = page.locator('#library-list');
    await list.scrollIntoViewIfNeeded();
    for (const expected of [60, 75]) {
      await list.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await expect.poll(() => rows.count()).toBe(expected);
    }
    expect(await page.locator('#library-list .sentinel').count()).toBe(0);
    await rows.last().click();
    await expect
      .poll(async () => (await getJson<PlaybackStatus>(demo, '/playback_status')).context?.uri)
      .toBe(playable);
    expect(errors).toEqual([]);
  });

  it('adding an alarm with a bad time shows the API error at the time field; a good one appears with its next fire time', async () => {
    const { page } = await openApp();
    await page.locator('#alarm-add').click();
    await expect
      .poll(() => page.locator('#alarm-time').evaluate((el) => el === document.activeElement))
      .toBe(true);
    await page.locator('#alarm-time').fill('25:00');
    await page.locator('#alarm-label').fill('Too late');
    await page.locator('#alarm-save').click();
    const timeError = page.locator('#alarm-time-error');
    await expect.poll(() => timeError.isVisible()).toBe(true);
    expect(await timeError.textContent()).toMatch(/time/i);
    expect(await page.locator('#alarm-time').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#alarm-list li').count()).toBe(0);

    await page.locator('#alarm-time').fill('0645');
    await page.locator('#alarm-label').fill('Work days');
    for (const day of ['mon', 'tue', 'wed', 'thu', 'fri'])
      await page.locator(`#alarm-days input[value="${day}"]`).check();
    await page.locator('#alarm-save').click();
    const item = page.locator('#alarm-list li', { hasText: 'Work days' });
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.locator('.alarm-time').textContent()).toBe('06:45');
    expect(await item.locator('.alarm-days').textContent()).toBe('Mon–Fri');
    expect(await page.locator('#alarm-form').isHidden()).toBe(true);
    const alarms = await getJson<{ alarms?: AlarmView[] } | AlarmView[]>(demo, '/api/alarms');
    const saved = (Array.isArray(alarms) ? alarms : (alarms.alarms ?? [])).find(
      (a) => a.label === 'Work days',
    );
    expect(saved?.time).toBe('06:45');
    expect(saved?.next_fire_at).toMatch(/T06:45:00/);
    const shown = (await item.locator('.alarm-next').textContent()) ?? '';
    expect(shown).toMatch(/^Rings .*06:45$/);
    // The day shown is the API's next fire date: today, tomorrow, or its day of the month.
    const dayOfMonth = String(Number(saved?.next_fire_at?.slice(8, 10)));
    expect(/today|tomorrow/.test(shown) || new RegExp(`\\b${dayOfMonth}\\b`).test(shown)).toBe(true);
    expect(await page.locator('#alarms-next').textContent()).toMatch(/^Next alarm: .*06:45$/);

    // The enable switch and delete (with its confirmation step) act on the real alarm.
    await item.locator('input[role="switch"]').uncheck();
    await expect
      .poll(async () => (await alarmList()).find((a) => a.label === 'Work days')?.enabled)
      .toBe(false);
    await item.locator('button', { hasText: 'Delete' }).click();
    await item.locator('button', { hasText: 'Really delete?' }).click();
    await expect.poll(async () => (await alarmList()).some((a) => a.label === 'Work days')).toBe(false);
    await expect.poll(() => page.locator('#alarm-list li').count()).toBe(0);
  });

  it('edits an alarm in place: the form opens filled, a bad time is refused at its field, a good one is saved', async () => {
    const created = await fetch(`${demo.url}/api/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ time: '06:00', label: 'Edit me', context_uri: 'liked', days: ['sat'] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as AlarmView;
    const { page } = await openApp();
    const item = page.locator(`#alarm-list li[data-id="${id}"]`);
    await item.locator('button', { hasText: 'Edit' }).click();
    expect(await page.locator('#alarm-form-title').textContent()).toBe('Edit alarm');
    expect(await page.locator('#alarm-time').inputValue()).toBe('06:00');
    expect(await page.locator('#alarm-label').inputValue()).toBe('Edit me');
    expect(await page.locator('#alarm-days input[value="sat"]').isChecked()).toBe(true);

    await page.locator('#alarm-time').fill('6 o clock');
    await page.locator('#alarm-save').click();
    await expect.poll(() => page.locator('#alarm-time-error').isVisible()).toBe(true);
    expect((await alarmList()).find((a) => a.id === id)?.time).toBe('06:00');

    await page.locator('#alarm-time').fill('7.15');
    await page.locator('#alarm-save').click();
    await expect.poll(() => item.locator('.alarm-time').textContent()).toBe('07:15');
    expect((await alarmList()).find((a) => a.id === id)?.time).toBe('07:15');
    expect(await page.locator('#alarm-list li').count()).toBe(1);
    expect(await page.locator('#alarm-form').isHidden()).toBe(true);
    await fetch(`${demo.url}/api/alarms/${id}`, { method: 'DELETE' });
  });

  it('sends volume and shuffle to the real player and plays Liked Songs from the library', async () => {
    const { page } = await openApp();
    interface Player {
      shuffle_state: boolean;
      device: { volume_percent: number } | null;
      context: { uri: string } | null;
    }
    const before = await getJson<Player>(demo, '/playback_status');
    expect(before.device).not.toBeNull();
    const target = before.device?.volume_percent === 23 ? 24 : 23;
    await page.locator('#volume').fill(String(target));
    await expect
      .poll(async () => (await getJson<Player>(demo, '/playback_status')).device?.volume_percent)
      .toBe(target);
    expect(await page.locator('#volume-out').textContent()).toBe(String(target));

    await page.locator('#btn-shuffle').click();
    await expect
      .poll(async () => (await getJson<Player>(demo, '/playback_status')).shuffle_state)
      .toBe(!before.shuffle_state);
    await expect
      .poll(() => page.locator('#btn-shuffle').getAttribute('aria-pressed'))
      .toBe(String(!before.shuffle_state));

    // Liked Songs is a list of its tracks, headed by a row that plays them all.
    await page.locator('#tab-liked').click();
    await expect.poll(() => page.locator('#library-list .music-row').count()).toBeGreaterThan(10);
    const liked = page.locator('#library-list .liked-all');
    expect(await liked.textContent()).toContain('Play all liked songs');
    await liked.click();
    await expect
      .poll(async () => (await getJson<Player>(demo, '/playback_status')).context?.uri)
      .toMatch(/^spotify:user:[^:]+:collection$/);
  });

  it('starts and cancels the sleep timer', async () => {
    const { page } = await openApp();
    await page.locator('#sleep-form .chip[data-minutes="15"]').click();
    await page.locator('#sleep-form button[type="submit"]').click();
    await expect.poll(() => page.locator('#sleep-active').isVisible()).toBe(true);
    expect(await page.locator('#sleep-countdown').textContent()).toMatch(/^1[45]:\d\d$/);
    await page.locator('#sleep-cancel').click();
    await expect.poll(() => page.locator('#sleep-form').isVisible()).toBe(true);
  });

  it('shows the token panel with figures that move as the page makes requests', async () => {
    const { page } = await openApp();
    const hits = page.locator('#token-hits');
    await expect.poll(() => hits.textContent()).toMatch(/^\d+$/);
    const first = Number(await hits.textContent());
    await expect
      .poll(async () => Number(await hits.textContent()), { timeout: 15_000 })
      .toBeGreaterThan(first);
    expect(await page.locator('#token-hit-rate').textContent()).toMatch(/%$/);
    expect(await page.locator('#token-expiry').textContent()).toMatch(/^\d+:\d\d(:\d\d)?$/);
    // Two samples make a chart with an accessible summary.
    await expect
      .poll(() => page.locator('#token-chart path.chart-line').count(), { timeout: 15_000 })
      .toBe(1);
    expect(await page.locator('#token-chart svg').getAttribute('aria-label')).toMatch(/\d+ requests/);
  });

  it('switches to German, remembers it across a reload, and follows a German browser by default', async () => {
    const { page } = await openApp();
    await page.selectOption('#lang-select', 'de');
    await expect.poll(() => page.locator('#np-heading').textContent()).toBe('Läuft gerade');
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.locator('#alarm-add').textContent()).toContain('Wecker hinzufügen');
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await expect.poll(() => page.locator('#token-heading').textContent()).toBe('Token-Cache');
    await context?.close();

    const german = await openApp({ locale: 'de-DE' });
    await expect.poll(() => german.page.locator('#library-heading').textContent()).toBe('Bibliothek');
    expect(await german.page.locator('#lang-select').inputValue()).toBe('de');
  });

  it('switches to the dark theme by the toggle (and keyboard) and remembers it', async () => {
    const { page } = await openApp({ colorScheme: 'light' });
    const toggle = page.locator('#theme-toggle');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(12, 17, 15)');
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
  });

  it('explains a missing active device with what to do', async () => {
    const { page } = await openApp();
    await emulatorAdmin(demo, 'DELETE', '/__emulator/playback');
    await page.locator('#btn-next').click();
    await expect.poll(() => page.locator('#notice-title').textContent()).toBe('No active Spotify device');
    expect(await page.locator('#notice-text').textContent()).toMatch(/Open Spotify/);
    expect(await page.locator('#notice').getAttribute('data-tone')).toBe('warning');
    // Picking a device fixes it: playback moves there and the notice goes away on the next action.
    await page.locator('#device-select').selectOption({ index: 1 });
    await expect
      .poll(
        async () => (await getJson<{ device: { id: string } | null }>(demo, '/playback_status')).device?.id,
      )
      .toBeTruthy();
  });

  it('says Spotify is down when a control fails upstream', async () => {
    const { page } = await openApp();
    await emulatorAdmin(demo, 'POST', '/__emulator/faults', {
      target: 'api',
      kind: 'status',
      status: 500,
      method: 'POST',
      pathPrefix: '/v1/me/player/next',
      count: 5,
    });
    await page.locator('#btn-next').click();
    await expect.poll(() => page.locator('#notice-title').textContent()).toBe('Spotify is not reachable');
    expect(await page.locator('#notice').getAttribute('role')).toBe('alert');
    await emulatorAdmin(demo, 'DELETE', '/__emulator/faults');
  });

  it('says Spotify asks to slow down, with the wait, when it rate-limits a control', async () => {
    const { page } = await openApp();
    await emulatorAdmin(demo, 'POST', '/__emulator/faults', {
      target: 'api',
      kind: 'rate_limit',
      retryAfterSec: 40,
      method: 'POST',
      pathPrefix: '/v1/me/player/next',
      count: 5,
    });
    try {
      await page.locator('#btn-next').click();
      await expect
        .poll(() => page.locator('#notice-title').textContent())
        .toBe('Spotify asks us to slow down');
      expect(await page.locator('#notice-text').textContent()).toContain('40 s');
      expect(await page.locator('#notice').getAttribute('data-tone')).toBe('warning');
    } finally {
      await emulatorAdmin(demo, 'DELETE', '/__emulator/faults');
    }
  });

  it('writes screenshots at phone and desktop size, light and dark', async () => {
    for (const [name, viewport, colorScheme] of [
      ['phone', PHONE, 'light'],
      ['desktop', DESKTOP, 'dark'],
    ] as const) {
      const { page, errors } = await openApp({ viewport, colorScheme });
      await expect.poll(() => page.locator('#library-list li').count()).toBeGreaterThan(3);
      await expect
        .poll(() => page.locator('#token-chart path.chart-line').count(), { timeout: 15_000 })
        .toBe(1);
      expect(await page.locator('html').getAttribute('data-theme')).toBe(colorScheme);
      await page.screenshot({ path: `${OUTPUT}ui-${name}.png`, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} has no horizontal scroll`).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
      await context?.close();
      context = undefined;
    }
  });
});

describe('the web UI when Spotify revokes the login', () => {
  let revoked: DemoServer;
  let ctx: BrowserContext | undefined;

  beforeAll(async () => {
    revoked = await startDemoServer();
  });

  afterAll(async () => {
    await ctx?.close();
    await revoked?.stop();
  });

  it('shows the Log in button and the paste-back box, and reports a bad pasted URL at its field', async () => {
    ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US', serviceWorkers: 'block' });
    const page = await ctx.newPage();
    await page.goto(revoked.url);
    await page.waitForSelector('html[data-ready="true"]');
    await expect.poll(() => page.locator('#token-state').textContent()).toMatch(/valid|refreshing/);
    expect(await page.locator('#reauth').isVisible()).toBe(false);

    await emulatorAdmin(revoked, 'POST', '/__emulator/revoke');
    await expect.poll(() => page.locator('#reauth').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#reauth-login').getAttribute('href')).toBe('/login');
    expect(await page.locator('#reauth-login').textContent()).toBe('Log in with Spotify');

    await page.locator('#reauth summary').click();
    await page
      .locator('#paste-url')
      .fill('http://127.0.0.1:5001/callback?code=abc&state=not-the-right-state');
    await page.locator('#paste-form button[type="submit"]').click();
    await expect.poll(() => page.locator('#paste-url-error').isVisible()).toBe(true);
    expect((await page.locator('#paste-url-error').textContent())?.length).toBeGreaterThan(5);
    expect(await page.locator('#paste-url').getAttribute('aria-invalid')).toBe('true');
  });
});

describe('the web UI when an alarm rings', () => {
  let ringing: DemoServer;
  let ctx: BrowserContext | undefined;
  // The scheduler runs on virtual time so the test need not wait for a real minute to pass.
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    ringing = await startDemoServer({ alarmClock: clock });
  });

  afterAll(async () => {
    await ctx?.close();
    await ringing?.stop();
  });

  it('offers snooze and stop for the ringing alarm, then stop only while it is snoozed', async () => {
    const created = await createAlarmInTwoMinutes(ringing, clock.now());
    expect(created.status).toBe(201);
    const alarm = (await created.json()) as AlarmView & { state: string };
    await clock.advance(3 * 60_000);
    await expect
      .poll(
        async () => (await getJson<AlarmView & { state: string }>(ringing, `/api/alarms/${alarm.id}`)).state,
      )
      .toBe('ringing');

    ctx = await browser.newContext({ viewport: PHONE, locale: 'en-US', serviceWorkers: 'block' });
    const page = await ctx.newPage();
    await page.goto(ringing.url);
    await page.waitForSelector('html[data-ready="true"]');
    const banner = page.locator('#alarm-ringing');
    await expect.poll(() => banner.isVisible()).toBe(true);
    expect(await page.locator('#alarm-ringing-title').textContent()).toBe('Alarm ringing');
    expect(await page.locator('#alarm-ringing-label').textContent()).toContain(alarm.time);
    expect(await page.locator('#alarm-snooze').isVisible()).toBe(true);

    await page.locator('#alarm-snooze').click();
    await expect.poll(() => page.locator('#alarm-ringing-title').textContent()).toBe('Alarm snoozed');
    expect(await page.locator('#alarm-snooze').isVisible()).toBe(false);
    expect((await getJson<{ state: string }>(ringing, `/api/alarms/${alarm.id}`)).state).toBe('snoozed');
    expect(await page.locator('#alarm-list .alarm-result-snoozed').textContent()).toMatch(/^Snoozed until/);

    await page.locator('#alarm-stop').click();
    await expect.poll(() => banner.isVisible()).toBe(false);
    expect((await getJson<{ state: string }>(ringing, `/api/alarms/${alarm.id}`)).state).toBe('idle');
    // The list keeps what happened: the alarm's last result.
    await expect
      .poll(() => page.locator('#alarm-list .alarm-result-fired').textContent())
      .toMatch(/^Last rang (today|tomorrow|\S+)/);
  });
});
