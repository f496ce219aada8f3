import { chmodSync, mkdirSync } from 'node:fs';

/**
 * Creates `path` (and missing parents) and makes it 0700: the state dir and its logs hold
 * secrets (tokens, sessions, the session secret) and what the user does, for no one else to read.
 */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by umask and ignored for a directory that already exists.
  chmodSync(path, 0o700);
}
