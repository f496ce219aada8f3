import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { parsePositiveInt } from '../parse.js';
import { loadManagerSettings } from '../settings.js';
import { collectStatus, formatStatus } from '../status-report.js';

/** `spotipi status`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      'show whether the server runs, its PID, uptime, memory, CPU, URL, mode, token and next alarm',
    )
    .option('--json', 'print the status as JSON (for scripts)')
    .addOption(
      new Option('--cpu-sample <ms>', 'how long to measure CPU use').default(250).argParser(parsePositiveInt),
    )
    .addHelpText(
      'after',
      '\nExit codes (LSB): 0 running, 1 stopped but a stale pid file was left (crash, or the pid was reused),\n' +
        '3 stopped.',
    )
    .action(async (flags: { json?: boolean; cpuSample: number }) => {
      const settings = loadManagerSettings(ctx, { strict: false });
      const report = await collectStatus(settings, { cpuSampleMs: flags.cpuSample });
      ctx.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
      if (report.status === 'running') ctx.setExitCode(ExitCode.ok);
      else ctx.setExitCode(report.stale ? ExitCode.failure : ExitCode.notRunning);
    });
}
