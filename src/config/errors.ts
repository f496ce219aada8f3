/** One invalid or missing setting. */
export interface ConfigProblem {
  /** The setting's name, as in the environment (e.g. `PORT`). */
  key: string;
  message: string;
  /** Where the offending value came from: 'environment', '.env file', 'config file', or 'default'. */
  source?: string;
}

/** Configuration could not be loaded; `problems` lists every bad setting, the message shows them all. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
  }
}

function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.key}: ${p.message}${p.source ? ` (from ${p.source})` : ''}`);
  const noun = problems.length === 1 ? 'setting' : 'settings';
  return `Invalid configuration: ${problems.length} ${noun} to fix:\n${lines.join('\n')}`;
}
