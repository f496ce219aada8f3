import { execFile, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const MAIN = join(ROOT, 'dist/cli/main.js');
export const SERVE_HOOKS = join(import.meta.dirname, 'fixtures/serve-hooks.mjs');

/**
 * Builds dist/ when any source file is newer than dist/cli/main.js. The build bundles without type
 * checking (that is `npm run typecheck`), so it succeeds on code that would still emit under tsc.
 * A lock dir serialises builds.
 */
export function ensureBuilt(): void {
  const lock = join(ROOT, 'dist/.cli-test-build.lock');
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes is left from a dead run.
      if (Date.now() > deadline || Date.now() - statSync(lock).mtimeMs > 120_000) {
        rmSync(lock, { recursive: true, force: true });
      }
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    if (!isStale()) return;
    // The server part of `npm run build` (esbuild; the library's .d.ts files are not needed here).
    const result = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (!existsSync(MAIN))
      throw new Error(`build did not produce ${MAIN}:\n${result.stdout}${result.stderr}`);
  } finally {
    rmdirSync(lock);
  }
}

function isStale(): boolean {
  if (!existsSync(MAIN)) return true;
  const built = statSync(MAIN).mtimeMs;
  const walk = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && statSync(path).mtimeMs > built;
    });
  return walk(join(ROOT, 'src'));
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** One isolated SpotiPi installation: its own state dir, working dir and port. */
export interface Sandbox {
  dir: string;
  stateDir: string;
  port: number;
  env: Record<string, string>;
  pidFile: string;
  logFile: string;
}

/** Makes a sandbox with a clean environment (no Spotify settings leak in from the machine). */
export async function makeSandbox(extraEnv: Record<string, string> = {}): Promise<Sandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-cli-'));
  const stateDir = join(dir, 'state');
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(SPOTIFY_|SPOTIPI_|NODE_OPTIONS$|PORT$|HOST$)/.test(key)) continue;
    env[key] = value;
  }
  Object.assign(env, {
    SPOTIPI_STATE_DIR: stateDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_SECONDS: '3',
    ...extraEnv,
  });
  return {
    dir,
    stateDir,
    port,
    env,
    pidFile: join(stateDir, 'spotipi.pid'),
    logFile: join(stateDir, 'logs', 'spotipi.log'),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli/main.js ...args` in the sandbox and collects its output. */
export function spotipi(
  sandbox: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: sandbox.dir, env: { ...sandbox.env, ...options.env }, timeout: options.timeoutMs ?? 40_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/** Pids of processes whose command line mentions the sandbox (its servers and CLIs). */
export function processesOf(sandbox: Sandbox): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (cmdline.includes(sandbox.stateDir) && !/\) Z /.test(stat)) pids.push(Number(name));
    } catch {
      // Gone between readdir and read.
    }
  }
  return pids;
}

/** Kills whatever the sandbox left running and removes its files. */
export function destroySandbox(sandbox: Sandbox): void {
  for (const pid of processesOf(sandbox)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(sandbox.dir, { recursive: true, force: true });
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `check` until it is true or the deadline passes (for multi-process state, not timing). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The environment for `spotipi start` in these tests: the real server, with the test hooks
 * preloaded (they do nothing unless a test sets SPOTIPI_TEST_CRASH_FILE and friends).
 */
export function serverEnv(): Record<string, string> {
  return { NODE_OPTIONS: `--import=${SERVE_HOOKS}` };
}
