import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/index.js';
import type { EmulatorOptions, RunningEmulator } from '../../src/emulator/types.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { ManualClock } from '../../src/token/manual-clock.js';

/** Every log line the server wrote, for secret scans. */
export class LogSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** A real server (demo mode: its embedded emulator behind it) on a shared virtual clock (unused with realClock). */
export interface Harness {
  server: RunningServer;
  emulator: RunningEmulator;
  clock: ManualClock;
  logs: LogSink;
  get(path: string, init?: RequestInit): Promise<Response>;
  /** Grants of the refresh-token type so far. */
  grants(): number;
  close(): Promise<void>;
}

/**
 * Starts the server in demo mode with `env` on a ManualClock that a pump moves at real speed, so
 * timeouts, backoffs and Retry-After waits behave as in production while a test can still jump
 * ahead (`clock.advance`) to the refresh-ahead window or past expiry in an instant. With
 * `realClock`, server and emulator run on the system clock instead.
 */
export async function startHarness(
  env: Record<string, string> = {},
  emulator: EmulatorOptions = {},
  options: { pump?: boolean; realClock?: boolean } = {},
): Promise<Harness> {
  const clock = new ManualClock(Date.now(), 1_000);
  const realClock = options.realClock ?? false;
  const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-reliability-'));
  const config = loadConfig({
    env: { SPOTIPI_STATE_DIR: stateDir, PORT: '0', LOG_LEVEL: 'debug', ...env },
    cwd: stateDir,
  });
  const logs = new LogSink();
  const server = await startServer(config, {
    logger: createLogger(config.logLevel, logs),
    ...(realClock ? {} : { clock }),
    webRoot: mkdtempSync(join(tmpdir(), 'spotipi-web-')),
    emulator: {
      ...(realClock ? {} : { clock }),
      tokenLifetimeSec: 3600,
      initialPlayback: 'playing',
      ...emulator,
    },
  });
  let pumping = !realClock && (options.pump ?? true);
  const pump = (async () => {
    let last = performance.now();
    while (pumping) {
      await new Promise((r) => setTimeout(r, 5));
      const now = performance.now();
      await clock.advance(now - last);
      last = now;
    }
  })();
  const running = server.emulator;
  if (!running) throw new Error('demo mode did not start the emulator');
  return {
    server,
    emulator: running,
    clock,
    logs,
    get: (path, init) => fetch(`${server.url}${path}`, init),
    grants: () => running.stats().tokenGrants.refresh_token,
    close: async () => {
      pumping = false;
      await pump;
      await server.close();
    },
  };
}

/** Waits (real time) until `predicate` holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}
