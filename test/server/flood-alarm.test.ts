/**
 * The flood-plus-alarm story: one LAN client opens 250 slow sockets (request bodies that never
 * finish) while an alarm comes due. The server runs in its own process with a small file
 * descriptor limit, as a Pi's would be under pressure; the alarm's calls to Spotify (here the
 * embedded emulator) need descriptors of their own. With the connection caps the flood holds a
 * bounded number of them and the alarm plays; without, the process runs out (EMFILE) and the
 * alarm fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { openSocket } from './raw-http.js';

const WORKER = join(import.meta.dirname, 'fixtures/flood-worker.ts');
/** Low enough that 250 held sockets would exhaust it, high enough for Node, tsx and the emulator. */
const FD_LIMIT = 256;
const FLOOD = 250;

let child: ChildProcess | undefined;
const flood: Socket[] = [];
let flooding = false;
let logOf = () => '';
afterEach(() => {
  flooding = false;
  for (const s of flood.splice(0)) s.destroy();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

interface WorkerLine {
  event: string;
  url?: string;
  now?: number;
  plays?: number;
  playing?: boolean;
  openFds?: number;
}

function startWorker(): { next: (event: string) => Promise<WorkerLine>; send: (cmd: object) => void } {
  const proc = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${FD_LIMIT} && exec "$0" --import "$1" "$2" "$3"`,
      process.execPath,
      import.meta.resolve('tsx'),
      WORKER,
      tempDir(),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child = proc;
  // The server's log, for a failure's story.
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => {
    log = `${log}${d}`.slice(-20_000);
  });
  logOf = () => log;
  const waiting: { event: string; resolve: (line: WorkerLine) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as WorkerLine;
    const i = waiting.findIndex((w) => w.event === line.event);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(line);
  });
  return {
    next: (event) =>
      new Promise((resolve, reject) => {
        waiting.push({ event, resolve });
        proc.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
      }),
    send: (cmd) => proc.stdin?.write(`${JSON.stringify(cmd)}\n`),
  };
}

/** Keeps `count` slow sockets open from one client address, reopening any the server closes. */
async function startFlood(url: string, count: number): Promise<void> {
  flooding = true;
  const open = async (): Promise<void> => {
    if (!flooding) return;
    let socket: Socket;
    try {
      socket = await openSocket(url, '127.0.0.2');
    } catch {
      setTimeout(() => void open(), 100);
      return;
    }
    flood.push(socket);
    socket.on('error', () => {});
    socket.write(
      'POST /api/alarms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const drip = setInterval(() => socket.write(' '), 1_000);
    socket.once('close', () => {
      clearInterval(drip);
      // A real attacker reconnects; a pause keeps this loop from eating a loaded CI box's CPU.
      setTimeout(() => void open(), 500);
    });
  };
  await Promise.all(Array.from({ length: count }, () => open()));
}

it('plays the alarm while one client holds 250 slow connections', async () => {
  const worker = startWorker();
  const ready = await worker.next('ready');
  const url = ready.url ?? '';
  const now = ready.now ?? 0;

  // An alarm two to three minutes ahead on the server's (virtual) clock, in UTC.
  const due = new Date(Math.ceil(now / 60_000) * 60_000 + 2 * 60_000);
  const time = `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')}`;
  const created = await fetch(`${url}/api/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ time, timezone: 'UTC', context_uri: 'liked', volume: 40 }),
  });
  expect(created.status).toBe(201);

  await startFlood(url, FLOOD);
  await new Promise((r) => setTimeout(r, 1_000));

  worker.send({ cmd: 'advance', ms: due.getTime() - now + 1_000 });
  await worker.next('advanced');

  let report: WorkerLine = { event: 'report' };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    worker.send({ cmd: 'report' });
    report = await worker.next('report');
    if ((report.plays ?? 0) > 0 && report.playing) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(report, `${JSON.stringify(report)}\n${logOf()}`).toMatchObject({ playing: true });
  expect(report.plays).toBeGreaterThan(0);
  // The flood holds only what the caps allow: far from the limit.
  expect(report.openFds ?? FD_LIMIT).toBeLessThan(FD_LIMIT / 2);
}, 90_000);
