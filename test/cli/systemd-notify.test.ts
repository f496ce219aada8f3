/**
 * `spotipi serve` under a fake systemd: NOTIFY_SOCKET names a unix datagram socket that a tiny
 * python3 receiver reads (Node cannot open one), so the test sees exactly what systemd would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { watchdogIntervalMs } from '../../src/cli/systemd-notify.js';

const SERVE = join(import.meta.dirname, '../server/fixtures/serve-main.ts');
const SERVE_HANG = join(import.meta.dirname, '../server/fixtures/serve-hang.ts');
const RECEIVER = `
import socket, sys, json, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
while True:
    data = s.recv(65536).decode()
    if data != "BARRIER=1":
        print(json.dumps({"message": data, "at": time.time() * 1000}), flush=True)
`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A fake systemd notify socket; `messages` fills as datagrams arrive. */
async function fakeSystemd(): Promise<{ path: string; messages: string[]; times: number[] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'spotipi-notify-')), 'notify.sock');
  const receiver = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(receiver);
  const messages: string[] = [];
  const times: number[] = [];
  await new Promise<void>((resolve) => {
    createInterface({ input: receiver.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { ready?: boolean; message?: string; at?: number };
      if (parsed.ready) resolve();
      if (parsed.message !== undefined) {
        messages.push(parsed.message);
        times.push(parsed.at ?? 0);
      }
    });
  });
  return { path, messages, times };
}

function serve(env: Record<string, string>, script = SERVE): ChildProcess & { exited: Promise<unknown> } {
  const cwd = mkdtempSync(join(tmpdir(), 'spotipi-serve-'));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, 'serve'], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      SPOTIPI_STATE_DIR: join(cwd, 'state'),
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  children.push(child);
  return Object.assign(child, { exited: new Promise((resolve) => child.once('exit', resolve)) });
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await new Promise((r) => setTimeout(r, 25));
  return check();
}

describe('spotipi serve under systemd (Type=notify)', () => {
  it('says READY=1 once it listens, pings the watchdog at a third of WATCHDOG_USEC, and says STOPPING=1 on SIGTERM', async () => {
    const systemd = await fakeSystemd();
    const child = serve({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '600000' });
    expect(await until(() => systemd.messages.some((m) => m.includes('READY=1')), 30_000)).toBe(true);
    const ready = systemd.messages.find((m) => m.includes('READY=1')) ?? '';
    expect(ready).toMatch(/STATUS=SpotiPi listening on http:\/\/127\.0\.0\.1:\d+/);
    const port = /127\.0\.0\.1:(\d+)/.exec(ready)?.[1];
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    const pings = () => systemd.messages.filter((m) => m === 'WATCHDOG=1').length;
    expect(await until(() => pings() >= 3, 15_000)).toBe(true);

    child.kill('SIGTERM');
    expect(await until(() => systemd.messages.includes('STOPPING=1'), 15_000)).toBe(true);
    await child.exited;
    // Nothing after STOPPING=1 but possibly a ping already on its way.
    const after = systemd.messages.slice(systemd.messages.indexOf('STOPPING=1') + 1);
    expect(after.filter((m) => m !== 'WATCHDOG=1')).toEqual([]);
  }, 60_000);

  it('stops pinging while its event loop hangs, so systemd would restart it', async () => {
    const systemd = await fakeSystemd();
    const child = serve(
      { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '300000', HANG_MS: '2500' },
      SERVE_HANG,
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const pings = () => systemd.messages.filter((m) => m === 'WATCHDOG=1').length;
    expect(await until(() => pings() >= 3, 30_000)).toBe(true);
    child.kill('SIGUSR2');
    expect(await until(() => out.includes('HANG-END'), 20_000)).toBe(true);
    const start = Number(/HANG-START (\d+)/.exec(out)?.[1]);
    const end = Number(/HANG-END (\d+)/.exec(out)?.[1]);
    expect(end - start).toBeGreaterThanOrEqual(2_500);
    // Pings are due every 100 ms; while the loop hangs none is sent (one already on its way at
    // the start may still land).
    const pingTimes = systemd.times.filter((_, i) => systemd.messages[i] === 'WATCHDOG=1');
    expect(pingTimes.filter((at) => at > start + 500 && at < end)).toEqual([]);
    // The loop is free again: pings resume.
    expect(
      await until(
        () => systemd.times.some((at, i) => at > end && systemd.messages[i] === 'WATCHDOG=1'),
        10_000,
      ),
    ).toBe(true);
  }, 60_000);

  it('pings no watchdog that belongs to another process (WATCHDOG_PID)', async () => {
    const systemd = await fakeSystemd();
    serve({ NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '300000', WATCHDOG_PID: '1' });
    expect(await until(() => systemd.messages.some((m) => m.includes('READY=1')), 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(systemd.messages.filter((m) => m === 'WATCHDOG=1')).toEqual([]);
  }, 60_000);

  it('reads the watchdog interval from the environment', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 42)).toBe(20_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42)).toBe(20_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '7' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
  });
});
