import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  destroySandbox,
  ensureBuilt,
  isAlive,
  MAIN,
  makeSandbox,
  processesOf,
  type Sandbox,
  serverEnv,
  spotipi,
  waitFor,
} from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

let sandbox: Sandbox | undefined;
afterEach(() => {
  if (sandbox) destroySandbox(sandbox);
  sandbox = undefined;
});

describe('spotipi start, status, logs, stop', () => {
  it('starts a detached server, reports it, shows its log and stops it cleanly', async () => {
    sandbox = await makeSandbox(serverEnv());
    const start = await spotipi(sandbox, ['start']);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain(`SpotiPi is running at http://127.0.0.1:${sandbox.port}`);
    expect(start.stdout).toContain('DEMO');

    const record = JSON.parse(readFileSync(sandbox.pidFile, 'utf8'));
    expect(record.port).toBe(sandbox.port);
    expect(isAlive(record.pid)).toBe(true);
    expect(record.startTicks).toBeTypeOf('number');
    const health = await fetch(`http://127.0.0.1:${sandbox.port}/healthz`);
    expect(health.status).toBe(200);

    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Status: 🟢 Running');
    expect(status.stdout).toContain(`PID: ${record.pid}`);
    expect(status.stdout).toMatch(/Uptime: \d+s/);
    expect(status.stdout).toMatch(/Memory: \d+\.\d MB/);
    expect(status.stdout).toMatch(/CPU: \d+\.\d%/);
    expect(status.stdout).toContain(`URL: http://127.0.0.1:${sandbox.port}`);
    expect(status.stdout).toContain('Mode: DEMO');
    expect(status.stdout).toMatch(/Token: /);
    expect(status.stdout).toContain('Next alarm: none scheduled');

    const created = await fetch(`http://127.0.0.1:${sandbox.port}/api/alarms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'Work', time: '06:30', timezone: 'Europe/Berlin', context_uri: 'liked' }),
    });
    expect(created.status).toBe(201);
    const withAlarm = await spotipi(sandbox, ['status']);
    expect(withAlarm.stdout).toMatch(
      /Next alarm: \d{4}-\d\d-\d\d 06:30, in (\d+h \d+m|\d+m \d+s|\d+s) \(Work\)/,
    );

    const json = await spotipi(sandbox, ['status', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ status: 'running', pid: record.pid, health: { ok: true, mode: 'demo' } });
    expect(report.memoryRssBytes).toBeGreaterThan(1_000_000);
    // Scripts read the next alarm directly, not wrapped in the endpoint's envelope.
    expect(report.nextAlarm).toMatchObject({ label: 'Work', time: '06:30', kind: 'alarm' });
    expect(report.nextAlarm.fire_at).toMatch(/^\d{4}-\d\d-\d\dT06:30:00\+0[12]:00$/);

    const logs = await spotipi(sandbox, ['logs', '-n', '200']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('--- spotipi start ');
    expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(1);

    const stop = await spotipi(sandbox, ['stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`Stopped SpotiPi \\(pid ${record.pid}\\) in \\d+\\.\\ds`));
    expect(isAlive(record.pid)).toBe(false);
    expect(existsSync(sandbox.pidFile)).toBe(false);

    const after = await spotipi(sandbox, ['status']);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('Status: 🔴 Stopped');
    const again = await spotipi(sandbox, ['stop']);
    expect(again).toMatchObject({ code: 0, stdout: 'SpotiPi is not running.\n' });
  });

  it('never starts a second server: concurrent and repeated starts leave exactly one', async () => {
    sandbox = await makeSandbox(serverEnv());
    const box = sandbox;
    const [a, b] = await Promise.all([spotipi(box, ['start']), spotipi(box, ['start'])]);
    // One starts it; the other either finds it running or finds the first start still holding the lock.
    expect([a.code, b.code].sort()).toEqual(expect.arrayContaining([0]));
    for (const r of [a, b]) {
      if (r.code !== 0) expect(r.stderr).toContain('another spotipi start/stop is in progress');
    }
    const third = await spotipi(box, ['start']);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('already running');
    const servers = processesOf(box).filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve'),
    );
    expect(servers).toHaveLength(1);
    const record = JSON.parse(readFileSync(box.pidFile, 'utf8'));
    expect(servers[0]).toBe(record.pid);
  });

  it('refuses to start when a SpotiPi it does not manage already answers on the port', async () => {
    sandbox = await makeSandbox(serverEnv());
    expect((await spotipi(sandbox, ['start'])).code).toBe(0);
    // Same port, another state dir: this installation does not own that server.
    const other = await makeSandbox({ ...serverEnv(), PORT: String(sandbox.port) });
    try {
      const second = await spotipi(other, ['start']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        `port ${sandbox.port} on 127.0.0.1 is already in use by a SpotiPi server`,
      );
      const status = await spotipi(other, ['status']);
      expect(status.code).toBe(3);
      expect(status.stdout).toContain('not one started with this state dir');
    } finally {
      destroySandbox(other);
    }
  });

  it('restart replaces the server with a new process', async () => {
    sandbox = await makeSandbox(serverEnv());
    expect((await spotipi(sandbox, ['start'])).code).toBe(0);
    const first = JSON.parse(readFileSync(sandbox.pidFile, 'utf8')).pid;
    const restart = await spotipi(sandbox, ['restart']);
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain(`Stopped SpotiPi (pid ${first})`);
    const second = JSON.parse(readFileSync(sandbox.pidFile, 'utf8')).pid;
    expect(second).not.toBe(first);
    expect(isAlive(first)).toBe(false);
    expect(isAlive(second)).toBe(true);
  });

  it("token prints the running server's token cache status as a table, and --json as is", async () => {
    sandbox = await makeSandbox(serverEnv());
    expect((await spotipi(sandbox, ['start'])).code).toBe(0);
    const table = await spotipi(sandbox, ['token']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^Token cache\n/);
    expect(table.stdout).toMatch(/\n {2}State +\S+/);
    expect(table.stdout).toContain('Cache metrics');
    expect(table.stdout).toMatch(/Total requests +\d+/);
    const json = await spotipi(sandbox, ['token', '--json']);
    expect(JSON.parse(json.stdout)).toHaveProperty('cache_metrics.total_requests');
  });

  it('sends the configured API token, so status and token work against a protected server', async () => {
    sandbox = await makeSandbox({ ...serverEnv(), SPOTIPI_API_TOKEN: 'cli-test-api-token-0123456789' });
    expect((await spotipi(sandbox, ['start'])).code).toBe(0);
    const anonymous = await fetch(`http://127.0.0.1:${sandbox.port}/api/token-cache/status`);
    expect(anonymous.status).toBe(401);
    const token = await spotipi(sandbox, ['token', '--json']);
    expect(token.code).toBe(0);
    expect(JSON.parse(token.stdout)).toHaveProperty('cache_metrics');
    const status = JSON.parse((await spotipi(sandbox, ['status', '--json'])).stdout);
    expect(status.token.reason).toBeUndefined();
    expect(status.token.state).toBeTypeOf('string');
    const withoutSecret = await spotipi(sandbox, ['token'], { env: { SPOTIPI_API_TOKEN: '' } });
    expect(withoutSecret.code).toBe(1);
    expect(withoutSecret.stderr).toContain('answered 401');
  });
});

describe("the server's log", () => {
  it('is rotated by the server when over the limit, and `logs -f` follows what it writes', async () => {
    sandbox = await makeSandbox(serverEnv());
    mkdirSync(join(sandbox.stateDir, 'logs'), { recursive: true });
    writeFileSync(sandbox.logFile, `${'old line\n'.repeat(200)}`);
    const start = await spotipi(sandbox, ['start', '--log-max-bytes', '1000', '--log-keep', '2']);
    expect(start.code).toBe(0);
    // The server rotates at once on start: the old content moved to .1, the live file starts small.
    await waitFor(() => existsSync(`${sandbox!.logFile}.1`));
    expect(readFileSync(`${sandbox.logFile}.1`, 'utf8')).toContain('old line\nold line\n');
    expect(readFileSync(sandbox.logFile, 'utf8')).not.toContain('old line');

    const follower = spawn(process.execPath, [MAIN, 'logs', '-f', '-n', '0'], {
      cwd: sandbox.dir,
      env: sandbox.env,
    });
    let seen = '';
    follower.stdout.on('data', (chunk) => {
      seen += chunk;
    });
    try {
      // Requests until one shows up: the follower may take a moment to start watching. Successful
      // requests are logged at debug only (SD-card writes), so probe with a 404, logged at info.
      await waitFor(async () => {
        await fetch(`http://127.0.0.1:${sandbox!.port}/no-such-page?probe=follow-me`);
        return seen.includes('/no-such-page?probe=follow-me');
      }, 20_000);
      // The CLI formats pino's JSON lines: time, level, message.
      expect(seen).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO {2}request completed/);
    } finally {
      follower.kill('SIGINT');
    }
    const code = await new Promise((r) => follower.once('exit', r));
    expect(code).toBe(0);
  });
});
