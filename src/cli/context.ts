/** Where a command writes: a terminal, a pipe or a test buffer. */
export interface Output {
  write(text: string): void;
  /** True on an interactive terminal (spinners and colours only then). */
  readonly isTTY: boolean;
}

/**
 * Everything a command may know about its surroundings. Only main.ts builds it from the real
 * process (env, argv, cwd), so commands stay testable and never read `process.env` themselves.
 */
export interface CliContext {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: Output;
  stderr: Output;
  /** The Node executable that runs the server (process.execPath). */
  execPath: string;
  /** Absolute path of dist/cli/main.js, the script `start` and the systemd unit run. */
  entry: string;
  /** Sets the process exit code for commands that finish normally but report a state (status). */
  setExitCode(code: number): void;
}
