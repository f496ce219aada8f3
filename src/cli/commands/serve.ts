import type { Command } from 'commander';
import { UnreadableStateFileError } from '../../alarm/state-file.js';
import { type Config, ConfigError, loadConfig } from '../../config/index.js';
import { type RunningServer, type StartOptions, startServer } from '../../server/start.js';
import { StateDirLockedError } from '../../server/state-dir-lock.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { startSystemdNotifier } from '../systemd-notify.js';

/** Flags of `spotipi serve`. */
export interface ServeFlags {
  config?: string;
  port?: string;
  host?: string;
}

/** Loads the configuration for `serve`/`login` with command-line overrides; a ConfigError becomes a usage error. */
export function loadServeConfig(ctx: CliContext, flags: ServeFlags): Config {
  const env = { ...ctx.env };
  if (flags.port !== undefined) env.PORT = flags.port;
  if (flags.host !== undefined) env.HOST = flags.host;
  try {
    return loadConfig({ env, cwd: ctx.cwd, configPath: flags.config });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
}

/**
 * Runs the server in the foreground until SIGTERM or SIGINT, then shuts down gracefully
 * (stop accepting, finish in-flight requests within SHUTDOWN_TIMEOUT_SECONDS, close stores) and
 * resolves. A second signal while shutting down exits at once with code 1.
 */
export async function serve(
  ctx: CliContext,
  flags: ServeFlags,
  options: StartOptions & { signals?: NodeJS.Signals[] } = {},
): Promise<void> {
  const config = loadServeConfig(ctx, flags);
  let server: RunningServer;
  try {
    server = await startServer(config, options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CliError(
        `port ${config.port} on ${config.host} is already in use (set PORT to another port)`,
      );
    }
    if (e.code === 'EACCES') throw new CliError(`not allowed to listen on ${config.host}:${config.port}`);
    // A state file it cannot read safely is left untouched: exit 2 like a bad configuration.
    if (err instanceof UnreadableStateFileError) {
      throw new CliError(`SpotiPi did not start: ${err.message}`, ExitCode.usage);
    }
    if (err instanceof StateDirLockedError) throw new CliError(err.message);
    throw err;
  }
  ctx.stdout.write(`SpotiPi ${config.mode === 'demo' ? '(DEMO MODE) ' : ''}listening on ${server.url}\n`);
  // Under systemd (Type=notify): readiness now, watchdog pings from this event loop until stopped.
  const notifier = startSystemdNotifier(ctx.env, { warn: (message) => server.app.log.warn(message) });
  notifier?.ready(`SpotiPi listening on ${server.url}`);

  await new Promise<void>((resolve) => {
    const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        ctx.stderr.write(`received ${signal} again; exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      notifier?.stopping();
      server.app.log.info({ signal }, 'signal received; shutting down');
      server.close().then(
        () => {
          for (const s of signals) process.off(s, onSignal);
          // Backstop: if a stray handle keeps the loop alive after a clean close, exit anyway.
          setTimeout(() => process.exit(0), 2_000).unref();
          resolve();
        },
        (err: unknown) => {
          ctx.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

/** `spotipi serve`: the server in the foreground (for systemd, containers and `npm start`). */
export function registerServe(program: Command, ctx: CliContext, options: StartOptions = {}): void {
  program
    .command('serve')
    .description('run the SpotiPi server in the foreground (Ctrl+C or SIGTERM stops it cleanly)')
    .option('-c, --config <file>', 'JSON config file (default: $SPOTIPI_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 5001)')
    .option('--host <host>', 'interface to bind (default: $HOST or 127.0.0.1; 0.0.0.0 for the home network)')
    .addHelpText(
      'after',
      '\nExit codes: 0 stopped cleanly, 1 failed to start or stop (another server uses the state dir), 2 invalid configuration or a state file it cannot read safely.',
    )
    .action(async (flags: ServeFlags) => {
      await serve(ctx, flags, options);
    });
}
