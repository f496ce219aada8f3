/**
 * Issue 12, items 7 and 8, through the real server (demo mode, real emulator, real files):
 * alarms are never lost silently, and one state dir has one server.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreadableStateFileError } from '../../src/alarm/state-file.js';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { SERVER_LOCK_FILE, StateDirLockedError } from '../../src/server/state-dir-lock.js';
import { LogCapture, tempDir, testConfig } from '../server/helpers.js';
import { killServeChildren, listeningUrl, runServe, type ServeRun } from '../server/serve-child.js';

const servers: RunningServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  killServeChildren();
});

function spec(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    label: 'Work',
    time: '07:00',
    days: ['mon', 'tue'],
    timezone: 'UTC',
    context_uri: 'spotify:playlist:37i9dQZF1DXcBWIGoYBM5M',
    shuffle: false,
    device: null,
    volume: 50,
    fade_in_seconds: 0,
    enabled: true,
    ...extra,
  };
}

function writeAlarms(stateDir: string, doc: unknown): string {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  writeFileSync(join(stateDir, 'alarms.json'), text);
  return text;
}

async function start(stateDir: string, env: Record<string, string> = {}, logs?: LogCapture) {
  const server = await startServer(testConfig({ PORT: '0', SPOTIPI_STATE_DIR: stateDir, ...env }), {
    logger: createLogger('info', logs),
    webRoot: tempDir(),
  });
  servers.push(server);
  return server;
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** `spotipi serve` as a real process on `stateDir`. */
function runServeOn(stateDir: string, env: Record<string, string> = {}): ServeRun {
  return runServe({ SPOTIPI_STATE_DIR: stateDir, PORT: '0', LOG_LEVEL: 'warn', ...env });
}

describe('the alarms file is never lost silently (item 7)', () => {
  it('keeps an alarm with an unknown field, and writes the field back at the next save', async () => {
    const stateDir = tempDir();
    writeAlarms(stateDir, {
      version: 1,
      from_newer_spotipi: { kept: true },
      alarms: [
        {
          spec: spec('morning', { pause_snoozes: false }),
          runtime: { anchorAt: Date.now(), fade_progress: { volume: 12 } },
        },
      ],
    });
    const server = await start(stateDir);
    const alarms = (await (await fetch(`${server.url}/api/alarms`)).json()) as { alarms: { id: string }[] };
    expect(alarms.alarms.map((a) => a.id)).toEqual(['morning']);

    // Any save rewrites the file: the unknown fields must survive it.
    expect((await post(`${server.url}/api/alarms`, { time: '08:00', context_uri: 'liked' })).status).toBe(
      201,
    );
    const saved = JSON.parse(readFileSync(join(stateDir, 'alarms.json'), 'utf8')) as {
      from_newer_spotipi: unknown;
      alarms: { spec: { id: string; pause_snoozes?: boolean }; runtime: { fade_progress?: unknown } }[];
    };
    expect(saved.from_newer_spotipi).toEqual({ kept: true });
    const morning = saved.alarms.find((a) => a.spec.id === 'morning');
    expect(morning?.spec.pause_snoozes).toBe(false);
    expect(morning?.runtime.fade_progress).toEqual({ volume: 12 });
    expect(saved.alarms).toHaveLength(2);
  });

  it('refuses to start on an alarms file from a newer version and leaves it exactly as it was', async () => {
    const stateDir = tempDir();
    const text = writeAlarms(stateDir, {
      version: 2,
      alarms: [{ spec: spec('a'), runtime: { anchorAt: 1 } }],
    });
    const failed = await start(stateDir).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(UnreadableStateFileError);
    expect((failed as Error).message).toContain('alarms.json cannot be read safely');
    expect((failed as Error).message).toContain('written by a newer SpotiPi (file version 2');
    expect(readFileSync(join(stateDir, 'alarms.json'), 'utf8')).toBe(text);
    expect(readdirSync(stateDir).filter((name) => name.includes('corrupt'))).toEqual([]);
    // The refused start released its lock: once the file is readable, the server starts.
    writeAlarms(stateDir, { version: 1, alarms: [{ spec: spec('a'), runtime: { anchorAt: 1 } }] });
    const server = await start(stateDir);
    expect((await fetch(`${server.url}/api/alarms/a`)).status).toBe(200);
  });

  it('refuses to start on an alarm that does not validate or a file that is not JSON', async () => {
    const stateDir = tempDir();
    const text = writeAlarms(stateDir, {
      version: 1,
      alarms: [
        { spec: spec('good'), runtime: { anchorAt: 1 } },
        { spec: spec('bad', { volume: 'loud' }), runtime: { anchorAt: 1 } },
      ],
    });
    await expect(start(stateDir)).rejects.toThrow(/alarm #2: spec "volume" is invalid/);
    expect(readFileSync(join(stateDir, 'alarms.json'), 'utf8')).toBe(text);

    writeFileSync(join(stateDir, 'alarms.json'), '{"version": 1, "alarms": [');
    await expect(start(stateDir)).rejects.toThrow(/alarms\.json cannot be read safely: it is not valid JSON/);
    expect(readFileSync(join(stateDir, 'alarms.json'), 'utf8')).toBe('{"version": 1, "alarms": [');
  });

  it("refuses to start on a sleep timer file from a newer version instead of dropping the user's defaults", async () => {
    const stateDir = tempDir();
    const text = '{"version": 2, "defaults": {}, "timer": null, "last": null}\n';
    writeFileSync(join(stateDir, 'sleep.json'), text);
    await expect(start(stateDir)).rejects.toThrow(/sleep\.json cannot be read safely: "version" is invalid/);
    expect(readFileSync(join(stateDir, 'sleep.json'), 'utf8')).toBe(text);
  });

  it('keeps unknown top-level fields of the sleep timer file when it saves', async () => {
    const stateDir = tempDir();
    const doc = {
      version: 1,
      written_by_newer: { keep: 1 },
      defaults: {
        minutes: 20,
        volume: 25,
        context_uri: null,
        device: null,
        shuffle: false,
        fade_out_seconds: 30,
      },
      timer: null,
      last: null,
    };
    writeFileSync(join(stateDir, 'sleep.json'), JSON.stringify(doc));
    const server = await start(stateDir);
    const res = await fetch(`${server.url}/api/sleep/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ minutes: 45 }),
    });
    expect(res.status).toBe(200);
    const saved = JSON.parse(readFileSync(join(stateDir, 'sleep.json'), 'utf8'));
    expect(saved.defaults.minutes).toBe(45);
    expect(saved.written_by_newer).toEqual({ keep: 1 });
  });

  it('spotipi serve exits with code 2 and a clear message on a file it cannot read safely', async () => {
    const stateDir = tempDir();
    writeAlarms(stateDir, { version: 7, alarms: [] });
    const run = runServeOn(stateDir);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toMatch(
      /Error: SpotiPi did not start: \S+alarms\.json cannot be read safely: it was written by a newer SpotiPi \(file version 7; this one reads up to 1\); upgrade SpotiPi\. It was left untouched/,
    );
    expect(run.stdout()).not.toContain('listening on');
  });
});

describe('one server per state dir (item 8)', () => {
  it('a second server on the same state dir fails, naming the first one’s pid; after the first stops it starts', async () => {
    const stateDir = tempDir();
    const first = await start(stateDir);
    const failed = await start(stateDir).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(StateDirLockedError);
    expect((failed as Error).message).toContain(`another SpotiPi server (pid ${process.pid}`);
    // The first one still owns its file and still answers.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    expect(existsSync(join(stateDir, SERVER_LOCK_FILE))).toBe(false);
    await start(stateDir);
  });

  it('spotipi serve refuses a state dir another serve process holds, with its pid, and exits 1', async () => {
    const stateDir = tempDir();
    const first = runServeOn(stateDir);
    await listeningUrl(first);
    const second = runServeOn(stateDir);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain(`another SpotiPi server (pid ${first.child.pid}`);
    expect(second.stderr()).toContain(stateDir);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(join(stateDir, SERVER_LOCK_FILE))).toBe(false);
  });

  it('takes over the lock of a server that died without releasing it', async () => {
    const stateDir = tempDir();
    // A real process that has exited: its pid is free (or reused with another start time).
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(stateDir, SERVER_LOCK_FILE), JSON.stringify({ pid: dead.pid, token: 'old' }));
    const logs = new LogCapture();
    const server = await start(stateDir, {}, logs);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(logs.text).toContain('took over the state dir lock of a server that is no longer running');
    expect(JSON.parse(readFileSync(join(stateDir, SERVER_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
  });

  it('fires nothing when the server cannot listen: the scheduler starts only after the port is taken', async () => {
    const stateDir = tempDir();
    // An alarm due a minute ago, not yet handled: a started scheduler fires it at once and saves.
    const now = new Date();
    const due = new Date(now.getTime() - 60_000);
    const hhmm = `${String(due.getUTCHours()).padStart(2, '0')}:${String(due.getUTCMinutes()).padStart(2, '0')}`;
    const text = writeAlarms(stateDir, {
      version: 1,
      alarms: [
        { spec: spec('due', { time: hhmm, days: [] }), runtime: { anchorAt: now.getTime() - 5 * 60_000 } },
      ],
    });
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(start(stateDir, { PORT: String(port) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      blocker.close();
    }
    expect(readFileSync(join(stateDir, 'alarms.json'), 'utf8')).toBe(text);
    // Proof the alarm was due: a server that does listen fires it (and records that it did).
    const server = await start(stateDir);
    await expect
      .poll(
        async () => {
          const body = (await (await fetch(`${server.url}/api/alarms/due`)).json()) as { state: string };
          return body.state;
        },
        { timeout: 15_000 },
      )
      .not.toBe('idle');
    await expect
      .poll(() => readFileSync(join(stateDir, 'alarms.json'), 'utf8'), { timeout: 15_000 })
      .not.toBe(text);
  });
});
