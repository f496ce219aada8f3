/** The alarm card's Test button in real Chromium against the demo server (issue 12: test an alarm now). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDemoBrowser } from './demo-browser.js';
import { getJson } from './harness.js';

const ui = useDemoBrowser();

interface View {
  id: string;
  state: string;
  testing: boolean;
  last_result: unknown;
  last_test: { status: string; device?: string; volume_controllable?: boolean } | null;
}

describe('the alarm card Test button', () => {
  it('rings the alarm now on its speaker (a volume-locked TV), shows it ringing, and Stop ends it', async () => {
    const res = await fetch(`${ui.demo.url}/api/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        time: '04:30',
        label: 'Early',
        context_uri: 'liked',
        device: 'Living Room TV',
        volume: 40,
      }),
    });
    const alarm = (await res.json()) as View;
    const ctx = await ui.newContext({
      viewport: { width: 390, height: 844 },
      locale: 'de-DE',
      serviceWorkers: 'block',
    });
    const page = await ctx.newPage();
    await page.goto(ui.demo.url);
    await page.waitForSelector('html[data-ready="true"]');
    const card = page.locator(`#alarm-list li[data-id="${alarm.id}"]`);
    await card.getByRole('button', { name: 'Testen' }).click();
    await expect.poll(() => page.locator('#alarm-ringing').isVisible(), { timeout: 15_000 }).toBe(true);
    await expect
      .poll(async () => (await getJson<View>(ui.demo, `/api/alarms/${alarm.id}`)).state, { timeout: 15_000 })
      .toBe('ringing');
    expect(await card.getByRole('button', { name: 'Testen' }).isDisabled()).toBe(true);

    await page.locator('#alarm-stop').click();
    await expect.poll(() => page.locator('#alarm-ringing').isVisible()).toBe(false);
    const after = await getJson<View>(ui.demo, `/api/alarms/${alarm.id}`);
    expect(after).toMatchObject({ state: 'idle', testing: false, last_result: null });
    expect(after.last_test).toMatchObject({
      status: 'fired',
      device: 'Living Room TV',
      volume_controllable: false,
    });
    // The card says how the test went: which speaker played, and that it kept its own volume.
    const line = card.locator('.alarm-test-result');
    await expect.poll(() => line.textContent()).toContain('spielte auf Living Room TV');
    expect(await line.textContent()).toContain('eigenen Lautstärke');
    // The enable switch is drawn as a switch (the plain checkbox size once shrank it under its knob).
    const box = await card.locator('input.switch').boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(44);
    await page.screenshot({ path: join(tmpdir(), 'spotipi-alarm-test-result-de.png') });
  });
});
