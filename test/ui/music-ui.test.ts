/** The music views in real Chromium against the demo server (its emulator plays the part of Spotify). */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDemoBrowser } from './demo-browser.js';
import { emulatorAdmin, getJson } from './harness.js';

const PHONE = { width: 390, height: 844 };
/** A loaded 2-core CI box can take a few seconds for a round trip through page, server and emulator. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 });

interface Player {
  is_playing: boolean;
  progress_ms: number;
  context: { uri: string } | null;
  item: { uri: string; name: string } | null;
  device: { id: string; name: string; volume_percent: number | null } | null;
}
interface Device {
  id: string;
  name: string;
  supports_volume: boolean;
}

const ui = useDemoBrowser();

async function openApp(locale = 'en-US'): Promise<{ page: Page; errors: string[] }> {
  const context = await ui.newContext({
    viewport: PHONE,
    locale,
    timezoneId: 'Europe/Berlin',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(ui.demo.url);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors };
}

const player = () => getJson<Player>(ui.demo, '/playback_status');
const devices = async () => (await getJson<{ devices: Device[] }>(ui.demo, '/api/devices')).devices;

/** Types into the search box and waits for the first group to show. */
async function search(page: Page, text: string): Promise<void> {
  await page.locator('#search-input').fill(text);
  await page.waitForSelector('#search-results .music-row');
}

describe('finding music in a real browser', () => {
  it('search → play on a chosen speaker, which is remembered in this browser', async () => {
    const { page, errors } = await openApp();
    await search(page, 'the');
    const first = page.locator('[data-group="tracks"] .music-row').first();
    const uri = await first.getAttribute('data-uri');
    await first.locator('.music-more').click();
    await poll(() => page.locator('#item-sheet').isVisible()).toBe(true);
    // Every speaker is offered with its type's icon.
    await poll(() => page.locator('#sheet-device-list .device-choice').count()).toBe(3);
    expect(await page.locator('#sheet-device-list [data-icon="tv"]').count()).toBe(1);
    await page.locator('.device-choice', { hasText: 'Kitchen Speaker' }).click();
    await page.locator('#sheet-play').click();
    const kitchen = (await devices()).find((d) => d.name === 'Kitchen Speaker')!;
    await poll(async () => (await player()).device?.id).toBe(kitchen.id);
    expect((await player()).item?.uri).toBe(uri);
    await poll(() => page.locator('#np-device').textContent()).toContain('Kitchen Speaker');

    // The choice is remembered: after a reload the sheet offers the kitchen again.
    await page.reload();
    await page.waitForSelector('html[data-ready="true"]');
    await search(page, 'wake');
    await page.locator('[data-group="tracks"] .music-more').first().click();
    await poll(() =>
      page.locator('.device-choice', { hasText: 'Kitchen Speaker' }).locator('input').isChecked(),
    ).toBe(true);
    expect(errors).toEqual([]);
  });

  it('search → add to queue → it shows first in "Up next"', async () => {
    const { page } = await openApp();
    await search(page, 'morning');
    const row = page.locator('[data-group="tracks"] .music-row').nth(1);
    const name = await row.locator('.library-name').textContent();
    await row.locator('.music-more').click();
    await page.locator('#sheet-queue').click();
    await page.locator('#queue-panel summary').click();
    await poll(() => page.locator('#queue-list .library-name').first().textContent()).toBe(name);
  });

  it('opens an artist page with top tracks and albums, and plays the artist', async () => {
    const { page } = await openApp();
    await search(page, 'the');
    const artistRow = page.locator('[data-group="artists"] .music-open').first();
    const name = await artistRow.locator('.library-name').textContent();
    await artistRow.click();
    await poll(() => page.locator('#artist-name').textContent()).toBe(name);
    await poll(() => page.locator('#artist-top .music-row').count()).toBeGreaterThan(0);
    expect(await page.locator('#artist-albums .music-row').count()).toBeGreaterThan(0);
    expect(await page.locator('#library-list').isHidden()).toBe(true);
    await page.locator('#artist-play').click();
    await poll(async () => (await player()).context?.uri).toMatch(/^spotify:artist:/);
    await page.locator('#artist-back').click();
    await poll(() => page.locator('#library-list').isVisible()).toBe(true);
  });

  it('lists recently played, newest first, and a tap plays it', async () => {
    const { page } = await openApp();
    const recent = await getJson<{ items: { uri: string; name: string }[] }>(ui.demo, '/api/library/recent');
    await page.locator('#tab-recent').click();
    await poll(() => page.locator('#library-list .library-name').first().textContent()).toBe(
      recent.items[0]!.name,
    );
    await page.locator('#library-list .music-open').nth(2).click();
    await poll(async () => (await player()).item?.uri).toBe(recent.items[2]!.uri);
  });

  it('choosing a search result as an alarm’s music fills the form, saves it, and offers it again as a chip', async () => {
    const { page } = await openApp();
    await search(page, 'the');
    const album = page.locator('[data-group="albums"] .music-row').first();
    const uri = await album.getAttribute('data-uri');
    const name = await album.locator('.library-name').textContent();
    await album.locator('.music-more').click();
    await page.locator('#sheet-alarm').click();
    await poll(() => page.locator('#alarm-form').isVisible()).toBe(true);
    expect(await page.locator('#alarm-context').inputValue()).toBe(uri);
    expect(await page.locator('#alarm-context option:checked').textContent()).toBe(name);
    await page.locator('#alarm-time').fill('05:55');
    await page.locator('#alarm-save').click();
    await poll(() => page.locator('#alarm-form').isHidden()).toBe(true);
    const alarms = (
      await getJson<{ alarms: { id: string; time: string; context_uri: string }[] }>(ui.demo, '/api/alarms')
    ).alarms;
    const saved = alarms.find((a) => a.time === '05:55');
    expect(saved?.context_uri).toBe(uri);
    // Recently picked: a chip in the sleep timer's music.
    const chip = page.locator('#sleep-picks .chip-pick', { hasText: name ?? '' });
    await poll(() => chip.isVisible()).toBe(true);
    await chip.click();
    expect(await page.locator('#sleep-context').inputValue()).toBe(uri);
    await fetch(`${ui.demo.url}/api/alarms/${saved!.id}`, { method: 'DELETE' });
  });

  it('seeks when the progress bar is moved', async () => {
    const { page } = await openApp();
    await poll(() => page.locator('#np-seek').isEnabled()).toBe(true);
    await page.locator('#np-seek').fill('61000');
    await poll(async () => {
      const p = await player();
      return p.progress_ms >= 61_000 && p.progress_ms < 70_000;
    }).toBe(true);
    await poll(() => page.locator('#np-elapsed').textContent()).toMatch(/^1:0\d$/);
  });

  it('likes and unlikes the current track; Liked Songs shows it at the top', async () => {
    const { page } = await openApp();
    const track = (await player()).item!;
    const like = page.locator('#btn-like');
    await poll(() => like.getAttribute('data-known')).toBe('true');
    const before = (await like.getAttribute('aria-pressed')) === 'true';
    if (before) {
      await like.click();
      await poll(() => like.getAttribute('aria-pressed')).toBe('false');
    }
    await like.click();
    await poll(() => like.getAttribute('aria-pressed')).toBe('true');
    await poll(
      async () =>
        (await getJson<{ saved: Record<string, boolean> }>(ui.demo, `/api/library/saved?uris=${track.uri}`))
          .saved[track.uri],
    ).toBe(true);
    await page.locator('#tab-liked').click();
    await poll(() => page.locator('#library-list .music-row').first().getAttribute('data-uri')).toBe(
      track.uri,
    );
    await like.click();
    await poll(
      async () =>
        (await getJson<{ saved: Record<string, boolean> }>(ui.demo, `/api/library/saved?uris=${track.uri}`))
          .saved[track.uri],
    ).toBe(false);
  });

  it('shows that a volume-locked speaker’s volume cannot be changed, and transfer keeps the music playing', async () => {
    const { page } = await openApp();
    await emulatorAdmin(ui.demo, 'DELETE', '/__emulator/playback');
    const bedroom = (await devices()).find((d) => d.name === 'Bedroom Pi')!;
    await fetch(`${ui.demo.url}/api/playback/play`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: bedroom.id }),
    });
    await page.locator('#btn-devices-refresh').click();
    await poll(() => page.locator('#device-select').inputValue()).toBe(bedroom.id);
    const tv = (await devices()).find((d) => !d.supports_volume)!;
    await page.locator('#device-select').selectOption(tv.id);
    await poll(async () => (await player()).device?.id).toBe(tv.id);
    expect((await player()).is_playing).toBe(true);
    await poll(() => page.locator('#volume').isDisabled()).toBe(true);
    expect(await page.locator('#volume-note').textContent()).toContain(tv.name);
    await page.locator('#device-select').selectOption(bedroom.id);
    await poll(() => page.locator('#volume').isEnabled()).toBe(true);
    expect(await page.locator('#volume-note').isHidden()).toBe(true);
  });

  it('starts the sleep timer on a chosen speaker with volume, shuffle and fade-out, and remembers them', async () => {
    const { page } = await openApp();
    await page.locator('#sleep-device').selectOption('Kitchen Speaker');
    await page.locator('#sleep-volume').fill('22');
    await page.locator('#sleep-fade').fill('12');
    await page.locator('#sleep-shuffle').check();
    await page.locator('#sleep-context').selectOption({ index: 1 });
    await page.locator('#sleep-form button[type="submit"]').click();
    await poll(() => page.locator('#sleep-active').isVisible()).toBe(true);
    const settings = await getJson<Record<string, unknown>>(ui.demo, '/api/sleep/settings');
    expect(settings).toMatchObject({
      device: 'Kitchen Speaker',
      volume: 22,
      shuffle: true,
      fade_out_seconds: 12,
    });
    const timer = await getJson<{ device: string; fade_out_seconds: number }>(ui.demo, '/api/sleep');
    expect(timer).toMatchObject({ device: 'Kitchen Speaker', fade_out_seconds: 12 });
    await poll(async () => (await player()).device?.name).toBe('Kitchen Speaker');
    await page.locator('#sleep-cancel').click();
    await poll(() => page.locator('#sleep-form').isVisible()).toBe(true);
    // A bad fade-out is refused at its field.
    await page.locator('#sleep-fade').fill('');
    await page.locator('#sleep-form button[type="submit"]').click();
    await poll(() => page.locator('#sleep-fade_out_seconds-error').isVisible()).toBe(true);
  });

  it('a search that Spotify rate-limits shows the slow-down notice, and nothing found says so', async () => {
    const { page } = await openApp();
    await emulatorAdmin(ui.demo, 'POST', '/__emulator/faults', {
      target: 'api',
      kind: 'rate_limit',
      retryAfterSec: 30,
      pathPrefix: '/v1/search',
    });
    await page.locator('#search-input').fill('slowly');
    await poll(() => page.locator('#notice-title').textContent()).toBe('Spotify asks us to slow down');
    expect(await page.locator('#search-status').getAttribute('data-state')).toBe('error');
    await page.locator('#search-input').fill('qqqzzzxx');
    await poll(() => page.locator('#search-status').getAttribute('data-state')).toBe('empty');
    expect(await page.locator('#search-status').textContent()).toContain('qqqzzzxx');
  });

  it('typing a word sends one search after the pause, not one per letter; one letter sends none', async () => {
    const { page } = await openApp();
    const searches: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/api/search') searches.push(url.searchParams.get('q') ?? '');
    });
    await page.locator('#search-input').pressSequentially('sunday', { delay: 60 });
    await page.waitForSelector('#search-results .music-row');
    await page.waitForTimeout(600);
    expect(searches).toEqual(['sunday']);
    // One letter is too short to search.
    await page.locator('#search-input').fill('s');
    await poll(() => page.locator('#search-status').getAttribute('data-state')).toBe('short');
    await page.waitForTimeout(600);
    expect(searches).toEqual(['sunday']);
  });

  it('a section Spotify has not allowed yet offers to log in again', async () => {
    const { page } = await openApp();
    await page.route('**/api/library/top*', (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            status: 403,
            message:
              'Spotify has not allowed SpotiPi to read your top items yet: log in again at /login to grant it.',
            login_url: '/login',
          },
        }),
      }),
    );
    await page.locator('#tab-top').click();
    await poll(() => page.locator('#reauth').isVisible()).toBe(true);
    expect(await page.locator('#library-empty').getAttribute('data-state')).toBe('error');
  });
});
