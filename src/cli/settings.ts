import { resolve } from 'node:path';
import envPaths from 'env-paths';
import { type Config, ConfigError, loadConfig } from '../config/index.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { localUrl } from './server-client.js';

/** What the server manager needs from the configuration. */
export interface ManagerSettings {
  stateDir: string;
  host: string;
  port: number;
  /** Where a local client reaches the configured server. */
  url: string;
  /** Sent as `Authorization: Bearer` when the server is protected (API token, else password). */
  authToken: string | undefined;
  shutdownTimeoutMs: number;
  /** The full configuration when it loaded; absent when a lenient load fell back. */
  config: Config | undefined;
}

/**
 * Loads the configuration the way the server will. `strict` (start, serve, install-service) turns a
 * ConfigError into a usage error; otherwise (stop, status, logs) the manager warns and falls back to
 * SPOTIPI_STATE_DIR/PORT/HOST from the environment, so a broken config never prevents a stop.
 */
export function loadManagerSettings(ctx: CliContext, options: { strict: boolean }): ManagerSettings {
  try {
    const config = loadConfig({ env: ctx.env, cwd: ctx.cwd });
    return {
      stateDir: config.stateDir,
      host: config.host,
      port: config.port,
      url: localUrl(config.host, config.port),
      authToken: config.access.apiToken ?? config.access.password,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      config,
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (options.strict) throw new CliError(err.message, ExitCode.usage);
    ctx.stderr.write(`Warning: ${err.message}\n(using SPOTIPI_STATE_DIR, PORT and HOST as given)\n`);
    const port = Number(ctx.env.PORT ?? 5001);
    const host = ctx.env.HOST?.trim() || '127.0.0.1';
    const safePort = Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 5001;
    return {
      stateDir: ctx.env.SPOTIPI_STATE_DIR?.trim()
        ? resolve(ctx.cwd, ctx.env.SPOTIPI_STATE_DIR)
        : envPaths('spotipi', { suffix: '' }).data,
      host,
      port: safePort,
      url: localUrl(host, safePort),
      authToken: ctx.env.SPOTIPI_API_TOKEN || ctx.env.SPOTIPI_PASSWORD || undefined,
      shutdownTimeoutMs: 10_000,
      config: undefined,
    };
  }
}
