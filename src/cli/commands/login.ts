import { createInterface } from 'node:readline/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Config } from '../../config/index.js';
import { createLogger } from '../../server/logger.js';
import { LoginFlow } from '../../server/login-flow.js';
import { chooseTokenStore } from '../../server/token-store.js';
import { AccountsClient, parseCallbackUrl } from '../../spotify/accounts-client.js';
import { systemClock } from '../../token/clock.js';
import { fingerprint } from '../../token/fingerprint.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { localUrl } from '../server-client.js';
import { loadServeConfig, type ServeFlags } from './serve.js';

/** Flags of `spotipi login`. */
export interface LoginFlags extends Pick<ServeFlags, 'config'> {
  /** Log in against the state dir even when a server answers. */
  server?: boolean;
}

/** Where the pasted redirect URL is read from (stdin by default). */
export interface LoginIo {
  input?: Readable;
  /** Asks one question and resolves with the answer line (`spotipi setup` shares its reader). */
  ask?: (prompt: string) => Promise<string>;
}

/**
 * Runs the paste-back login: prints Spotify's authorize URL, reads the URL the browser was
 * redirected to, and completes the exchange. With a server running it goes through the server
 * (which then works without a restart); otherwise it stores the refresh token in the state dir.
 */
export async function login(ctx: CliContext, flags: LoginFlags, io: LoginIo = {}): Promise<void> {
  const config = loadServeConfig(ctx, flags);
  const serverUrl = localUrl(config.host, config.port);
  const bearer = config.access.apiToken ?? config.access.password;
  const viaServer = flags.server !== false && (await answers(serverUrl));

  if (viaServer) {
    const start = await postJson(serverUrl, '/api/login/start', undefined, bearer);
    const authorizeUrl = String((start as { authorize_url?: unknown }).authorize_url ?? '');
    const redirectUri = String((start as { redirect_uri?: unknown }).redirect_uri ?? '');
    const pasted = await askForRedirect(ctx, io, authorizeUrl, redirectUri);
    await postJson(serverUrl, '/api/login/complete', { redirect_url: pasted }, bearer);
    ctx.stdout.write(`Logged in. The server at ${serverUrl} uses the new login now.\n`);
    return;
  }

  if (config.mode === 'demo') {
    throw new CliError(
      'SpotiPi is in demo mode (no SPOTIFY_CLIENT_ID) and no server is running; set SPOTIFY_CLIENT_ID first (see the README).',
      ExitCode.usage,
    );
  }
  await loginOffline(ctx, config, io);
}

async function loginOffline(ctx: CliContext, config: Config, io: LoginIo): Promise<void> {
  const logger = createLogger('warn');
  const store = await chooseTokenStore(config, { clientId: config.spotify.clientId ?? '', logger });
  try {
    const accounts = new AccountsClient({
      baseUrl: config.spotify.accountsUrl,
      clientId: config.spotify.clientId ?? '',
      ...(config.spotify.clientSecret ? { clientSecret: config.spotify.clientSecret } : {}),
    });
    const flow = new LoginFlow({
      accounts,
      redirectUri: config.spotify.redirectUri,
      scopes: config.spotify.scopes,
      clock: systemClock,
      onAuthorized: async (result) => {
        const now = systemClock.now();
        // The configured seed is superseded: a restart keeps this login (see the README).
        const seed = fingerprint(config.spotify.refreshToken);
        await store.save({
          accessToken: result.accessToken,
          expiresAt: now + result.expiresIn * 1000,
          obtainedAt: now,
          expiresIn: result.expiresIn,
          refreshToken: result.refreshToken,
          ...(result.scope ? { scope: result.scope } : {}),
          ...(seed ? { seedFingerprint: seed } : {}),
        });
      },
    });
    const { authorizeUrl } = flow.start();
    const pasted = await askForRedirect(ctx, io, authorizeUrl, flow.redirectUri);
    try {
      await flow.complete(parseCallbackUrl(pasted));
    } catch (err) {
      throw new CliError(`login failed: ${(err as Error).message}`);
    }
    ctx.stdout.write(`Logged in. The refresh token is stored (${store.kind} store) for the next start.\n`);
  } finally {
    await store.close?.();
  }
}

async function askForRedirect(
  ctx: CliContext,
  io: LoginIo,
  authorizeUrl: string,
  redirectUri: string,
): Promise<string> {
  if (!authorizeUrl) throw new CliError('the server did not return an authorization URL');
  ctx.stdout.write(
    [
      '1. Open this URL in a browser (on any device) and allow SpotiPi:',
      '',
      `   ${authorizeUrl}`,
      '',
      `2. Spotify then sends the browser to ${redirectUri}?code=...`,
      '   If that page does not load (the Pi is elsewhere), that is fine: copy the whole URL',
      '   from the address bar and paste it here.',
      '',
    ].join('\n'),
  );
  if (io.ask) {
    const answer = (await io.ask('Redirected URL: ')).trim();
    if (!answer) throw new CliError('no URL pasted', ExitCode.usage);
    return answer;
  }
  const rl = createInterface({ input: io.input ?? process.stdin, terminal: false });
  try {
    const line = await rl.question('Redirected URL: ');
    if (!line.trim()) throw new CliError('no URL pasted', ExitCode.usage);
    return line.trim();
  } finally {
    rl.close();
  }
}

async function answers(baseUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1500) });
    return res.ok;
  } catch {
    return false;
  }
}

async function postJson(
  baseUrl: string,
  path: string,
  body: unknown,
  bearer: string | undefined,
): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new CliError(`the server at ${baseUrl} did not answer: ${(err as Error).message}`);
  }
  const data = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new CliError(`login failed: ${data.error?.message ?? `HTTP ${res.status}`}`);
  return data;
}

/** `spotipi login`: the paste-back Spotify login for a Pi reached from another device. */
export function registerLogin(program: Command, ctx: CliContext, io: LoginIo = {}): void {
  program
    .command('login')
    .description('log in to Spotify: prints the authorization URL and reads the redirected URL pasted back')
    .option('-c, --config <file>', 'JSON config file (default: $SPOTIPI_CONFIG)')
    .option('--no-server', 'store the login in the state dir even if a server is running')
    .addHelpText(
      'after',
      '\nWith a server running, the login goes through it and applies at once; otherwise the refresh\n' +
        'token is stored in the state dir for the next start.\n' +
        'Exit codes: 0 logged in, 1 the login failed, 2 bad configuration or nothing pasted.',
    )
    .action(async (flags: LoginFlags) => {
      await login(ctx, flags, io);
    });
}
