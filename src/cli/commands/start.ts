import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { DEFAULT_ROTATION, type RotationOptions } from '../log-rotation.js';
import { acquireManagerLock } from '../manager-lock.js';
import { parseCount, parsePositiveInt, parseSeconds } from '../parse.js';
import { AlreadyRunningError, type StartedServer, startDetached, stopManaged } from '../server-manager.js';
import { loadManagerSettings, type ManagerSettings } from '../settings.js';
import { createSpinner } from '../spinner.js';
import { stateFiles } from '../state-files.js';

interface StartFlags {
  timeout: number;
  logMaxBytes: number;
  logKeep: number;
}

function addStartOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for /healthz before giving up')
        .default(15)
        .argParser(parseSeconds),
    )
    .addOption(
      new Option('--log-max-bytes <bytes>', 'rotate the log when it reaches this size')
        .default(DEFAULT_ROTATION.maxBytes)
        .argParser(parsePositiveInt),
    )
    .addOption(
      new Option('--log-keep <count>', 'rotated log files to keep')
        .default(DEFAULT_ROTATION.keep)
        .argParser(parseCount),
    );
}

/** `spotipi start` and `spotipi restart`. */
export function registerStart(program: Command, ctx: CliContext): void {
  addStartOptions(
    program
      .command('start')
      .description('start the server in the background and wait until it answers')
      .addHelpText(
        'after',
        '\nExit codes: 0 running (started now, or already running), 1 it failed to start, 2 bad configuration.',
      ),
  ).action(async (flags: StartFlags) => {
    const settings = loadManagerSettings(ctx, { strict: true });
    const lock = await acquireManagerLock(stateFiles(settings.stateDir).lockFile, ctx.entry);
    try {
      await startAndReport(ctx, settings, flags);
    } finally {
      await lock.release();
    }
  });

  addStartOptions(
    program
      .command('restart')
      .description('stop the server (if running) and start it again')
      .addOption(
        new Option('--stop-timeout <seconds>', 'grace period after SIGTERM before SIGKILL').argParser(
          parseSeconds,
        ),
      )
      .addHelpText(
        'after',
        '\nExit codes: 0 running again, 1 it failed to stop or start, 2 bad configuration.',
      ),
  ).action(async (flags: StartFlags & { stopTimeout?: number }) => {
    const settings = loadManagerSettings(ctx, { strict: true });
    const lock = await acquireManagerLock(stateFiles(settings.stateDir).lockFile, ctx.entry);
    try {
      const stopped = await stopManaged(settings, stopTimeoutMs(settings, flags.stopTimeout));
      if (stopped.kind === 'stopped') {
        ctx.stdout.write(`Stopped SpotiPi (pid ${stopped.pid}${stopped.killed ? ', with SIGKILL' : ''}).\n`);
      } else if (stopped.note) {
        ctx.stdout.write(`${capitalise(stopped.note)}.\n`);
      }
      await startAndReport(ctx, settings, flags);
    } finally {
      await lock.release();
    }
  });
}

/** The stop grace period: the server's own shutdown bound plus 5 s, unless given. */
export function stopTimeoutMs(settings: ManagerSettings, seconds: number | undefined): number {
  return seconds !== undefined ? seconds * 1000 : settings.shutdownTimeoutMs + 5000;
}

async function startAndReport(ctx: CliContext, settings: ManagerSettings, flags: StartFlags): Promise<void> {
  const rotation: RotationOptions = { maxBytes: flags.logMaxBytes, keep: flags.logKeep };
  const spinner = createSpinner(ctx.stdout, 'Starting SpotiPi');
  let started: StartedServer;
  try {
    started = await startDetached(ctx, settings, {
      timeoutMs: flags.timeout * 1000,
      rotation,
      onWait: (elapsed) => spinner.update(elapsed),
    });
  } catch (err) {
    spinner.clear();
    if (err instanceof AlreadyRunningError) {
      ctx.stdout.write(`${err.message}; not starting another.\n`);
      return;
    }
    throw err;
  }
  spinner.clear();
  for (const note of started.notes) ctx.stdout.write(`${note}\n`);
  const mode =
    started.mode === 'demo' ? 'DEMO mode (built-in Spotify emulator)' : (started.mode ?? 'unknown');
  ctx.stdout.write(
    `SpotiPi is running at ${started.record.url}\n` +
      `  Mode: ${mode}\n  PID:  ${started.record.pid}\n  Logs: ${started.record.logFile}\n`,
  );
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
