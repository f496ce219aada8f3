import { chownSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SETTING_KEYS } from '../../config/index.js';
import { ensurePrivateDir } from '../../util/private-dir.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { loadManagerSettings } from '../settings.js';
import { enableInstructions, renderSystemdUnit } from '../systemd-unit.js';

interface InstallFlags {
  user?: boolean;
  system?: boolean;
  print?: boolean;
  output?: string;
  force?: boolean;
  workingDir?: string;
}

/** `spotipi install-service`. */
export function registerInstallService(program: Command, ctx: CliContext): void {
  program
    .command('install-service')
    .description('write a systemd unit that runs `spotipi serve` at boot, and print how to enable it')
    .option('--user', 'a user unit in ~/.config/systemd/user (the default)')
    .option('--system', 'a system unit in /etc/systemd/system (needs root; runs as you)')
    .option('--print', 'print the unit instead of writing it')
    .option('-o, --output <file>', 'write the unit to this file instead')
    .option('--working-dir <dir>', 'directory the service runs in (its .env is loaded); default: here')
    .option('--force', 'overwrite an existing unit file')
    .addHelpText(
      'after',
      '\nExit codes: 0 written (or printed), 1 could not write it, 2 bad options or configuration.',
    )
    .action(async (flags: InstallFlags) => {
      if (flags.user && flags.system) throw new CliError('choose one of --user and --system', ExitCode.usage);
      const scope = flags.system ? 'system' : 'user';
      const settings = loadManagerSettings(ctx, { strict: true });
      const workingDir = resolve(ctx.cwd, flags.workingDir ?? '.');
      // Under sudo the service should still run as the person who asked for it.
      const runAs = ctx.env.SUDO_USER || userInfo().username;
      const unit = renderSystemdUnit({
        scope,
        nodePath: ctx.execPath,
        entry: ctx.entry,
        workingDir,
        stateDir: settings.stateDir,
        runAs,
        stopTimeoutSec: Math.ceil(settings.shutdownTimeoutMs / 1000) + 5,
        lowPower: settings.config?.lowPower ?? false,
      });
      const shellOnly = shellOnlySettings(ctx.env);
      if (shellOnly.length > 0) {
        ctx.stderr.write(
          `Note: ${shellOnly.join(', ')} ${shellOnly.length === 1 ? 'is' : 'are'} set only in this shell's environment; ` +
            `the service will not see ${shellOnly.length === 1 ? 'it' : 'them'}. Put ${shellOnly.length === 1 ? 'it' : 'them'} in ${join(workingDir, '.env')}.\n`,
        );
      }
      if (flags.print) {
        ctx.stdout.write(unit);
        return;
      }
      const target = flags.output ? resolve(ctx.cwd, flags.output) : defaultUnitPath(scope, ctx.env);
      if (existsSync(target) && !flags.force) {
        throw new CliError(`${target} already exists; use --force to replace it (or --print to compare)`);
      }
      try {
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, unit, { mode: 0o644 });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const hint =
          code === 'EACCES' || code === 'EPERM' ? ' (a system unit needs sudo; or use --print)' : '';
        throw new CliError(`could not write ${target}: ${code ?? (err as Error).message}${hint}`);
      }
      // ProtectSystem=strict: the service cannot create its state dir itself outside a writable path.
      prepareStateDir(settings.stateDir, ctx.env);
      ctx.stdout.write(enableInstructions(scope, target, runAs));
    });
}

/**
 * Settings this shell exports that a service started by systemd would not have (the unit pins
 * only the state dir; the server reads `.env` in its working directory). Names only: values may
 * be secrets.
 */
function shellOnlySettings(env: Record<string, string | undefined>): string[] {
  const keys: string[] = [...SETTING_KEYS, 'SPOTIPI_CONFIG', 'SPOTIPI_ENV_FILE'];
  return [...new Set(keys)].filter((k) => k !== 'SPOTIPI_STATE_DIR' && env[k]?.trim());
}

/** Creates the state dir (0700); under sudo it belongs to the user who asked, not root. */
function prepareStateDir(stateDir: string, env: Record<string, string | undefined>): void {
  try {
    ensurePrivateDir(stateDir);
    const uid = Number(env.SUDO_UID);
    const gid = Number(env.SUDO_GID);
    if (process.getuid?.() === 0 && Number.isInteger(uid) && Number.isInteger(gid) && env.SUDO_UID) {
      chownSync(stateDir, uid, gid);
    }
  } catch (err) {
    throw new CliError(
      `could not create the state dir ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

function defaultUnitPath(scope: 'user' | 'system', env: Record<string, string | undefined>): string {
  if (scope === 'system') return '/etc/systemd/system/spotipi.service';
  const configHome = env.XDG_CONFIG_HOME || join(env.HOME || userInfo().homedir, '.config');
  return join(configHome, 'systemd', 'user', 'spotipi.service');
}
