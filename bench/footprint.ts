/**
 * Footprint on a Pi (issue 17): memory, idle CPU and wake-ups, start-up, the page over the wire,
 * polling, and the build's peak memory, each against its target and beside the original SpotiPi's
 * figure (quoted from the issue: the original cannot run here, PyPI is unreachable).
 *
 * The server runs as users run it: `node <flags> dist/cli/main.js serve`, configured with Spotify
 * credentials pointing at an emulator in this bench process (the production shape: file token
 * store, no emulator inside the server), in the standard profile and the low-power one
 * (SPOTIPI_LOW_POWER=1 with its V8 flags). Flags: --runs N (default 3), --idle-from S and
 * --idle-to S (the idle window after ready, default 60-120 s), --quick (1 run, 20-40 s window).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverNodeFlags } from '../src/cli/node-flags.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../src/emulator/demo-credentials.js';
import { startEmulator } from '../src/emulator/index.js';
import type { RunningEmulator } from '../src/emulator/types.js';
import { launch, measurePageLoad, measurePolling, type PageLoad, uiBurst } from './footprint-browser.js';
import { contributors } from './footprint-contributors.js';
import {
  cpuSeconds,
  type Memory,
  memory,
  type TreePeak,
  treePeakSampler,
  wakeups,
} from './footprint-proc.js';
import {
  type Figure,
  figure,
  fmt,
  fmtFigure,
  intFlag,
  msSince,
  progress,
  runIfMain,
  type Section,
  table,
} from './support.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The original SpotiPi's figures, from issue 17 (median of 3, measured on this machine). */
const ORIGINAL = {
  anonIdle: '33.8 MB',
  anonBurst: '35.3 MB',
  rss: '49.8 MB',
  pss: 'not given',
  cpu: '0.008 s',
  wakeups: '60',
  requests: '5',
  wire: '65 KB (gzip)',
  loadEvent: '235 ms',
  quiet: '343 ms',
  polling: '0.7 /s (7 requests in the first 10 s)',
  spawn: '541 ms',
  npmStart: 'n/a',
  build: 'n/a (pip install)',
};

type Profile = 'standard' | 'low-power';
const PROFILES: Profile[] = ['standard', 'low-power'];

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

interface Server {
  child: ChildProcess;
  url: string;
  readyMs: number;
  readyAt: number;
  stateDir: string;
  stop(): Promise<void>;
}

/** Polls /healthz every 5 ms until a 200; the time from `start` to it. */
async function waitFirst200(
  url: string,
  child: ChildProcess,
  start: bigint,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return msSince(start);
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no 200 from ${url}/healthz within ${timeoutMs} ms`);
}

function serverEnv(
  port: number,
  stateDir: string,
  emulator: RunningEmulator,
  profile: Profile,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: stateDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SPOTIPI_STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
    SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
    SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
    SPOTIFY_ACCOUNTS_URL: emulator.url,
    SPOTIFY_API_URL: emulator.url,
    ...(profile === 'low-power' ? { SPOTIPI_LOW_POWER: '1' } : {}),
  };
}

/** Spawns `node <profile flags> dist/cli/main.js serve` and waits for its first 200. */
async function startServer(
  emulator: RunningEmulator,
  profile: Profile,
  main = join(root, 'dist/cli/main.js'),
): Promise<Server> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-footprint-'));
  const url = `http://127.0.0.1:${port}`;
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...serverNodeFlags(profile === 'low-power'), main, 'serve'], {
    cwd: stateDir,
    env: serverEnv(port, stateDir, emulator, profile),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const readyMs = await waitFirst200(url, child, start);
  return {
    child,
    url,
    readyMs,
    readyAt: Date.now(),
    stateDir,
    stop: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** `npm start` on this (built) checkout: spawn to first 200, npm included. */
async function npmStartOnce(emulator: RunningEmulator): Promise<number> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-footprint-npm-'));
  const start = process.hrtime.bigint();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: serverEnv(port, stateDir, emulator, 'standard'),
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  try {
    const ms = await waitFirst200(`http://127.0.0.1:${port}`, child, start);
    if (stderr.includes('Building SpotiPi')) throw new Error('npm start rebuilt a built checkout');
    return ms;
  } finally {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Peak summed RSS and PSS (MB) of a command's whole process tree; throws if it fails. */
async function buildPeak(command: string, args: string[]): Promise<TreePeak> {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const sampler = treePeakSampler(child.pid!);
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  const peak = sampler.stop();
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  return peak;
}

/** The two commands of package.json's `build` script (server and page; the library's types). */
function buildSteps(): [string, string] {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build;
  const [first, second, ...rest] = script.split('&&').map((s) => s.trim());
  if (!first || !second || rest.length > 0)
    throw new Error(`expected two steps in the build script, got: ${script}`);
  return [first, second];
}

/** When idle memory is read, after the last server was ready (capped at the idle window's start). */
const IDLE_MEMORY_AFTER_MS = 30_000;

/** Settling after the UI burst: V8's memory reducer shrinks the heap some seconds after activity stops. */
const SETTLE_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ProfileFigures {
  spawn: Figure;
  idle: { anon: Figure; rss: Figure; pss: Figure };
  cpuPerMin: Figure;
  wakeupsPerMin: Figure;
  burstAnon: Figure;
  burstRss: Figure;
  load: { requests: Figure; wireKb: Figure; loadEvent: Figure; quiet: Figure; sample: PageLoad };
  pollingPerS: number;
  hiddenPolls: number;
  pollingWindow: string;
}

async function run(flags: Map<string, string>): Promise<Section> {
  const quick = flags.has('quick');
  const runs = intFlag(flags, 'runs', quick ? 1 : 3);
  const idleFrom = intFlag(flags, 'idle-from', quick ? 20 : 60);
  const idleTo = intFlag(flags, 'idle-to', quick ? 40 : 120);
  const started = process.hrtime.bigint();
  const load = loadavg();

  progress('footprint: build peaks (npm run build, its two steps, and tsc for comparison)');
  const npmBuild = await buildPeak('npm', ['run', 'build', '--silent']);
  // Each step as package.json runs it (with its node flags), in a shell as npm would.
  const [serverWebStep, typesStep] = buildSteps();
  const buildServerWeb = await buildPeak('sh', ['-c', serverWebStep]);
  const buildTypes = await buildPeak('sh', ['-c', typesStep]);
  // The former build's output of the same sources, kept as a package to compare start-up with.
  const tscPackage = mkdtempSync(join(tmpdir(), 'spotipi-tsc-'));
  const tsc = await buildPeak(process.execPath, [
    join(root, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
    '--outDir',
    join(tscPackage, 'dist'),
  ]);
  copyFileSync(join(root, 'package.json'), join(tscPackage, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(tscPackage, 'node_modules'), 'dir');
  symlinkSync(join(root, 'web'), join(tscPackage, 'web'), 'dir');

  const emulator = await startEmulator({ port: 0, initialPlayback: 'playing' });
  const figures = new Map<Profile, ProfileFigures>();
  const browser = await launch();
  try {
    progress(`footprint: spawn to first 200, ${runs} runs per profile, and npm start`);
    const spawnMs = new Map<Profile, number[]>(PROFILES.map((p) => [p, []]));
    for (let i = 0; i < runs; i++) {
      for (const profile of PROFILES) {
        const s = await startServer(emulator, profile);
        spawnMs.get(profile)!.push(s.readyMs);
        await s.stop();
      }
    }
    // Interleaved with the same number of starts of the tsc output: the bundle's share of start-up,
    // robust to the machine's load (both run under the same).
    const bundleVsTsc = { bundle: [] as number[], tsc: [] as number[] };
    for (let i = 0; i < Math.max(5, runs); i++) {
      const b = await startServer(emulator, 'standard');
      bundleVsTsc.bundle.push(b.readyMs);
      await b.stop();
      const t = await startServer(emulator, 'standard', join(tscPackage, 'dist/cli/main.js'));
      bundleVsTsc.tsc.push(t.readyMs);
      await t.stop();
    }
    rmSync(tscPackage, { recursive: true, force: true });
    const npmStart: number[] = [];
    for (let i = 0; i < runs; i++) npmStart.push(await npmStartOnce(emulator));

    progress(`footprint: ${runs} idle servers per profile, idle window ${idleFrom}-${idleTo} s after ready`);
    const servers = new Map<Profile, Server[]>();
    for (const profile of PROFILES) {
      const list: Server[] = [];
      for (let i = 0; i < runs; i++) list.push(await startServer(emulator, profile));
      servers.set(profile, list);
    }
    const all = [...servers.values()].flat();
    const lastReady = Math.max(...all.map((s) => s.readyAt));
    // Idle memory once the servers are idle: past the collection a server makes after 20 s without
    // requests (the readiness polls above count as requests; at 10 s the server started last had
    // not collected yet, and read ~4 MB more heap pages than the others).
    await sleep(Math.max(0, lastReady + Math.min(IDLE_MEMORY_AFTER_MS, idleFrom * 1000) - Date.now()));
    const idleMem = new Map<Server, Memory>(all.map((s) => [s, memory(s.child.pid!)]));
    const firstReady = Math.min(...all.map((s) => s.readyAt));
    // The window starts idleFrom after the last server was ready and lasts idleTo - idleFrom.
    await sleep(Math.max(0, lastReady + idleFrom * 1000 - Date.now()));
    const before = new Map(
      all.map((s) => [s, { cpu: cpuSeconds(s.child.pid!), wake: wakeups(s.child.pid!), at: Date.now() }]),
    );
    await sleep((idleTo - idleFrom) * 1000);
    const rates = new Map(
      all.map((s) => {
        const b = before.get(s)!;
        const minutes = (Date.now() - b.at) / 60_000;
        return [
          s,
          {
            cpu: (cpuSeconds(s.child.pid!) - b.cpu) / minutes,
            wake: (wakeups(s.child.pid!) - b.wake) / minutes,
          },
        ];
      }),
    );
    void firstReady;

    for (const profile of PROFILES) {
      const list = servers.get(profile)!;
      const main = list[0]!;
      progress(`footprint: ${profile}: page loads, polling, a burst of UI use`);
      const loads: PageLoad[] = [];
      for (let i = 0; i < runs; i++) loads.push(await measurePageLoad(browser, main.url));
      const polling = await measurePolling(browser, main.url, quick ? 10 : 20, quick ? 6 : 10);
      const burstMem: Memory[] = [];
      for (const s of list) {
        await uiBurst(browser, s.url, quick ? 3 : 10);
        await sleep(SETTLE_MS);
        burstMem.push(memory(s.child.pid!));
      }
      figures.set(profile, {
        spawn: figure(spawnMs.get(profile)!),
        idle: {
          anon: figure(list.map((s) => idleMem.get(s)!.anon)),
          rss: figure(list.map((s) => idleMem.get(s)!.rss)),
          pss: figure(list.map((s) => idleMem.get(s)!.pss)),
        },
        cpuPerMin: figure(list.map((s) => rates.get(s)!.cpu)),
        wakeupsPerMin: figure(list.map((s) => rates.get(s)!.wake)),
        burstAnon: figure(burstMem.map((m) => m.anon)),
        burstRss: figure(burstMem.map((m) => m.rss)),
        load: {
          requests: figure(loads.map((l) => l.requests)),
          wireKb: figure(loads.map((l) => l.wireKb)),
          loadEvent: figure(loads.map((l) => l.loadEventMs)),
          quiet: figure(loads.map((l) => l.networkQuietMs)),
          sample: loads[0]!,
        },
        pollingPerS: polling.visiblePerS,
        hiddenPolls: polling.hiddenCount,
        pollingWindow: `${polling.visibleWindowS} s visible, ${polling.hiddenWindowS} s hidden`,
      });
    }
    for (const s of all) await s.stop();
    progress('footprint: heap per dependency');
    const contrib = await contributors();

    return report({
      contrib,
      bundleVsTsc: { bundle: figure(bundleVsTsc.bundle), tsc: figure(bundleVsTsc.tsc) },
      figures,
      npmStart: figure(npmStart),
      npmBuild,
      buildServerWeb,
      buildTypes,
      tsc,
      runs,
      idleFrom,
      idleTo,
      started,
      load,
    });
  } finally {
    await browser.close();
    await emulator.close();
  }
}

interface ReportInput {
  bundleVsTsc: { bundle: Figure; tsc: Figure };
  contrib: Awaited<ReturnType<typeof contributors>>;
  figures: Map<Profile, ProfileFigures>;
  npmStart: Figure;
  npmBuild: TreePeak;
  buildServerWeb: TreePeak;
  buildTypes: TreePeak;
  tsc: TreePeak;
  runs: number;
  idleFrom: number;
  idleTo: number;
  started: bigint;
  load: number[];
}

/** "value ✅" or "value ❌" against an upper bound. */
function mark(value: number, limit: number, text: string): string {
  return `${text} ${value <= limit ? '✅' : '❌'}`;
}

function report(r: ReportInput): Section {
  const std = r.figures.get('standard')!;
  const low = r.figures.get('low-power')!;
  type Row = [
    measure: string,
    target: string,
    limit: number | undefined,
    pick: (f: ProfileFigures) => Figure | number,
    unit: string,
    digits: number | undefined,
    original: string,
  ];
  const rows: Row[] = [
    ['private memory (RssAnon), idle', '≤ 22 MB', 22, (f) => f.idle.anon, ' MB', 1, ORIGINAL.anonIdle],
    [
      'private memory (RssAnon), after a UI burst and 30 s settling',
      '≤ 32 MB',
      32,
      (f) => f.burstAnon,
      ' MB',
      1,
      ORIGINAL.anonBurst,
    ],
    ['RSS, idle', '≤ 60 MB', 60, (f) => f.idle.rss, ' MB', 1, ORIGINAL.rss],
    [
      'PSS, idle (shared pages divided among their users)',
      'report',
      undefined,
      (f) => f.idle.pss,
      ' MB',
      1,
      ORIGINAL.pss,
    ],
    ['RSS after the UI burst', 'report', undefined, (f) => f.burstRss, ' MB', 1, 'not given'],
    [
      `idle CPU per minute (${r.idleFrom}-${r.idleTo} s after ready)`,
      '≤ 0.005 s',
      0.005,
      (f) => f.cpuPerMin,
      ' s',
      3,
      ORIGINAL.cpu,
    ],
    [
      `wake-ups per minute (${r.idleFrom}-${r.idleTo} s after ready)`,
      '≤ 60',
      60,
      (f) => f.wakeupsPerMin,
      '',
      0,
      ORIGINAL.wakeups,
    ],
    ['first page load: requests to SpotiPi', '≤ 10', 10, (f) => f.load.requests, '', 0, ORIGINAL.requests],
    ['first page load: KB on the wire', '≤ 60 KB', 60, (f) => f.load.wireKb, ' KB', 1, ORIGINAL.wire],
    [
      'first page load: load event (loopback)',
      'report',
      undefined,
      (f) => f.load.loadEvent,
      ' ms',
      0,
      ORIGINAL.loadEvent,
    ],
    [
      'first page load: network quiet (loopback)',
      '≤ 400 ms',
      400,
      (f) => f.load.quiet,
      ' ms',
      0,
      ORIGINAL.quiet,
    ],
    [
      'polling while visible, requests per second',
      '≤ 0.5 /s',
      0.5,
      (f) => f.pollingPerS,
      ' /s',
      2,
      ORIGINAL.polling,
    ],
    ['polling while hidden, requests', '0', 0, (f) => f.hiddenPolls, '', 0, 'not given'],
    [
      'spawn to first 200 (`node dist/cli/main.js serve`)',
      '≤ 400 ms',
      400,
      (f) => f.spawn,
      ' ms',
      0,
      ORIGINAL.spawn,
    ],
  ];
  const cell = (f: ProfileFigures, row: Row) => {
    const v = row[3](f);
    const value = typeof v === 'number' ? v : v.median;
    const text = typeof v === 'number' ? `${fmt(v, row[5])}${row[4]}` : fmtFigure(v, row[5], row[4]);
    return row[2] === undefined ? text : mark(value, row[2], text);
  };
  const main = table(
    ['measure', 'target', 'SpotiPi', 'SpotiPi, SPOTIPI_LOW_POWER=1', 'original SpotiPi (from the issue)'],
    [
      ...rows.map((row) => [row[0], row[1], cell(std, row), cell(low, row), row[6]]),
      [
        '`npm start` on a built checkout: spawn to first 200 (npm included)',
        '≤ 1,000 ms',
        mark(r.npmStart.median, 1000, fmtFigure(r.npmStart, 0, ' ms')),
        '',
        ORIGINAL.npmStart,
      ],
      [
        'build: peak RSS of its largest step (node and esbuild, or node and TypeScript), as the issue measured tsc',
        '≤ 200 MB',
        mark(
          Math.max(r.buildServerWeb.rss, r.buildTypes.rss),
          200,
          `${fmt(Math.max(r.buildServerWeb.rss, r.buildTypes.rss), 0)} MB`,
        ),
        '',
        ORIGINAL.build,
      ],
      [
        '`npm run build`: peak RSS of the whole process tree, npm itself included',
        '≤ 200 MB',
        mark(r.npmBuild.rss, 200, `${fmt(r.npmBuild.rss, 0)} MB`),
        '',
        ORIGINAL.build,
      ],
      [
        '`npm run build`: peak PSS of the whole process tree (the Node binary shared by npm and the build counted once)',
        'report',
        `${fmt(r.npmBuild.pss, 0)} MB`,
        '',
        ORIGINAL.build,
      ],
    ],
  );
  const sample = std.load.sample;
  const detail = table(
    ['request', 'KB on the wire', 'encoding'],
    sample.detail.map((d) => [`\`${d.path}\``, fmt(d.kb, 1), d.encoding || 'none']),
  );
  const body = [
    `The server runs as users run it, \`node <profile flags> dist/cli/main.js serve\` (standard: \`${serverNodeFlags(false).join(' ')}\`; low power: \`${serverNodeFlags(true).join(' ')}\` and \`SPOTIPI_LOW_POWER=1\`), configured with Spotify credentials pointing at an emulator in the bench process (the production shape: file token store, no emulator in the server), \`LOG_LEVEL=warn\`. Median (min–max) of ${r.runs} servers per profile; the idle servers of both profiles idle side by side. Memory from /proc/PID/status (VmRSS, RssAnon) and /proc/PID/smaps_rollup (Pss), ${Math.min(IDLE_MEMORY_AFTER_MS / 1000, r.idleFrom)} s after the last server was ready (the server collects its garbage after 20 s without requests); CPU as run time in nanoseconds from /proc/PID/task/*/schedstat (/proc/PID/stat counts 10 ms ticks); wake-ups are context switches (voluntary + involuntary) summed over /proc/PID/task/*. The page is measured in headless Chromium (Debian's) through DevTools Network events: requests that reached SpotiPi's server and their encoded bytes (headers included), from navigation until the last of them ended (the network then stayed quiet for 500 ms), on a first visit (empty cache); cover art is left out, as on a real install it comes from Spotify's CDN, not the Pi (here the emulator serves it: ${low.load.sample.otherOrigins} image requests on a first visit); polling is counted ${std.pollingWindow} (service worker blocked, so every request shows). The UI burst is ${r.runs > 1 ? '10' : 'a few'} first visits, each with a reload and the library, devices, playback, alarms and token routes fetched again, then 30 s to settle.`,
    '',
    'The original SpotiPi cannot be run here (PyPI is unreachable), so its figures are quoted from issue 17, where both ran side by side on this machine (median of 3).',
    '',
    main,
    '',
    `Start-up, the bundle against the former build: the same sources as \`tsc\` emits them (one file per module, dependencies from node_modules) take ${fmtFigure(r.bundleVsTsc.tsc, 0, ' ms')} from spawn to the first 200, the esbuild bundle ${fmtFigure(r.bundleVsTsc.bundle, 0, ' ms')} (${r.bundleVsTsc.bundle.runs} starts each, interleaved, standard profile).`,
    '',
    `Build steps as package.json runs them (peak summed RSS / PSS of each process tree): \`${buildSteps()[0]}\` (server bundle and web UI; esbuild's Go collector set to GOGC=10 on one thread by the script) ${fmt(r.buildServerWeb.rss, 0)} / ${fmt(r.buildServerWeb.pss, 0)} MB; \`${buildSteps()[1]}\` (the library's .d.ts, one file at a time) ${fmt(r.buildTypes.rss, 0)} / ${fmt(r.buildTypes.pss, 0)} MB; for comparison the former build, \`tsc -p tsconfig.build.json\`, ${fmt(r.tsc.rss, 0)} / ${fmt(r.tsc.pss, 0)} MB.`,
    '',
    '### Where the private memory goes',
    '',
    `The server's code is one bundle, \`dist/cli/main.js\` (${fmt(statSync(join(root, 'dist/cli/main.js')).size / 1024, 0)} KB, whitespace-minified and tree-shaken); V8 keeps its source in the heap as one string, and its compiled bytecode and function metadata (about 5 MB in a heap snapshot of the idle server) grow with every function that has run. What each dependency adds to the heap once loaded, bundled as the build does, each measured alone in a fresh \`node --expose-gc\`:`,
    '',
    table(
      ['package', 'heap once loaded', 'bundled size', 'loaded'],
      r.contrib.map((c) => [
        `\`${c.name}\``,
        `${fmt(c.heapMb, 2)} MB`,
        `${fmt(c.bundleKb, 0)} KB`,
        c.name === 'ioredis' ? 'only with REDIS_URL' : 'at start',
      ]),
    ),
    '',
    "Left as they are: Fastify (the framework) and zod (configuration, alarms and stored files are validated with it; imported as a namespace, so the bundle holds the 128 KB it uses, not all 575 KB). Not touched by the server: undici (Spotify calls go through `node:http`/`https`; `fetch`'s first call costs ~5 MB private and ~5 MB of the binary) and ICU's time-zone data until an alarm needs it (~6 MB of the binary, ~2 MB private). Compiled on first use: each route's schema validator. After requests stop (20 s) the server runs two full collections (`--expose-gc`), and V8 runs `--single-threaded`. Loaded only when used: the Redis client (REDIS_URL), the emulator (demo mode, `spotipi emulator`). Not loaded any more: `@fastify/static` (replaced by a 150-line module) and prom-client's event-loop monitor.",
    '',
    `One first visit (standard profile), request by request (${sample.requests} requests, ${fmt(sample.wireKb, 1)} KB):`,
    '',
    detail,
    '',
    `Wall time ${Math.round(msSince(r.started) / 1000)} s; load average at the start ${r.load.map((l) => l.toFixed(2)).join(' / ')} (1/5/15 min) on ${cpus().length} cores: timings on a loaded machine are slower and noisier.`,
  ].join('\n');
  return { title: 'Footprint on a Raspberry Pi: memory, idle CPU, start-up, the page', body };
}

runIfMain(import.meta.url, run);
