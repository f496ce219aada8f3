/**
 * The alarm safety net in the page, in headless Chromium against the demo server: the readiness
 * banner and card line, and the fallback ring (Web Audio) with its notice. `GET /api/alarms` is
 * fed through `page.route` with the fields the alarm view carries (`readiness`, `fallback_sound`).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useDemoBrowser } from './demo-browser.js';

const PHONE = { width: 390, height: 844 };
const ui = useDemoBrowser();

function alarm(extra: Record<string, unknown>) {
  return {
    id: 'a1',
    label: 'Work',
    time: '07:00',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    timezone: 'Europe/Berlin',
    context_uri: 'liked',
    shuffle: false,
    device: null,
    volume: 50,
    fade_in_seconds: 0,
    enabled: true,
    next_fire_at: '2030-01-07T07:00:00+01:00',
    last_result: null,
    state: 'idle',
    snoozed_until: null,
    fallback_sound: false,
    readiness: null,
    ...extra,
  };
}

/** Opens the app with `GET /api/alarms` answered from `alarms()` (read at each poll). */
async function openWith(
  alarms: () => unknown[],
  locale = 'en-US',
): Promise<{ page: Page; errors: string[] }> {
  const context = await ui.newContext({
    viewport: PHONE,
    locale,
    timezoneId: 'Europe/Berlin',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.route('**/api/alarms', (route) =>
    route.request().method() === 'GET'
      ? route.fulfill({ contentType: 'application/json', body: JSON.stringify({ alarms: alarms() }) })
      : route.continue(),
  );
  await page.goto(ui.demo.url);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors };
}

const needsLogin = {
  status: 'failing',
  reasons: ['Spotify needs a new login'],
  checked_at: '2030-01-06T20:00:00Z',
  needs_login: true,
  details: [{ code: 'login_needed' }],
};

describe('alarm readiness in the page', () => {
  it('shows a banner naming the alarm that will fail, with a Log in again button, and the reason on its card', async () => {
    const { page, errors } = await openWith(() => [alarm({ readiness: needsLogin })]);
    const banner = page.locator('#readiness-banner');
    await banner.waitFor({ state: 'visible' });
    expect(await page.locator('#readiness-title').textContent()).toBe('Your 07:00 alarm will fail');
    expect(await page.locator('#readiness-text').textContent()).toBe('Spotify needs a new login');
    expect(await banner.getAttribute('data-tone')).toBe('error');
    expect(await page.locator('#readiness-login').isVisible()).toBe(true);
    expect(await page.locator('#readiness-login').getAttribute('href')).toBe('/login');
    expect(await page.locator('.alarm-readiness-failing').textContent()).toBe(
      'Will fail: Spotify needs a new login',
    );
    await page.screenshot({ path: '/tmp/as/readiness-en.png', fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows no banner for ready alarms, a calm line on the card, and none for an unchecked one', async () => {
    const ok = { status: 'ok', reasons: [], checked_at: '2030-01-06T20:00:00Z' };
    const { page } = await openWith(() => [alarm({ readiness: ok }), alarm({ id: 'a2', time: '08:00' })]);
    await page.locator('.alarm-readiness-ok').waitFor();
    expect(await page.locator('#readiness-banner').isVisible()).toBe(false);
    expect(await page.locator('.alarm-readiness').count()).toBe(1);
  });

  it('in German, says it in German, the reason too', async () => {
    const unseen = {
      status: 'warning',
      reasons: ['The speaker "Wohnzimmer-Lautsprecher mit sehr langem Namen" has not been seen by SpotiPi'],
      checked_at: '2030-01-06T20:00:00Z',
      details: [
        { code: 'speaker_unseen', params: { device: 'Wohnzimmer-Lautsprecher mit sehr langem Namen' } },
      ],
    };
    const { page } = await openWith(
      () => [alarm({ readiness: needsLogin }), alarm({ id: 'a2', time: '08:30', readiness: unseen })],
      'de-DE',
    );
    await page.locator('#readiness-banner').waitFor({ state: 'visible' });
    expect(await page.locator('#readiness-title').textContent()).toBe(
      'Dein Wecker um 07:00 wird nicht klingeln',
    );
    expect(await page.locator('#readiness-text').textContent()).toBe('Spotify braucht eine neue Anmeldung');
    expect(await page.locator('#readiness-login').textContent()).toBe('Neu anmelden');
    expect(await page.locator('.alarm-readiness-failing').textContent()).toBe(
      'Wird scheitern: Spotify braucht eine neue Anmeldung',
    );
    expect(await page.locator('.alarm-readiness-warning').textContent()).toBe(
      'Prüfen: Der Lautsprecher „Wohnzimmer-Lautsprecher mit sehr langem Namen“ wurde von SpotiPi noch nicht gesehen; vielleicht spielt ein anderes Gerät',
    );
    // Nothing sticks out of the phone's width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: '/tmp/as/readiness-de.png', fullPage: true });
  });
});

describe('the fallback ring in the page', () => {
  it('rings with Web Audio and a notice while an alarm has fallback_sound, and stops when it is cleared', async () => {
    let ringing = true;
    const { page, errors } = await openWith(() => [
      alarm({
        state: ringing ? 'ringing' : 'idle',
        fallback_sound: ringing,
        last_result: ringing
          ? {
              status: 'fallback_sound',
              at: '2030-01-07T07:02:00+01:00',
              scheduled_for: '2030-01-07T07:00:00+01:00',
              reason: 'no device',
            }
          : null,
      }),
    ]);
    await page.locator('#fallback-notice').waitFor({ state: 'visible' });
    expect(await page.locator('html').getAttribute('data-fallback-ringing')).toBe('true');
    expect(await page.locator('#alarm-stop').isVisible()).toBe(true);
    expect(await page.locator('.alarm-result-fallback_sound').textContent()).toContain('no device');
    // A tap unlocks the page's audio (browsers require one): the hint goes and the chime sounds.
    await page.locator('#fallback-notice').click();
    await expect
      .poll(() => page.evaluate(() => document.getElementById('fallback-tap')?.hidden), { timeout: 10_000 })
      .toBe(true);
    await page.screenshot({ path: '/tmp/as/fallback-en.png', fullPage: true });
    ringing = false;
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await expect
      .poll(() => page.locator('html').getAttribute('data-fallback-ringing'), { timeout: 25_000 })
      .toBeNull();
    expect(await page.locator('#fallback-notice').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });
});
