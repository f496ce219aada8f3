import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { acquireManagerLock } from '../manager-lock.js';
import { parseSeconds } from '../parse.js';
import { stopManaged } from '../server-manager.js';
import { loadManagerSettings } from '../settings.js';
import { stateFiles } from '../state-files.js';
import { stopTimeoutMs } from './start.js';

/** `spotipi stop`. */
export function registerStop(program: Command, ctx: CliContext): void {
  program
    .command('stop')
    .description('stop the background server: SIGTERM, then SIGKILL only after the timeout')
    .addOption(
      new Option(
        '--timeout <seconds>',
        'grace period after SIGTERM (default: SHUTDOWN_TIMEOUT_SECONDS + 5)',
      ).argParser(parseSeconds),
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 stopped (or was not running; a stale pid file is removed, its pid never signalled),\n' +
        '1 the server could not be stopped.',
    )
    .action(async (flags: { timeout?: number }) => {
      const settings = loadManagerSettings(ctx, { strict: false });
      const lock = await acquireManagerLock(stateFiles(settings.stateDir).lockFile, ctx.entry);
      try {
        const outcome = await stopManaged(settings, stopTimeoutMs(settings, flags.timeout));
        if (outcome.kind === 'not-running') {
          ctx.stdout.write(
            outcome.note ? `SpotiPi is not running: ${outcome.note}.\n` : 'SpotiPi is not running.\n',
          );
        } else {
          const secs = (outcome.afterMs / 1000).toFixed(1);
          ctx.stdout.write(
            outcome.killed
              ? `SpotiPi (pid ${outcome.pid}) did not exit after SIGTERM; killed it with SIGKILL after ${secs}s.\n`
              : `Stopped SpotiPi (pid ${outcome.pid}) in ${secs}s.\n`,
          );
        }
      } finally {
        await lock.release();
      }
    });
}
