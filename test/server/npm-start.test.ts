import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

let work: string | undefined;
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs `npm start` in `work` until /healthz answers, checks the demo app, stops it with SIGTERM; returns its output. */
async function startServeStop(cwd: string): Promise<string> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: cwd,
    PORT: String(port),
    SPOTIPI_STATE_DIR: join(cwd, 'state'),
  };
  // Its own process group, so the test can stop npm and the server together, as a terminal's Ctrl-C does.
  child = spawn('npm', ['start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const deadline = Date.now() + 100_000;
  let health: { status?: string; mode?: string } | undefined;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) {
        health = (await res.json()) as typeof health;
        break;
      }
    } catch {
      // still building or starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(health, output).toMatchObject({ status: 'ok', mode: 'demo' });
  expect(output).toContain('DEMO MODE');
  const page = await fetch(`http://127.0.0.1:${port}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('SpotiPi');
  const playback = await fetch(`http://127.0.0.1:${port}/playback_status`);
  expect(playback.status).toBe(200);

  const closed = new Promise<void>((r) => child?.once('close', () => r()));
  process.kill(-child.pid!, 'SIGTERM');
  await closed;
  // The server shut down gracefully (its last log line) and no longer answers.
  expect(output).toMatch(/"msg":"stopped"/);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  return output;
}

describe("the README's start command", () => {
  it('`npm start` with no configuration builds, serves the demo app and says DEMO, then stops cleanly on SIGTERM', {
    timeout: 120_000,
  }, async () => {
    // A copy of the package, so its build writes a dist/ no other suite is using.
    work = await mkdtemp(join(tmpdir(), 'spotipi-npm-start-'));
    for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts', 'src', 'web']) {
      await cp(join(root, entry), join(work, entry), { recursive: true });
    }
    await symlink(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
    const output = await startServeStop(work);
    expect(output).toContain('Building SpotiPi');
    // The page is the production build: one bundle with a content-hashed name.
    expect(readFileSync(join(work, 'dist/web/index.html'), 'utf8')).toMatch(/src="js\/main-[A-Z0-9]{8}\.js"/);
  });

  it('`npm start` on a built checkout serves without building again', { timeout: 120_000 }, async () => {
    expect(work, 'runs after the first test built the copy').toBeDefined();
    const stamp = statSync(join(work!, 'dist/.build-stamp')).mtimeMs;
    const output = await startServeStop(work!);
    expect(output).not.toContain('Building SpotiPi');
    expect(statSync(join(work!, 'dist/.build-stamp')).mtimeMs).toBe(stamp);
  });
});
