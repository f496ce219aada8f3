import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { createLineSplitter, formatLogLine } from '../log-format.js';
import { followLog, readLastLines } from '../log-reader.js';
import { parseCount } from '../parse.js';
import { loadManagerSettings } from '../settings.js';
import { stateFiles } from '../state-files.js';

/** `spotipi logs [-n N] [-f]`. */
export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description("print the background server's log (it is never touched by reading)")
    .addOption(
      new Option('-n, --lines <count>', 'how many of the last lines to print')
        .default(50)
        .argParser(parseCount),
    )
    .option('-f, --follow', 'keep printing new lines as they are written (follows rotation); Ctrl+C ends')
    .option('--raw', 'print the JSON log lines exactly as written')
    .addHelpText('after', '\nExit codes: 0 printed (or followed until interrupted), 1 no log file yet.')
    .action(async (flags: { lines: number; follow?: boolean; raw?: boolean }) => {
      const settings = loadManagerSettings(ctx, { strict: false });
      const { logFile } = stateFiles(settings.stateDir);
      if (!existsSync(logFile) && !flags.follow) {
        ctx.stderr.write(
          `No log yet at ${logFile} (the server writes it once started with \`spotipi start\`).\n`,
        );
        ctx.setExitCode(1);
        return;
      }
      const lines = await readLastLines(logFile, flags.lines);
      const show = flags.raw ? (line: string) => line : formatLogLine;
      if (lines.length > 0) ctx.stdout.write(`${lines.map(show).join('\n')}\n`);
      if (!flags.follow) return;
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const split = createLineSplitter((line) => ctx.stdout.write(`${show(line)}\n`));
      await followLog(logFile, (chunk) => split(chunk.toString('utf8')), {
        signal: controller.signal,
      });
    });
}
