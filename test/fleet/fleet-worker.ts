/**
 * One fleet member as a real process: a TokenCache with a RedisStore (or a MemoryStore, for the
 * unshared baseline) and the Spotify AccountsClient against the emulator over loopback. It
 * hammers getAccessToken, checks tokens against the emulator's Web API, and reports JSON lines on
 * stdout. Reads its configuration from argv[2] (JSON); "stop" on stdin ends it with final stats.
 *
 * Run: node --import tsx test/fleet/fleet-worker.ts '<json>'
 */
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { MemoryStore } from '../../src/token/stores/memory-store.js';
import { createRedisStore } from '../../src/token/stores/redis-store.js';
import { TokenCache } from '../../src/token/token-cache.js';
import type { Logger, RefreshFn, TokenStore } from '../../src/token/types.js';

/** What a worker is told at start. */
export interface WorkerConfig {
  name: string;
  emulatorUrl: string;
  clientId: string;
  clientSecret: string;
  seedRefreshToken: string;
  /** Absent: an unshared MemoryStore. */
  redisUrl?: string;
  /** AES-256-GCM key for the tokens at rest in Redis. */
  encryptionKey?: string;
  /** Concurrent getAccessToken loops. */
  concurrency: number;
  /** Pause between calls of one loop (ms). */
  pauseMs: number;
  /** Each loop checks its token against GET `apiPath` every this many calls (0: never). */
  apiEvery: number;
  apiPath: string;
  lockTtlMs: number;
  lockWaitMs: number;
  attemptTimeoutMs: number;
  maxAttempts: number;
  refreshAheadMs: number;
  safetyMarginMs: number;
}

/** Counters a worker reports. */
export interface WorkerStats {
  calls: number;
  failed: number;
  apiOk: number;
  /** API calls answered 401 (the token was not accepted). */
  apiRejected: number;
  apiOther: number;
  refreshStarts: number;
  refreshErrors: number;
  warnings: number;
  errors: string[];
  storeHealth: string;
  state: string;
  refreshTokenFingerprint: string | null;
}

/** One line on the worker's stdout. */
export type WorkerEvent =
  | { type: 'ready'; pid: number }
  | { type: 'refresh_start'; pid: number; at: number }
  | { type: 'refresh_end'; pid: number; at: number; ok: boolean }
  | { type: 'stats'; pid: number; final: boolean; stats: WorkerStats };

function emit(event: WorkerEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  const stats: WorkerStats = {
    calls: 0,
    failed: 0,
    apiOk: 0,
    apiRejected: 0,
    apiOther: 0,
    refreshStarts: 0,
    refreshErrors: 0,
    warnings: 0,
    errors: [],
    storeHealth: 'ok',
    state: 'empty',
    refreshTokenFingerprint: null,
  };
  const note = (text: string) => {
    if (stats.errors.length < 10) stats.errors.push(text);
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn(obj, msg) {
      stats.warnings++;
      process.stderr.write(`${JSON.stringify({ level: 'warn', worker: cfg.name, msg, ...obj })}\n`);
    },
    error(obj, msg) {
      note(`log error: ${msg}`);
      process.stderr.write(`${JSON.stringify({ level: 'error', worker: cfg.name, msg, ...obj })}\n`);
    },
  };

  const accounts = new AccountsClient({
    baseUrl: cfg.emulatorUrl,
    clientId: cfg.clientId,
    clientSecret: cfg.clientSecret,
    timeoutMs: cfg.attemptTimeoutMs,
  });
  const refresh: RefreshFn = async (ctx) => {
    stats.refreshStarts++;
    emit({ type: 'refresh_start', pid: process.pid, at: Date.now() });
    try {
      const result = await accounts.refreshAccessToken(ctx.refreshToken ?? '', ctx.signal);
      emit({ type: 'refresh_end', pid: process.pid, at: Date.now(), ok: true });
      return result;
    } catch (err) {
      stats.refreshErrors++;
      emit({ type: 'refresh_end', pid: process.pid, at: Date.now(), ok: false });
      throw err;
    }
  };
  const store: TokenStore = cfg.redisUrl
    ? createRedisStore({
        url: cfg.redisUrl,
        clientId: cfg.clientId,
        logger,
        ...(cfg.encryptionKey ? { encryptionKey: cfg.encryptionKey } : {}),
      })
    : new MemoryStore();
  const cache = new TokenCache({
    name: cfg.name,
    refresh,
    store,
    logger,
    seedRefreshToken: cfg.seedRefreshToken,
    lockTtlMs: cfg.lockTtlMs,
    lockWaitMs: cfg.lockWaitMs,
    attemptTimeoutMs: cfg.attemptTimeoutMs,
    maxAttempts: cfg.maxAttempts,
    refreshAheadMs: cfg.refreshAheadMs,
    safetyMarginMs: cfg.safetyMarginMs,
    backoffBaseMs: 50,
  });
  await cache.init();

  const snapshotStats = (final: boolean) => {
    const snap = cache.snapshot();
    stats.storeHealth = snap.store.health.state;
    stats.state = snap.state;
    stats.refreshTokenFingerprint = snap.refresh_token.fingerprint;
    emit({ type: 'stats', pid: process.pid, final, stats });
  };

  let running = true;
  const loop = async () => {
    let n = 0;
    while (running) {
      n++;
      let token: string;
      try {
        token = await cache.getAccessToken();
        stats.calls++;
      } catch (err) {
        stats.failed++;
        note(`getAccessToken: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        await delay(cfg.pauseMs);
        continue;
      }
      if (cfg.apiEvery > 0 && n % cfg.apiEvery === 0) {
        try {
          const res = await fetch(`${cfg.emulatorUrl}${cfg.apiPath}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          await res.arrayBuffer();
          if (res.status === 401) {
            stats.apiRejected++;
            cache.invalidate(token);
          } else if (res.ok) stats.apiOk++;
          else stats.apiOther++;
        } catch (err) {
          stats.apiOther++;
          note(`api: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      await delay(cfg.pauseMs);
    }
  };
  const loops = Array.from({ length: cfg.concurrency }, loop);
  const ticker = setInterval(() => snapshotStats(false), 250);
  emit({ type: 'ready', pid: process.pid });

  const input = createInterface({ input: process.stdin });
  for await (const line of input) {
    if (line.trim() === 'stop') break;
  }
  running = false;
  await Promise.all(loops);
  clearInterval(ticker);
  snapshotStats(true);
  await cache.close();
  await store.close?.();
  input.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet worker crashed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
