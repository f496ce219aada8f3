/** The set-up most browser test files share: one demo server and one Chromium for the file. */
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchChromium } from './browser.js';
import { type DemoServer, startDemoServer } from './harness.js';

/** What `useDemoBrowser` gives a test file. */
export interface DemoBrowser {
  /** The demo server (started before the file's tests). */
  readonly demo: DemoServer;
  readonly browser: Browser;
  /** A new browser context, closed after the test that opened it. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
}

/** Starts a demo server and Chromium before the file's tests, closes each test's contexts after it and both at the end. */
export function useDemoBrowser(): DemoBrowser {
  let demo: DemoServer | undefined;
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  beforeAll(async () => {
    demo = await startDemoServer();
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useDemoBrowser: used before its beforeAll ran');
    return value;
  };
  return {
    get demo() {
      return started(demo);
    },
    get browser() {
      return started(browser);
    },
    async newContext(options) {
      const context = await started(browser).newContext(options);
      open.push(context);
      return context;
    },
  };
}
