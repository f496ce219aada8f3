import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ValidationError } from '../../alarm/errors.js';
import { type ImportReport, importOriginalConfig } from '../../alarm/import-original.js';
import { isValidTimeZone } from '../../alarm/model.js';
import { machineTimeZone } from '../../config/settings.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { inspectManagedServer } from '../server-manager.js';
import { loadManagerSettings } from '../settings.js';

/** The human-readable report of an import. */
export function formatImportReport(report: ImportReport, stateDir: string): string {
  const lines: string[] = [];
  if (report.alarm) {
    lines.push(
      `Imported alarm "${report.alarm.id}": ${report.alarm.time} ${report.alarm.days.join(',') || 'once'}`,
    );
    lines.push(`  next: ${report.alarm.next_fire_at ?? 'disabled'}`);
  }
  if (report.sleepDefaults) lines.push('Imported sleep-timer defaults.');
  lines.push('', 'Mapped:');
  for (const m of report.mapped) lines.push(`  ${m}`);
  lines.push(
    '',
    `Ignored (no equivalent here): ${report.ignored.length ? report.ignored.join(', ') : 'nothing'}`,
  );
  if (report.warnings.length) {
    lines.push('', 'Check:');
    for (const w of report.warnings) lines.push(`  ! ${w}`);
  }
  lines.push('', `Written to ${stateDir}`);
  return `${lines.join('\n')}\n`;
}

/** `spotipi import-config FILE`: brings the original SpotiPi's alarm and sleep settings over. */
export function registerImportConfig(program: Command, ctx: CliContext): void {
  program
    .command('import-config')
    .argument('<file>', "the original SpotiPi's settings JSON (e.g. config/production.json)")
    .description("import the original SpotiPi's alarm and sleep-timer settings")
    .option('--state-dir <dir>', 'write into this state dir instead of the configured one')
    .option('--timezone <zone>', 'time zone for the alarm when the file names none')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nImporting again replaces the imported alarm. Stop SpotiPi first (or restart it afterwards):\n' +
        'a running server does not see the change and would overwrite it with its next save.\n' +
        'Exit codes: 0 imported, 1 the file is missing or invalid, 2 bad usage.',
    )
    .action(async (file: string, flags: { stateDir?: string; timezone?: string; json?: boolean }) => {
      const settings = loadManagerSettings(ctx, { strict: false });
      const stateDir = flags.stateDir ? resolve(ctx.cwd, flags.stateDir) : settings.stateDir;
      const defaultTimezone = flags.timezone ?? settings.config?.timezone ?? machineTimeZone(ctx.env.TZ);
      if (flags.timezone && !isValidTimeZone(flags.timezone)) {
        throw new CliError(`--timezone: "${flags.timezone}" is not a known IANA time zone`, ExitCode.usage);
      }
      if (!flags.stateDir) {
        const state = await inspectManagedServer(settings);
        if (state.kind === 'running') {
          throw new CliError(
            'SpotiPi is running: stop it first (spotipi stop), import, then start it again.',
            ExitCode.failure,
          );
        }
      }
      let report: ImportReport;
      try {
        report = await importOriginalConfig(resolve(ctx.cwd, file), { stateDir, defaultTimezone });
      } catch (err) {
        if (err instanceof ValidationError) {
          throw new CliError(`cannot import ${file}: ${err.message}`, ExitCode.failure);
        }
        throw err;
      }
      ctx.stdout.write(
        flags.json
          ? `${JSON.stringify({ stateDir, ...report }, null, 2)}\n`
          : formatImportReport(report, stateDir),
      );
    });
}
