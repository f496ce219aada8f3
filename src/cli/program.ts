import { Command, Option } from 'commander';
import { registerEmulator } from './commands/emulator.js';
import { registerImportConfig } from './commands/import-config.js';
import { registerInstallService } from './commands/install-service.js';
import { registerLogin } from './commands/login.js';
import { registerLogs } from './commands/logs.js';
import { registerServe } from './commands/serve.js';
import { registerSetup } from './commands/setup.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { registerStop } from './commands/stop.js';
import { registerToken } from './commands/token.js';
import type { CliContext } from './context.js';
import { DEFAULT_ROTATION, startLogRotation } from './log-rotation.js';
import { parseCount, parsePositiveInt } from './parse.js';
import { VERSION } from './version.js';

/** Builds the `spotipi` command tree; main.ts runs it with the real process, tests with their own. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('spotipi');
  // Set before the subcommands exist: commander copies these settings into each of them.
  program.exitOverride().configureOutput({
    writeOut: (text) => ctx.stdout.write(text),
    writeErr: (text) => ctx.stderr.write(text),
  });
  program
    // Root options only before the command name, so `start --log-max-bytes` reaches `start`.
    .enablePositionalOptions()
    .description('SpotiPi: a self-hosted Spotify alarm clock and remote')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 failure, 2 bad usage or configuration, 3 not running (status, token).\n' +
        'Configuration comes from the environment, ./.env and SPOTIPI_CONFIG; see the README.',
    )
    // Set by `spotipi start` for the server it launches: the server rotates its own log.
    .addOption(new Option('--log-file <path>').hideHelp())
    .addOption(new Option('--log-max-bytes <bytes>').hideHelp().argParser(parsePositiveInt))
    .addOption(new Option('--log-keep <count>').hideHelp().argParser(parseCount))
    .hook('preAction', (root) => {
      const opts = root.opts<{ logFile?: string; logMaxBytes?: number; logKeep?: number }>();
      if (opts.logFile) {
        startLogRotation(opts.logFile, {
          maxBytes: opts.logMaxBytes ?? DEFAULT_ROTATION.maxBytes,
          keep: opts.logKeep ?? DEFAULT_ROTATION.keep,
        });
      }
    });

  registerServe(program, ctx);
  registerStart(program, ctx);
  registerStop(program, ctx);
  registerStatus(program, ctx);
  registerLogs(program, ctx);
  registerToken(program, ctx);
  registerInstallService(program, ctx);
  registerLogin(program, ctx);
  registerSetup(program, ctx);
  registerEmulator(program, ctx);
  registerImportConfig(program, ctx);
  return program;
}
