import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  destroySandbox,
  ensureBuilt,
  isAlive,
  MAIN,
  makeSandbox,
  type Sandbox,
  serverEnv,
  spotipi,
  waitFor,
} from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

let sandbox: Sandbox | undefined;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  if (sandbox) destroySandbox(sandbox);
  sandbox = undefined;
});

function startTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function writePidRecord(box: Sandbox, record: Record<string, unknown>): void {
  mkdirSync(box.stateDir, { recursive: true });
  writeFileSync(
    box.pidFile,
    JSON.stringify({
      version: 1,
      startedAt: new Date().toISOString(),
      url: `http://127.0.0.1:${box.port}`,
      host: '127.0.0.1',
      port: box.port,
      entry: MAIN,
      logFile: box.logFile,
      ...record,
    }),
  );
}

describe('stale pid files', () => {
  it('reports a pid file whose process is gone as stopped (exit 1), and stop removes it', async () => {
    sandbox = await makeSandbox(serverEnv());
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    writePidRecord(sandbox, { pid: gone.pid, startTicks: 12345 });

    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Status: 🔴 Stopped');
    expect(status.stdout).toContain(`Stale pid file: the server (pid ${gone.pid}) is no longer running`);
    expect(JSON.parse((await spotipi(sandbox, ['status', '--json'])).stdout)).toMatchObject({
      status: 'stopped',
      stale: expect.stringContaining('no longer running'),
    });

    const stop = await spotipi(sandbox, ['stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain('removed the stale pid file');
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });

  it('never signals a pid that now belongs to another program, even with matching start time', async () => {
    sandbox = await makeSandbox(serverEnv());
    const sleeper = spawn('sleep', ['100']);
    cleanups.push(() => sleeper.kill('SIGKILL'));
    const pid = sleeper.pid!;
    for (const startTicks of [startTicksOf(pid) + 1, startTicksOf(pid)]) {
      // First a different start time (pid reused), then a forged exact one: the command line decides.
      writePidRecord(sandbox, { pid, startTicks });
      const status = await spotipi(sandbox, ['status']);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain(`pid ${pid} now belongs to another program (sleep 100)`);

      const stop = await spotipi(sandbox, ['stop', '--timeout', '1']);
      expect(stop.code).toBe(0);
      expect(stop.stdout).toContain('it was not touched');
      expect(existsSync(sandbox.pidFile)).toBe(false);
      expect(isAlive(pid)).toBe(true);
    }
    writePidRecord(sandbox, { pid, startTicks: startTicksOf(pid) });
    const token = await spotipi(sandbox, ['token']);
    expect(token.code).toBe(3);
    // start clears the stale record and starts a real server instead.
    const start = await spotipi(sandbox, ['start']);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain(`Removed a stale pid file: pid ${pid} now belongs to another program`);
    expect(isAlive(pid)).toBe(true);
    expect(JSON.parse(readFileSync(sandbox.pidFile, 'utf8')).pid).not.toBe(pid);
  });

  it('treats an unparseable pid file as stale instead of trusting it', async () => {
    sandbox = await makeSandbox(serverEnv());
    mkdirSync(sandbox.stateDir, { recursive: true });
    writeFileSync(sandbox.pidFile, '{"pid": 1');
    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('is unreadable');
    const stop = await spotipi(sandbox, ['stop']);
    expect(stop.code).toBe(0);
    expect(isAlive(1)).toBe(true);
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });
});

describe('servers that fail', () => {
  it('fails to start, with the reason, when another program holds the port', async () => {
    sandbox = await makeSandbox(serverEnv());
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(sandbox!.port, '127.0.0.1', r));
    cleanups.push(() => blocker.close());
    const start = await spotipi(sandbox, ['start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(`port ${sandbox.port} on 127.0.0.1 is already in use by another program`);
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });

  it("reports the server's own bind failure when the port is taken where the pre-check cannot see it", async () => {
    // Something holds 127.0.0.2:PORT; the server binds 0.0.0.0:PORT and fails with EADDRINUSE, while
    // the pre-check (a connect to 127.0.0.1:PORT) finds nothing listening.
    sandbox = await makeSandbox({ ...serverEnv(), HOST: '0.0.0.0' });
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(sandbox!.port, '127.0.0.2', r));
    cleanups.push(() => blocker.close());
    const start = await spotipi(sandbox, ['start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain(
      `SpotiPi failed to start: port ${sandbox.port} on 0.0.0.0 is already in use`,
    );
    expect(start.stderr).toContain('the server exited with code 1');
    expect(start.stderr).toContain('Last log lines');
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });

  it('reports a server that dies while starting: exit 1, the cause and the last log lines', async () => {
    sandbox = await makeSandbox(serverEnv());
    const trigger = join(sandbox.dir, 'crash-now');
    writeFileSync(trigger, '');
    const start = await spotipi(sandbox, ['start'], { env: { SPOTIPI_TEST_CRASH_FILE: trigger } });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('SpotiPi failed to start: the server exited with code 1');
    expect(start.stderr).toContain('Last log lines');
    expect(start.stderr).toContain('Error: simulated crash after start');
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });

  it('shows a server that crashed after start as stopped, with the crash from its log', async () => {
    sandbox = await makeSandbox(serverEnv());
    const trigger = join(sandbox.dir, 'crash-now');
    const start = await spotipi(sandbox, ['start'], { env: { SPOTIPI_TEST_CRASH_FILE: trigger } });
    expect(start.code).toBe(0);
    const { pid } = JSON.parse(readFileSync(sandbox.pidFile, 'utf8'));
    writeFileSync(trigger, '');
    await waitFor(() => !isAlive(pid));

    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain('Status: 🔴 Stopped');
    expect(status.stdout).toContain(`the server (pid ${pid}) is no longer running`);
    expect(status.stdout).toContain('Last log lines:');
    expect(status.stdout).toContain('Error: simulated crash after start');
  });

  it('kills a server that ignores SIGTERM only after the grace period, and says so', async () => {
    sandbox = await makeSandbox(serverEnv());
    expect((await spotipi(sandbox, ['start'], { env: { SPOTIPI_TEST_HANG_ON_SIGTERM: '1' } })).code).toBe(0);
    const { pid } = JSON.parse(readFileSync(sandbox.pidFile, 'utf8'));
    const stop = await spotipi(sandbox, ['stop', '--timeout', '1']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`SpotiPi (pid ${pid}) did not exit after SIGTERM; killed it with SIGKILL`);
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });

  it('gives up on a server that never answers /healthz within --timeout and stops it', async () => {
    sandbox = await makeSandbox(serverEnv());
    // The hook holds the server before it listens: alive, so the timeout, not an exit, ends the wait.
    const start = await spotipi(sandbox, ['start', '--timeout', '1.5'], {
      env: { SPOTIPI_TEST_NEVER_LISTEN: '1' },
    });
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(
      /did not answer http:\/\/127\.0\.0\.1:\d+\/healthz within 1.5 s .*it was stopped/,
    );
    expect(existsSync(sandbox.pidFile)).toBe(false);
  });
});
