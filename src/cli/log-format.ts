const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/**
 * Makes one pino JSON line readable: `2025-09-05 19:15:11 WARN  message key=value`. Error objects
 * show their stack indented. Lines that are not pino JSON (crash reports, plain prints) pass as is.
 */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry.level !== 'number' || typeof entry.time !== 'number') return line;
  const time = localTimestamp(new Date(entry.time));
  const level = (LEVELS[entry.level] ?? String(entry.level)).padEnd(5);
  const parts = [`${time} ${level} ${typeof entry.msg === 'string' ? entry.msg : ''}`.trimEnd()];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(entry)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (key === 'err' && value && typeof value === 'object') {
      const err = value as { message?: unknown; stack?: unknown };
      stack = typeof err.stack === 'string' ? err.stack : undefined;
      if (typeof err.message === 'string') parts.push(`err=${JSON.stringify(err.message)}`);
      continue;
    }
    parts.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  const text = parts.join(' ');
  return stack ? `${text}\n${stack.replace(/^/gm, '    ')}` : text;
}

function localTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Splits a byte stream into whole lines for formatting; keeps a partial last line for later. */
export function createLineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}

/** Log lines as `spotipi logs` shows them (pino JSON made readable), one display line per entry line. */
export function readableLogLines(lines: string[]): string[] {
  return lines.flatMap((line) => formatLogLine(line).split('\n'));
}
