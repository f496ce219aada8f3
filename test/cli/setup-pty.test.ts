import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/server/logger.js';
import { startServer } from '../../src/server/start.js';
import { ensureBuilt, MAIN, makeSandbox, type Sandbox } from './helpers.js';

const CLIENT_ID = '0123456789abcdef0123456789abcdef';
const SECRET = 'fedcba9876543210fedcba9876543210';

let spotify: RunningEmulator;
beforeAll(async () => {
  ensureBuilt();
  spotify = await startEmulator({ port: 0, clientId: CLIENT_ID, clientSecret: SECRET });
}, 180_000);
afterAll(async () => {
  await spotify?.close();
});

/** `spotipi setup` in a pseudo-terminal (python3's pty), answered as a person would. */
class PtySession {
  private output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number>;

  constructor(sandbox: Sandbox, args: string[]) {
    this.child = spawn(
      'python3',
      ['-c', 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)', process.execPath, MAIN, ...args],
      { cwd: sandbox.dir, env: sandbox.env },
    );
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code ?? -1)));
  }

  get text(): string {
    return this.output;
  }

  /** Waits until the output (from `from` on) contains `needle`; returns the text after `from`. */
  async waitFor(needle: string | RegExp, from = 0, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tail = this.output.slice(from);
      if (typeof needle === 'string' ? tail.includes(needle) : needle.test(tail)) return tail;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${needle}; output:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Types a line. */
  type(line: string): void {
    this.child.stdin.write(`${line}\r`);
  }
}

/** Approves Spotify's consent page for `authorizeUrl`; returns the redirect back. */
async function approve(authorizeUrl: string): Promise<string> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', 'accept');
  const res = await fetch(`${url.origin}${url.pathname}`, { method: 'POST', body: form, redirect: 'manual' });
  return res.headers.get('location') ?? '';
}

describe('spotipi setup in a terminal', () => {
  it('shows the redirect URI, rejects a wrong Client ID, saves the right app 0600, logs in and installs the service', async () => {
    const sandbox = await makeSandbox({
      SPOTIFY_ACCOUNTS_URL: spotify.url,
      SPOTIFY_API_URL: spotify.url,
    });
    sandbox.env.XDG_CONFIG_HOME = join(sandbox.dir, 'xdg');
    const session = new PtySession(sandbox, ['setup']);

    await session.waitFor('Client ID: ');
    expect(session.text).toContain(`http://127.0.0.1:${sandbox.port}/callback`);
    session.type('ffffffffffffffffffffffffffffffff');
    await session.waitFor('Client secret');
    session.type('');
    let mark = session.text.length;
    await session.waitFor('does not know this Client ID', mark);
    await session.waitFor('Client ID: ', mark);
    mark = session.text.length;
    session.type(CLIENT_ID);
    await session.waitFor('not shown): ', mark);
    session.type(SECRET);
    mark = session.text.length;
    await session.waitFor('Log in to Spotify now?', mark);
    expect(session.text.slice(mark)).toContain('ok (with secret)');
    const file = join(sandbox.stateDir, 'spotify-app.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      client_id: CLIENT_ID,
      client_secret: SECRET,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    session.type('y');
    const prompt = await session.waitFor('Redirected URL: ', mark);
    const authorizeUrl = /(http:\/\/\S+\/authorize\?\S+)/.exec(prompt)?.[1] ?? '';
    expect(authorizeUrl.startsWith(`${spotify.url}/authorize?`)).toBe(true);
    session.type(await approve(authorizeUrl));
    mark = session.text.length;
    await session.waitFor('Install the systemd service', mark);
    expect(session.text.slice(mark)).toContain('Logged in.');
    session.type('y');
    expect(await session.exited).toBe(0);
    // The terminal did not echo the secret.
    expect(session.text).not.toContain(SECRET);
    expect(existsSync(join(sandbox.dir, 'xdg', 'systemd', 'user', 'spotipi.service'))).toBe(true);
    expect(
      JSON.parse(readFileSync(join(sandbox.stateDir, 'token.json'), 'utf8')).record.refreshToken,
    ).toBeTruthy();
  }, 90_000);

  it('goes through a running demo server, which leaves demo mode and takes the login without a restart', async () => {
    const sandbox = await makeSandbox({ SPOTIFY_ACCOUNTS_URL: spotify.url, SPOTIFY_API_URL: spotify.url });
    const config = loadConfig({ env: sandbox.env, cwd: sandbox.dir });
    const server = await startServer(config, { logger: createLogger('silent') });
    try {
      expect((await (await fetch(`${server.url}/healthz`)).json()).mode).toBe('demo');
      const session = new PtySession(sandbox, ['setup']);
      await session.waitFor('Client ID: ');
      session.type(CLIENT_ID);
      await session.waitFor('not shown): ');
      session.type('');
      let mark = session.text.length;
      await session.waitFor('Log in to Spotify now?', mark);
      expect(session.text.slice(mark)).toContain('ok (PKCE, no secret)');
      expect(session.text.slice(mark)).toContain(
        `The server at http://127.0.0.1:${sandbox.port} now uses your Spotify app`,
      );
      expect((await (await fetch(`${server.url}/healthz`)).json()).mode).toBe('spotify');

      mark = session.text.length;
      session.type('');
      const prompt = await session.waitFor('Redirected URL: ', mark);
      const authorizeUrl = /(http:\/\/\S+\/authorize\?\S+)/.exec(prompt)?.[1] ?? '';
      session.type(await approve(authorizeUrl));
      await session.waitFor('Install the systemd service', mark);
      expect(session.text.slice(mark)).toContain('uses the new login now');
      session.type('n');
      expect(await session.exited).toBe(0);
      expect((await fetch(`${server.url}/api/devices`)).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('refuses when the app is configured in the environment, with exit code 2', async () => {
    const sandbox = await makeSandbox({ SPOTIFY_CLIENT_ID: CLIENT_ID });
    const session = new PtySession(sandbox, ['setup']);
    expect(await session.exited).toBe(2);
    expect(session.text).toContain('SPOTIFY_CLIENT_ID is already set in the environment');
  }, 60_000);
});
