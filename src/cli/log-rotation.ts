import { copyFileSync, renameSync, statSync, truncateSync } from 'node:fs';

/** Size limit and number of rotated files kept (`spotipi.log.1` … `.keep`). */
export interface RotationOptions {
  maxBytes: number;
  keep: number;
}

/** Default: 5 MiB per file, three old files, so the logs never take more than 20 MiB. */
export const DEFAULT_ROTATION: RotationOptions = { maxBytes: 5 * 1024 * 1024, keep: 3 };

/**
 * Rotates `path` once it reaches `maxBytes`: shifts `.1`…`.keep-1` up, copies the live file to
 * `.1`, then truncates it in place ("copytruncate"). The server's stdout/stderr are O_APPEND
 * descriptors onto this file, so whatever writes them (pino, console, Node's crash report) carries
 * on at the start of the emptied file without reopening anything. Lines written between the copy
 * and the truncate are lost; that window is a single file copy. Returns true if it rotated.
 */
export function rotateIfNeeded(path: string, options: RotationOptions): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size < options.maxBytes) return false;
  if (options.keep > 0) {
    for (let i = options.keep - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    copyFileSync(path, `${path}.1`);
  }
  truncateSync(path, 0);
  return true;
}

/** Checks the log size every `intervalMs` in this process (the server's); returns a stop function. */
export function startLogRotation(path: string, options: RotationOptions, intervalMs = 5000): () => void {
  const check = () => {
    try {
      rotateIfNeeded(path, options);
    } catch (err) {
      process.stderr.write(`spotipi: log rotation of ${path} failed: ${(err as Error).message}\n`);
    }
  };
  check();
  const timer = setInterval(check, intervalMs);
  // Rotation must never keep the server alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}
