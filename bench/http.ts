/**
 * HTTP: the real server as a child process (`node dist/cli/main.js serve`, demo mode, so the
 * embedded emulator answers behind it in the same process), loaded with autocannon. Measures time
 * from spawn to a 200 from /healthz, RSS idle and under load (VmRSS from /proc), and requests per
 * second and p99 latency of /playback_status and /api/token-cache/status.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../src/emulator/demo-credentials.js';
import { startEmulator } from '../src/emulator/index.js';
import { figure, fmtFigure, intFlag, msSince, progress, runIfMain, type Section, table } from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUTES = ['/playback_status', '/api/token-cache/status'] as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in MB, from /proc/<pid>/status (`field` RssAnon: its private part). */
export function rssMb(pid: number, field: 'VmRSS' | 'RssAnon' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** RSS of a bare `node` idling, for scale: the floor any Node server starts from. */
async function bareNodeRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1_000));
  try {
    return rssMb(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`server not ready within ${timeoutMs} ms`);
}

interface HttpRun {
  readyMs: number;
  idleRssMb: number;
  idleAnonMb: number;
  loadRssMb: number;
  routes: Record<string, { rps: number; p99: number; non2xx: number; errors: number }>;
}

/** How the server reaches Spotify: its embedded demo emulator, or configured for one outside it. */
type Mode = 'demo' | 'configured';

async function runOnce(mode: Mode, durationS: number, connections: number): Promise<HttpRun> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-bench-'));
  const url = `http://127.0.0.1:${port}`;
  const emulator = mode === 'configured' ? await startEmulator({ initialPlayback: 'playing' }) : undefined;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: stateDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SPOTIPI_STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
    ...(emulator
      ? {
          SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
          SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
          SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
          SPOTIFY_ACCOUNTS_URL: emulator.url,
          SPOTIFY_API_URL: emulator.url,
        }
      : {}),
  };
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(root, 'dist/cli/main.js'), 'serve'], {
    cwd: stateDir,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitReady(url, child, 15_000);
    const readyMs = msSince(start);
    await new Promise((r) => setTimeout(r, 1_000));
    const idleRssMb = rssMb(child.pid!);
    const idleAnonMb = rssMb(child.pid!, 'RssAnon');
    let loadRssMb = idleRssMb;
    const sampler = setInterval(() => {
      try {
        loadRssMb = Math.max(loadRssMb, rssMb(child.pid!));
      } catch {
        // exited; reported below
      }
    }, 100);
    const routes: HttpRun['routes'] = {};
    try {
      for (const route of ROUTES) {
        const result = await autocannon({ url: `${url}${route}`, connections, duration: durationS });
        routes[route] = {
          rps: result.requests.average,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
        };
      }
    } finally {
      clearInterval(sampler);
    }
    return { readyMs, idleRssMb, idleAnonMb, loadRssMb, routes };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    await emulator?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Runs the HTTP benchmark. Flags: --runs N, --duration S (per route), --connections N. Needs `npm run build`. */
export async function runHttp(flags: Map<string, string>): Promise<Section> {
  const runs = intFlag(flags, 'runs', 3);
  const durationS = intFlag(flags, 'duration', 10);
  const connections = intFlag(flags, 'connections', 50);
  const modes: Mode[] = ['configured', 'demo'];
  const results = new Map<Mode, HttpRun[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < runs; r++) {
    for (const mode of modes) {
      progress(`http: ${mode}, run ${r + 1}/${runs} (${durationS} s per route, ${connections} connections)`);
      results.get(mode)!.push(await runOnce(mode, durationS, connections));
    }
  }
  const f = (mode: Mode, pick: (x: HttpRun) => number, digits?: number, unit = '') =>
    fmtFigure(figure(results.get(mode)!.map(pick)), digits, unit);
  const label: Record<Mode, string> = {
    configured: 'configured (file store; emulator in the bench process)',
    demo: 'demo (embedded emulator in the server process)',
  };
  const routeRows = modes.flatMap((mode) =>
    ROUTES.map((route) => [
      label[mode],
      `\`GET ${route}\``,
      f(mode, (x) => x.routes[route]!.rps, 0),
      f(mode, (x) => x.routes[route]!.p99, 0, ' ms'),
      f(mode, (x) => x.routes[route]!.non2xx + x.routes[route]!.errors, 0),
    ]),
  );
  const serverRows = modes.map((mode) => [
    label[mode],
    f(mode, (x) => x.readyMs, 0, ' ms'),
    f(mode, (x) => x.idleRssMb, 1, ' MB'),
    f(mode, (x) => x.idleAnonMb, 1, ' MB'),
    f(mode, (x) => x.loadRssMb, 1, ' MB'),
  ]);
  const body = [
    `The server runs as a child process, \`node ${SERVER_NODE_FLAGS.join(' ')} dist/cli/main.js serve\` (the flags \`spotipi start\`, \`npm start\` and the systemd unit use), \`LOG_LEVEL=warn\`, in two set-ups: configured with Spotify credentials pointing at an emulator that runs in the bench process (the production shape: file token store, nothing else in the server), and demo mode (no credentials: the embedded emulator answers inside the server process, so its cost is included). autocannon runs in the bench process, ${connections} connections, ${durationS} s per route. Median (min–max) of ${runs} runs, each on a fresh server. RSS is VmRSS from /proc/<pid>/status.`,
    '',
    table(['set-up', 'route', 'requests/s', 'p99 latency', 'non-2xx + errors'], routeRows),
    '',
    table(
      [
        'set-up',
        'spawn to first 200 from `/healthz`',
        'RSS idle (1 s after ready)',
        'of which private (RssAnon)',
        'RSS peak under load',
      ],
      serverRows,
    ),
    '',
    `For scale: a bare \`node\` idling has an RSS of ${(await bareNodeRssMb()).toFixed(1)} MB on this machine, most of it the Node binary's own pages, shared with every other Node process.`,
    '',
    'On two cores the load generator, the emulator and the server compete for CPU, so requests/s is a floor, not a ceiling; `/playback_status` includes a real HTTP round trip to the emulator per request.',
  ].join('\n');
  return { title: 'HTTP: the server under autocannon', body };
}

runIfMain(import.meta.url, runHttp);
