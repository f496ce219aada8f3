import { launchChromium } from './browser.js';
import { emulatorAdmin, startDemoServer } from './harness.js';

const demo = await startDemoServer();
const browser = await launchChromium();
const errors: string[] = [];
for (const locale of ['en-US', 'de-DE']) {
  const l = locale.slice(0, 2);
  const ctx = await browser.newContext({
    viewport: { width: 390, height: 844 },
    locale,
    timezoneId: 'Europe/Berlin',
    serviceWorkers: 'block',
  });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // Empty sections and failing ones, as a new account or a failing Spotify would answer.
  await page.route('**/api/library/liked*', (r) =>
    r.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ items: [], total: 0, offset: 0, next_offset: null }),
    }),
  );
  await page.route('**/api/library/artists*', (r) =>
    r.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ items: [], total: 0 }),
    }),
  );
  await page.route('**/api/library/recent*', (r) =>
    r.fulfill({
      status: 502,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { status: 502, message: 'Spotify is not answering right now; try again shortly.' },
      }),
    }),
  );
  await page.route('**/api/library/top*', (r) =>
    r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ items: [] }) }),
  );
  await page.route('**/api/artists/*', (r) =>
    r.fulfill({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({ error: { status: 404, message: 'Spotify could not find it' } }),
    }),
  );
  await page.goto(demo.url);
  await page.waitForSelector('html[data-ready="true"]');
  await page.waitForTimeout(600);
  for (const tab of ['liked', 'artists', 'recent', 'top']) {
    await page.locator(`#tab-${tab}`).click();
    await page.waitForTimeout(500);
    await page.locator('#library').screenshot({ path: `/tmp/shots/${l}-empty-${tab}.png` });
  }
  await page
    .locator('#notice-close')
    .click()
    .catch(() => {});
  await page.fill('#search-input', 'the');
  await page.waitForSelector('#search-results .music-row');
  await page.locator('[data-group="artists"] .music-open').first().click();
  await page.waitForTimeout(600);
  await page.locator('#library').screenshot({ path: `/tmp/shots/${l}-artist-404.png` });
  await page.locator('#artist-back').click();
  await page.fill('#search-input', 'a');
  await page.waitForTimeout(600);
  await page.locator('#search').screenshot({ path: `/tmp/shots/${l}-search-short.png` });
  await emulatorAdmin(demo, 'POST', '/__emulator/faults', {
    target: 'api',
    kind: 'status',
    status: 500,
    count: 3,
    pathPrefix: '/v1/search',
  });
  await page.fill('#search-input', 'broken');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `/tmp/shots/${l}-search-error.png` });
  // Volume-locked speaker, nothing queued, no device.
  const devs = (await (await fetch(`${demo.url}/api/devices`)).json()) as {
    devices: { id: string; supports_volume: boolean }[];
  };
  const tv = devs.devices.find((d) => !d.supports_volume)!;
  await fetch(`${demo.url}/api/playback/device`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ device_id: tv.id, play: true }),
  });
  await page.locator('#btn-devices-refresh').click();
  await page.waitForTimeout(3500);
  await page.locator('#now-playing').screenshot({ path: `/tmp/shots/${l}-player-locked.png` });
  await emulatorAdmin(demo, 'DELETE', '/__emulator/playback');
  await page.locator('#queue-panel summary').click();
  await page.waitForTimeout(3500);
  await page.locator('#now-playing').screenshot({ path: `/tmp/shots/${l}-player-nodevice.png` });
  await page.locator('#alarm-add').click();
  await page.waitForTimeout(300);
  await page.locator('#alarm-form').screenshot({ path: `/tmp/shots/${l}-alarm-form.png` });
  await fetch(`${demo.url}/api/playback/play`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ device_id: tv.id }),
  });
  await ctx.close();
}
// The sheet with no device online, and the full page.
const ctx = await browser.newContext({
  viewport: { width: 390, height: 844 },
  locale: 'de-DE',
  serviceWorkers: 'block',
});
const page = await ctx.newPage();
await page.goto(demo.url);
await page.waitForSelector('html[data-ready="true"]');
await page.waitForTimeout(800);
await page.screenshot({ path: '/tmp/shots/de-full.png', fullPage: true });
console.log('errors', errors);
await browser.close();
await demo.stop();
