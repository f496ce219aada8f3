import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
import { fingerprint } from '../../src/token/fingerprint.js';
import { LogCapture, tempDir, testConfig } from './helpers.js';

const SECOND_SEED = 'a-second-refresh-token-from-a-new-login';

let emulator: RunningEmulator;
let server: RunningServer | undefined;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    rotateRefreshTokens: true,
    refreshTokens: [DEMO_REFRESH_TOKEN, SECOND_SEED],
  });
});
afterAll(async () => {
  await emulator.close();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function spotifyEnv(stateDir: string, refreshToken: string): Record<string, string> {
  return {
    PORT: '0',
    SPOTIPI_STATE_DIR: stateDir,
    SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
    SPOTIFY_REFRESH_TOKEN: refreshToken,
    SPOTIFY_ACCOUNTS_URL: emulator.url,
    SPOTIFY_API_URL: emulator.url,
  };
}

async function boot(env: Record<string, string>, logs = new LogCapture()): Promise<RunningServer> {
  server = await startServer(testConfig(env), { logger: createLogger('debug', logs), webRoot: tempDir() });
  return server;
}

async function restart(env: Record<string, string>, logs?: LogCapture): Promise<RunningServer> {
  await server?.close();
  server = undefined;
  return boot(env, logs);
}

async function statusOf(
  s: RunningServer,
): Promise<{ state: string; refresh_token: { fingerprint: string } }> {
  return (await (await fetch(`${s.url}/api/token-cache/status`)).json()) as {
    state: string;
    refresh_token: { fingerprint: string };
  };
}

describe('refresh-token seeding from the environment', () => {
  it('keeps the rotated refresh token across restarts while the environment still holds the first', async () => {
    emulator.reset();
    const stateDir = tempDir();
    const env = spotifyEnv(stateDir, DEMO_REFRESH_TOKEN);

    let s = await boot(env);
    expect((await statusOf(s)).state).not.toBe('reauthorization_required');
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(200);
    // Spotify rotated it: the seed in the environment is dead now.
    expect(emulator.validRefreshTokens()).not.toContain(DEMO_REFRESH_TOKEN);

    const tokenFile = join(stateDir, 'token.json');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const fileText = readFileSync(tokenFile, 'utf8');
    expect(fileText).toContain(fingerprint(DEMO_REFRESH_TOKEN));

    s = await restart(env);
    const refreshed = await fetch(`${s.url}/api/token-cache/refresh`, { method: 'POST' });
    expect(refreshed.status).toBe(200);
    expect(emulator.stats().tokenErrors).toEqual({});

    s = await restart(env);
    expect((await fetch(`${s.url}/api/token-cache/refresh`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(200);
    expect(emulator.stats().tokenErrors).toEqual({});
  });

  it('treats a changed environment value as a new login and replaces the stored token', async () => {
    emulator.reset();
    const stateDir = tempDir();
    let s = await boot(spotifyEnv(stateDir, DEMO_REFRESH_TOKEN));
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(200);

    s = await restart(spotifyEnv(stateDir, SECOND_SEED));
    expect((await statusOf(s)).refresh_token.fingerprint).toBe(fingerprint(SECOND_SEED));
    expect((await fetch(`${s.url}/api/token-cache/refresh`, { method: 'POST' })).status).toBe(200);
    // The second seed was used (and rotated away), not the first login's stored token.
    expect(emulator.validRefreshTokens()).not.toContain(SECOND_SEED);
  });

  it('keeps a browser login across restarts even though the environment still holds an older token', async () => {
    emulator.reset();
    const stateDir = tempDir();
    const env = spotifyEnv(stateDir, DEMO_REFRESH_TOKEN);
    let s = await boot(env);
    emulator.revokeRefreshTokens();
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(401);

    const authorize = new URL(
      (await fetch(`${s.url}/login`, { redirect: 'manual' })).headers.get('location') ?? '',
    );
    const form = new URLSearchParams(authorize.searchParams);
    form.set('decision', 'accept');
    const consent = await fetch(`${authorize.origin}/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    expect((await fetch(consent.headers.get('location') ?? '')).status).toBe(200);
    expect((await fetch(`${s.url}/api/devices`)).status).toBe(200);

    const logs = new LogCapture();
    s = await restart(env, logs);
    expect((await fetch(`${s.url}/api/token-cache/refresh`, { method: 'POST' })).status).toBe(200);
    expect((await statusOf(s)).state).toBe('valid');
  });
});
