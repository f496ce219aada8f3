/**
 * Exit codes of every `spotipi` command (documented in the README's CLI section).
 * `status` follows the LSB init-script convention: 0 running, 1 dead with a pid file, 3 not running.
 */
export const ExitCode = {
  ok: 0,
  /** The command failed (the server did not come up, could not be stopped, stale pid file in status). */
  failure: 1,
  /** Bad usage or invalid configuration. */
  usage: 2,
  /** The server is not running (status, token). */
  notRunning: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An expected failure: printed as `Error: message` (no stack) and turned into the exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failure,
  ) {
    super(message);
  }
}
