import type { Logger } from '../types.js';

/** A log line captured by `RecordingLogger`. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string | undefined;
}

/** A logger that keeps every line, for assertions on what was logged (and that no secret was). */
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

  /** Lines whose message contains `text`, at any level or only at `level`. */
  find(text: string): LogLine[];
  find(level: LogLine['level'], text: string): LogLine[];
  find(levelOrText: string, text?: string): LogLine[] {
    const level = text === undefined ? undefined : levelOrText;
    const needle = text ?? levelOrText;
    return this.lines.filter(
      (l) => (level === undefined || l.level === level) && (l.msg ?? '').includes(needle),
    );
  }

  /** Everything logged, as one string. */
  dump(): string {
    return JSON.stringify(this.lines);
  }
}
