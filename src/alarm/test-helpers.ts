import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../token/types.js';

/** A log line captured by `RecordingLogger`. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A logger that keeps every line, for assertions on what was logged. */
export class RecordingLogger implements Logger {
  readonly lines: LogLine[] = [];
  debug(obj: object, msg?: string): void {
    this.lines.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
  /** Messages containing `text`. */
  find(text: string): LogLine[] {
    return this.lines.filter((l) => l.msg?.includes(text));
  }
}

/** A fresh temporary state dir and its cleanup. */
export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spotipi-alarm-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
