import { open, stat } from 'node:fs/promises';

/** The last `count` lines of the log, reaching into `path.1` when the live file holds fewer. */
export async function readLastLines(path: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const lines = await lastLinesOfFile(path, count);
  if (lines.length >= count) return lines;
  const older = await lastLinesOfFile(`${path}.1`, count - lines.length);
  return [...older, ...lines];
}

/** Reads backwards in chunks so a 5 MiB log costs only the bytes that hold the wanted lines. */
async function lastLinesOfFile(path: string, count: number): Promise<string[]> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await handle.stat();
    const chunkSize = 64 * 1024;
    let position = size;
    let text = '';
    while (position > 0) {
      const length = Math.min(chunkSize, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      text = buffer.toString('utf8') + text;
      // count + 1 newlines guarantee `count` complete lines (the file may end without one).
      if (countNewlines(text) > count) break;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Follows the log like `tail -F`: prints what is appended, starts over when the file is truncated
 * (copytruncate rotation) or replaced, and waits for the file to appear. Runs until `signal` aborts.
 */
export async function followLog(
  path: string,
  write: (chunk: Buffer) => void,
  options: { pollMs?: number; signal: AbortSignal; fromStart?: boolean },
): Promise<void> {
  const pollMs = options.pollMs ?? 250;
  let inode: number | undefined;
  let position = 0;
  let first = true;
  while (!options.signal.aborted) {
    const info = await stat(path).catch(() => undefined);
    if (info) {
      if (inode !== info.ino || info.size < position) {
        // A new file, or the same file emptied by rotation: read it from its start.
        position = first && !options.fromStart ? info.size : 0;
        inode = info.ino;
      }
      first = false;
      if (info.size > position) {
        position += await copyRange(path, position, info.size, write);
      }
    } else {
      first = false;
      inode = undefined;
      position = 0;
    }
    await sleep(pollMs, options.signal);
  }
}

async function copyRange(path: string, from: number, to: number, write: (chunk: Buffer) => void) {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return 0;
  try {
    const buffer = Buffer.alloc(to - from);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
    if (bytesRead > 0) write(buffer.subarray(0, bytesRead));
    return bytesRead;
  } finally {
    await handle.close();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
