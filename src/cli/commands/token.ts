import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { getJson } from '../server-client.js';
import { inspectManagedServer } from '../server-manager.js';
import { loadManagerSettings } from '../settings.js';
import { formatTokenStatus } from '../token-table.js';

/** `spotipi token`. */
export function registerToken(program: Command, ctx: CliContext): void {
  program
    .command('token')
    .description('show the token cache status of the running server (never the token itself)')
    .option('--json', "print the server's JSON as is")
    .addHelpText('after', '\nExit codes: 0 shown, 1 the server did not answer, 3 the server is not running.')
    .action(async (flags: { json?: boolean }) => {
      const settings = loadManagerSettings(ctx, { strict: false });
      const state = await inspectManagedServer(settings);
      // A server started by systemd has no pid file; it still answers on the configured URL.
      const url = state.kind === 'running' ? state.record.url : settings.url;
      const result = await getJson(url, '/api/token-cache/status', { token: settings.authToken });
      if (!result.ok) {
        if (state.kind !== 'running' && result.status === undefined) {
          throw new CliError(`SpotiPi is not running (nothing answers at ${url})`, ExitCode.notRunning);
        }
        throw new CliError(`could not read the token status: ${result.reason}`);
      }
      ctx.stdout.write(
        flags.json ? `${JSON.stringify(result.body, null, 2)}\n` : formatTokenStatus(result.body),
      );
    });
}
