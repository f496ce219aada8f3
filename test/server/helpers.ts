import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type Config, loadConfig } from '../../src/config/index.js';
import { buildApp } from '../../src/server/app.js';
import type { AppDeps, ServerSpotify } from '../../src/server/deps.js';
import { createLogger } from '../../src/server/logger.js';
import { LoginFlow } from '../../src/server/login-flow.js';
import { AppMetrics } from '../../src/server/metrics.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { systemClock } from '../../src/token/clock.js';
import { createMemoryStore } from '../../src/token/stores/memory-store.js';
import { TokenCache } from '../../src/token/token-cache.js';
import type { Clock, RefreshFn } from '../../src/token/types.js';

/** Collects pino's JSON lines in memory so tests can read (and search) every log line. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(line);
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  parsed(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** A fresh temp directory. */
export function tempDir(prefix = 'spotipi-server-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A Config as the loader makes it from `env` (state dir in a temp directory unless given). */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ env: { SPOTIPI_STATE_DIR: tempDir(), LOG_LEVEL: 'debug', ...env }, cwd: tempDir() });
}

export interface TestApp {
  app: FastifyInstance;
  url: string;
  logs: LogCapture;
  tokenCache: TokenCache;
  deps: AppDeps;
  close(): Promise<void>;
}

/**
 * Builds and listens (port 0) an app whose token cache uses `refresh` and whose Spotify clients
 * point at `spotifyUrl` (an emulator, or an unreachable address for routes that never call it).
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    refresh?: RefreshFn;
    spotifyUrl?: string;
    clientId?: string;
    clientSecret?: string;
    clock?: Clock;
    spotify?: ServerSpotify;
    webRoot?: string;
    seedRefreshToken?: string;
  } = {},
): Promise<TestApp> {
  const config = testConfig(options.env);
  const logs = new LogCapture();
  const logger = createLogger(config.logLevel, logs);
  const clock = options.clock ?? systemClock;
  const spotifyUrl = options.spotifyUrl ?? 'http://127.0.0.1:9';
  const accounts = new AccountsClient({
    baseUrl: spotifyUrl,
    clientId: options.clientId ?? 'test-client',
    ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
  });
  const tokenCache = new TokenCache({
    refresh: options.refresh ?? accounts.refreshFn(),
    store: createMemoryStore(),
    clock,
    logger: logger.child({ module: 'token-cache' }),
    backoffBaseMs: 1,
    ...(options.seedRefreshToken ? { seedRefreshToken: options.seedRefreshToken } : {}),
  });
  const metrics = new AppMetrics(() => tokenCache.snapshot(), { processMetrics: false });
  const spotify =
    options.spotify ??
    new SpotifyWebApi({
      baseUrl: spotifyUrl,
      tokens: tokenCache,
      clock,
      logger,
      backoffBaseMs: 1,
      onCall: metrics.onSpotifyCall,
    });
  let redirectUri = 'http://127.0.0.1:1/callback';
  const login = new LoginFlow({
    accounts,
    redirectUri: () => redirectUri,
    scopes: config.spotify.scopes,
    clock,
    onAuthorized: (r) => tokenCache.setRefreshToken(r.refreshToken),
  });
  const deps: AppDeps = {
    config,
    logger,
    clock,
    tokenCache,
    spotify,
    login,
    metrics,
    webRoot: options.webRoot ?? tempDir('spotipi-web-'),
    sessionSecret: 'test-session-secret-that-is-long-enough-0123456789',
  };
  const app = await buildApp(deps);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  redirectUri = `http://127.0.0.1:${port}/callback`;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    logs,
    tokenCache,
    deps,
    close: async () => {
      await app.close();
      await tokenCache.close();
    },
  };
}

/** A refresh function that hands out numbered tokens and counts its calls. */
export function countingRefresh(lifetimeSec = 3600): RefreshFn & { calls: number } {
  const fn = (async () => {
    fn.calls++;
    return { accessToken: `access-token-${fn.calls}-secretvalue`, expiresIn: lifetimeSec };
  }) as unknown as RefreshFn & { calls: number };
  fn.calls = 0;
  return fn;
}
