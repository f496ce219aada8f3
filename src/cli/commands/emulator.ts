import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { parsePort, parsePositiveInt } from '../parse.js';

/** `spotipi emulator`: the Spotify emulator on its own, until Ctrl+C or SIGTERM. */
export function registerEmulator(program: Command, ctx: CliContext): void {
  program
    .command('emulator')
    .description('run the built-in Spotify emulator (Accounts + Web API) on its own')
    .addOption(
      new Option('-p, --port <port>', 'port to listen on (0 picks a free one)')
        .default(0)
        .argParser(parsePort),
    )
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .addOption(
      new Option('--token-lifetime <seconds>', 'lifetime of issued access tokens').argParser(
        parsePositiveInt,
      ),
    )
    .option('--rotate-refresh-tokens', 'issue a new refresh token on every refresh')
    .addHelpText('after', '\nExit codes: 0 stopped by a signal, 1 could not start (e.g. port in use).')
    .action(
      async (flags: {
        port: number;
        host: string;
        tokenLifetime?: number;
        rotateRefreshTokens?: boolean;
      }) => {
        // Loaded only for this command: `serve` never pays for the emulator it does not run.
        const { runEmulatorCli } = await import('../../emulator/index.js');
        const emulator = await runEmulatorCli({
          port: flags.port,
          host: flags.host,
          rotateRefreshTokens: flags.rotateRefreshTokens ?? false,
          ...(flags.tokenLifetime !== undefined ? { tokenLifetimeSec: flags.tokenLifetime } : {}),
          write: (text) => ctx.stdout.write(text),
        });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await emulator.close();
      },
    );
}
