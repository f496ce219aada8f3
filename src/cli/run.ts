import { CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';

/**
 * Runs one CLI invocation and returns its exit code. Expected failures (CliError, usage errors)
 * print one clear line; anything else prints its message too (the stack only with SPOTIPI_DEBUG).
 */
export async function runCli(argv: string[], ctx: Omit<CliContext, 'setExitCode'>): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const full: CliContext = { ...ctx, setExitCode: (code) => (exitCode = code) };
  const program = buildProgram(full);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; real usage errors become 2.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      ctx.stderr.write(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    ctx.stderr.write(`Error: ${e.message ?? String(err)}\n`);
    if (ctx.env.SPOTIPI_DEBUG) ctx.stderr.write(`${e.stack ?? ''}\n`);
    return ExitCode.failure;
  }
}
