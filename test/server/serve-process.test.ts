import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures/serve-main.ts');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runServe(env: Record<string, string>): Run {
  const cwd = tempDir();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), FIXTURE, 'serve'], {
    cwd,
    // A clean environment: nothing from the developer's shell (a real SPOTIFY_CLIENT_ID) leaks in.
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

async function listeningUrl(run: Run): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const match = /listening on (http:\/\/[^\s"]+)/.exec(run.stdout());
    if (match?.[1]) return match[1];
    if (run.child.exitCode !== null) throw new Error(`serve exited early:\n${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not start:\n${run.stdout()}\n${run.stderr()}`);
}

describe('spotipi serve as a process', () => {
  it('starts in demo mode with no configuration, answers /healthz with mode demo, and exits 0 on SIGTERM', async () => {
    const run = runServe({ PORT: '0' });
    const url = await listeningUrl(run);
    expect(run.stdout()).toContain('(DEMO MODE)');
    const health = (await (await fetch(`${url}/healthz`)).json()) as { mode: string };
    expect(health.mode).toBe('demo');
    expect((await fetch(`${url}/api/devices`)).status).toBe(200);
    expect(run.stdout()).toContain('DEMO MODE: no SPOTIFY_CLIENT_ID configured');

    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain('"msg":"stopped"');
  });

  it('shuts down cleanly on SIGINT too', async () => {
    const run = runServe({ PORT: '0', LOG_LEVEL: 'warn' });
    await listeningUrl(run);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
  });

  it('lists every configuration problem in one message and exits 2', async () => {
    const run = runServe({ PORT: 'abc', LOG_LEVEL: 'loud', SPOTIFY_API_URL: 'nope' });
    const { code } = await run.exited;
    expect(code).toBe(2);
    const err = run.stderr();
    expect(err).toContain('Invalid configuration: 3 settings to fix');
    expect(err).toContain('PORT');
    expect(err).toContain('LOG_LEVEL');
    expect(err).toContain('SPOTIFY_API_URL');
  });

  it('says clearly when the port is taken', async () => {
    const first = runServe({ PORT: '0', LOG_LEVEL: 'warn' });
    const url = await listeningUrl(first);
    const second = runServe({ PORT: new URL(url).port, LOG_LEVEL: 'warn' });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/port \d+ on 127\.0\.0\.1 is already in use/);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});
