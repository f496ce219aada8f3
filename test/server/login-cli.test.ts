import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../../src/cli/commands/login.js';
import type { CliContext } from '../../src/cli/context.js';
import { CliError } from '../../src/cli/exit-codes.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { tempDir, testConfig } from './helpers.js';

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
});

/** A CLI context whose "user" approves the printed URL at the emulator and pastes the redirect back. */
function interactiveContext(env: Record<string, string>, decision = 'accept') {
  const input = new PassThrough();
  let out = '';
  const ctx: CliContext = {
    env,
    cwd: tempDir(),
    stdout: {
      isTTY: false,
      write: (text) => {
        out += text;
        const match = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(text);
        if (match?.[1]) void approveAndPaste(match[1], decision, input);
      },
    },
    stderr: { isTTY: false, write: () => {} },
    execPath: process.execPath,
    entry: 'main.js',
    setExitCode: () => {},
  };
  return { ctx, input, output: () => out };
}

async function approveAndPaste(authorizeUrl: string, decision: string, input: PassThrough): Promise<void> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', decision);
  const res = await fetch(`${url.origin}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
  input.write(`${res.headers.get('location')}\n`);
}

function spotifyEnv(stateDir: string, port: string): Record<string, string> {
  return {
    SPOTIPI_STATE_DIR: stateDir,
    PORT: port,
    SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
    SPOTIFY_ACCOUNTS_URL: emulator.url,
    SPOTIFY_API_URL: emulator.url,
  };
}

describe('spotipi login', () => {
  it('stores the refresh token (0600) in the state dir when no server runs, and a started server uses it', async () => {
    emulator.reset();
    const stateDir = tempDir();
    // A port nothing listens on: the command works offline.
    const env = spotifyEnv(stateDir, '9');
    const { ctx, input, output } = interactiveContext(env);
    await login(ctx, {}, { input });
    expect(output()).toContain('Logged in');
    const file = join(stateDir, 'token.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8');
    const rt = emulator.validRefreshTokens().find((t) => stored.includes(t));
    expect(rt).toBeDefined();
    expect(output()).not.toContain(rt);

    server = await startServer(testConfig({ ...env, PORT: '0' }), {
      logger: createLogger('silent'),
      webRoot: tempDir(),
    });
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(200);
    // The stored access token was reused: no refresh was needed.
    expect(emulator.stats().tokenGrants.refresh_token).toBe(0);
  });

  it('goes through a running server, which then works without a restart', async () => {
    emulator.reset();
    const stateDir = tempDir();
    server = await startServer(testConfig({ ...spotifyEnv(stateDir, '0') }), {
      logger: createLogger('silent'),
      webRoot: tempDir(),
    });
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(401);
    const { ctx, input, output } = interactiveContext(spotifyEnv(stateDir, String(server.port)));
    await login(ctx, {}, { input });
    expect(output()).toContain(`The server at ${server.url} uses the new login now`);
    expect((await fetch(`${server.url}/api/devices`)).status).toBe(200);
  });

  it('fails with a clear message when the user declines', async () => {
    emulator.reset();
    const { ctx, input } = interactiveContext(spotifyEnv(tempDir(), '9'), 'deny');
    await expect(login(ctx, {}, { input })).rejects.toThrow(/access_denied/);
  });

  it('refuses to log in offline in demo mode', async () => {
    const { ctx, input } = interactiveContext({ SPOTIPI_STATE_DIR: tempDir(), PORT: '9' });
    const err = await login(ctx, {}, { input }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
  });
});
