import { join } from 'node:path';

/** Where the server manager keeps its files inside the state dir. */
export interface StateFiles {
  pidFile: string;
  lockFile: string;
  logDir: string;
  logFile: string;
}

/** The manager's file layout for a state dir. */
export function stateFiles(stateDir: string): StateFiles {
  const logDir = join(stateDir, 'logs');
  return {
    pidFile: join(stateDir, 'spotipi.pid'),
    lockFile: join(stateDir, 'spotipi.lock'),
    logDir,
    logFile: join(logDir, 'spotipi.log'),
  };
}
