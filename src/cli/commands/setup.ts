import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { SETUP_SOURCE } from '../../config/load.js';
import { checkSpotifyApp } from '../../setup/check-app.js';
import { spotifyAppPath, writeSpotifyApp } from '../../setup/spotify-app-file.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { localUrl } from '../server-client.js';
import { login } from './login.js';
import { loadServeConfig } from './serve.js';

/** Flags of `spotipi setup`. */
export interface SetupFlags {
  config?: string;
}

/** Where answers are read from (stdin by default). */
export interface SetupIo {
  input?: Readable;
}

/** How many times a rejected app may be typed again before giving up. */
const MAX_TRIES = 3;

/**
 * `spotipi setup`: the first-run setup for SSH users. Shows the redirect URI to register, asks for
 * the Client ID (and the optional secret), checks them against Spotify's token endpoint, saves them
 * (through the running server, which leaves demo mode at once, or in the state dir), continues into
 * the Spotify login and offers to install the systemd service.
 */
export async function setup(
  ctx: CliContext,
  flags: SetupFlags,
  io: SetupIo = {},
  installService?: () => Promise<void>,
): Promise<void> {
  const config = loadServeConfig(ctx, flags);
  const source = config.sources.SPOTIFY_CLIENT_ID;
  if (source !== undefined && source !== SETUP_SOURCE) {
    throw new CliError(
      `SPOTIFY_CLIENT_ID is already set in the ${source}; setup stores only an app not configured elsewhere. Edit it there (and run \`spotipi login\`).`,
      ExitCode.usage,
    );
  }
  const serverUrl = localUrl(config.host, config.port);
  const bearer = config.access.apiToken ?? config.access.password;
  const server = await serverSetupView(serverUrl, bearer);
  const redirectUri = server?.redirect_uri ?? config.spotify.redirectUri;

  const reader = lineReader(io.input ?? process.stdin);
  const ask = async (prompt: string): Promise<string> => {
    ctx.stdout.write(prompt);
    const line = await reader.next();
    if (line === undefined) throw new CliError('setup cancelled (input ended)', ExitCode.usage);
    return line.trim();
  };
  // On a terminal the secret is typed without echo (stty), like a password prompt.
  const input = io.input ?? process.stdin;
  const askSecret = async (prompt: string): Promise<string> => {
    const tty = input === process.stdin && process.stdin.isTTY === true;
    if (tty) spawnSync('stty', ['-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
    try {
      return await ask(prompt);
    } finally {
      if (tty) {
        spawnSync('stty', ['echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
        ctx.stdout.write('\n');
      }
    }
  };
  try {
    ctx.stdout.write(
      [
        'SpotiPi setup: connect your own Spotify app.',
        '',
        '1. Open https://developer.spotify.com/dashboard, create an app (Web API) and add this',
        '   Redirect URI exactly:',
        '',
        `   ${redirectUri}`,
        '',
        "2. Copy the app's Client ID (and, if you like, its Client secret; without one SpotiPi",
        '   logs in with PKCE).',
        '',
      ].join('\n'),
    );
    let app: { clientId: string; clientSecret: string | undefined } | undefined;
    for (let attempt = 1; attempt <= MAX_TRIES && !app; attempt++) {
      const clientId = await ask('Client ID: ');
      const clientSecret = (await askSecret('Client secret (Enter for none, not shown): ')) || undefined;
      ctx.stdout.write('Checking with Spotify… ');
      const check = await checkSpotifyApp({
        accountsUrl: config.spotify.accountsUrl,
        clientId,
        clientSecret,
      });
      if (check.ok) {
        ctx.stdout.write(check.confidential ? 'ok (with secret).\n' : 'ok (PKCE, no secret).\n');
        app = { clientId, clientSecret };
      } else {
        ctx.stdout.write(`not accepted.\n${check.message}\n`);
        if (check.field === 'accounts') throw new CliError(check.message);
      }
    }
    if (!app) throw new CliError(`Spotify did not accept the app after ${MAX_TRIES} tries.`);

    if (server) {
      await postJson(
        serverUrl,
        '/api/setup',
        { client_id: app.clientId, client_secret: app.clientSecret },
        bearer,
      );
      ctx.stdout.write(`Saved. The server at ${serverUrl} now uses your Spotify app (no restart needed).\n`);
    } else {
      await writeSpotifyApp(config.stateDir, {
        client_id: app.clientId,
        ...(app.clientSecret ? { client_secret: app.clientSecret } : {}),
        configured_at: new Date().toISOString(),
      });
      ctx.stdout.write(`Saved in ${spotifyAppPath(config.stateDir)} (readable only by you).\n`);
    }

    if (yes(await ask('Log in to Spotify now? [Y/n] '), true)) {
      await login(ctx, { ...(flags.config ? { config: flags.config } : {}) }, { ask });
    } else {
      ctx.stdout.write('Later: run `spotipi login`, or open SpotiPi and choose "Log in with Spotify".\n');
    }
    if (
      installService &&
      yes(await ask('Install the systemd service so SpotiPi starts at boot? [y/N] '), false)
    ) {
      await installService();
    } else {
      ctx.stdout.write('Done. Start SpotiPi with `spotipi start` (or `spotipi install-service` for boot).\n');
    }
  } finally {
    reader.close();
  }
}

function yes(answer: string, fallback: boolean): boolean {
  if (!answer) return fallback;
  return /^(y|yes|j|ja)$/i.test(answer);
}

/** Reads lines one at a time from one readline (answers typed ahead are kept, not lost). */
function lineReader(input: Readable): { next(): Promise<string | undefined>; close(): void } {
  const rl = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  let closed = false;
  rl.on('line', (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const waiter of waiting.splice(0)) waiter(undefined);
  });
  return {
    next: () => {
      if (lines.length > 0) return Promise.resolve(lines.shift());
      if (closed) return Promise.resolve(undefined);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () => rl.close(),
  };
}

/** The running server's setup view, or undefined when no server answers. */
async function serverSetupView(
  baseUrl: string,
  bearer: string | undefined,
): Promise<{ redirect_uri: string; mode: string } | undefined> {
  try {
    const res = await fetch(`${baseUrl}/api/setup`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
      signal: AbortSignal.timeout(1500),
    });
    if (!res.ok) return undefined;
    return (await res.json()) as { redirect_uri: string; mode: string };
  } catch {
    return undefined;
  }
}

async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  bearer: string | undefined,
): Promise<unknown> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  }).catch((err: unknown) => {
    throw new CliError(`the server at ${baseUrl} did not answer: ${(err as Error).message}`);
  });
  const data = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new CliError(`setup failed: ${data.error?.message ?? `HTTP ${res.status}`}`);
  return data;
}

/** `spotipi setup`: first-run setup in a terminal (prompts, checks, saves, logs in). */
export function registerSetup(program: Command, ctx: CliContext, io: SetupIo = {}): void {
  program
    .command('setup')
    .description('first-run setup: connect your Spotify app (checks it, saves it, logs in)')
    .option('-c, --config <file>', 'JSON config file (default: $SPOTIPI_CONFIG)')
    .addHelpText(
      'after',
      '\nWith a server running, setup goes through it and the server leaves demo mode at once;\n' +
        'otherwise the app is saved in the state dir (spotify-app.json, 0600) for the next start.\n' +
        'Exit codes: 0 set up, 1 Spotify refused the app or the login failed, 2 bad configuration\n' +
        'or input ended.',
    )
    .action(async (flags: SetupFlags) => {
      const install = program.commands.find((c) => c.name() === 'install-service');
      await setup(
        ctx,
        flags,
        io,
        install ? () => install.parseAsync([], { from: 'user' }).then(() => {}) : undefined,
      );
    });
}
