import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { LogCapture, tempDir, testConfig } from './helpers.js';

let emulator: RunningEmulator;
let server: RunningServer | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  emulator.reset();
});

async function metricsText(): Promise<string> {
  return (await fetch(`${server!.url}/metrics`)).text();
}

describe('/metrics of a running server', () => {
  it('times failed token refreshes as well as successful ones in the refresh duration histogram', async () => {
    server = await startServer(
      testConfig({
        PORT: '0',
        SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
        SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
        SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
        SPOTIFY_ACCOUNTS_URL: emulator.url,
        SPOTIFY_API_URL: emulator.url,
        TOKEN_REFRESH_MAX_ATTEMPTS: '2',
      }),
      { logger: createLogger('silent', new LogCapture()), webRoot: tempDir(), plugins: [] },
    );
    emulator.injectFault({ target: 'token', kind: 'status', status: 503, count: 2 });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    let text = await metricsText();
    expect(text).toMatch(/^spotipi_token_refresh_duration_seconds_count\{outcome="failure"\} 1$/m);
    expect(text).not.toMatch(/outcome="success"/);

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    text = await metricsText();
    expect(text).toMatch(/^spotipi_token_refresh_duration_seconds_count\{outcome="success"\} 1$/m);
    expect(text).toMatch(/^spotipi_token_refresh_duration_seconds_count\{outcome="failure"\} 1$/m);
    expect(text).toMatch(/^spotipi_token_refresh_failures_total 2$/m);
    // Process metrics come with the server.
    expect(text).toMatch(/^spotipi_process_resident_memory_bytes \d+/m);
  });
});
