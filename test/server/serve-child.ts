import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/serve-main.ts');
const children: ChildProcess[] = [];

/** `spotipi serve` running as a child process, with its output so far. */
export interface ServeRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `spotipi serve` (from source, through tsx) in a fresh working directory with a clean
 * environment: nothing from the developer's shell (a real SPOTIFY_CLIENT_ID) leaks in. The state dir
 * is `<cwd>/state` unless `env` names one.
 */
export function runServe(env: Record<string, string> = {}): ServeRun {
  const cwd = tempDir();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), FIXTURE, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, SPOTIPI_STATE_DIR: join(cwd, 'state'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The URL the server says it listens on; throws with its output if it exits or takes too long. */
export async function listeningUrl(run: ServeRun, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/[^\s"]+)/.exec(run.stdout());
    if (match?.[1]) return match[1];
    if (run.child.exitCode !== null) throw new Error(`serve exited early:\n${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not start:\n${run.stdout()}\n${run.stderr()}`);
}

/** Kills every child started by `runServe` that is still running (for afterEach). */
export function killServeChildren(): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Resolves once the server's stdout contains `text` (its lines arrive in no fixed order); throws after `timeoutMs`. */
export async function outputContains(run: ServeRun, text: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.stdout().includes(text)) {
    if (Date.now() > deadline)
      throw new Error(`serve never printed ${JSON.stringify(text)}:\n${run.stdout()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
