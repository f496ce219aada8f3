import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server on a loopback port, owned by one test suite. */
export interface RedisServerHandle {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** True while the process runs. */
  running(): boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s); the port stays reserved for `start()`. */
  stop(): Promise<void>;
  /** Kills the server abruptly (SIGKILL). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  dispose(): Promise<void>;
}

/** Finds a free loopback TCP port by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => done(true));
  });
}

/**
 * Starts `redis-server` on a free loopback port in a temp dir, without persistence and without
 * touching any system Redis service. Call `dispose()` when done.
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServerHandle> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-redis-'));
  let child: ChildProcess | undefined;
  let output = '';

  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    output = '';
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (spawnError) {
        throw new Error(
          `cannot run redis-server (${spawnError.message}); install it: apt-get install redis-server`,
        );
      }
      if (proc.exitCode !== null) throw new Error(`redis-server exited early:\n${output}`);
      if (output.includes('Ready to accept connections') && (await canConnect(port))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}:\n${output}`);
  };

  const stopWith = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = exited(proc);
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    start,
    dispose: async () => {
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` (every 20 ms) until it returns a truthy value; rejects naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Cuts one RedisStore off (its `-main` and `-sub` connections, named by `redisOptions.connectionName`)
 * with CLIENT KILL through `control`, once it has subscribed; it reconnects by itself. Any
 * redis client with a `client(...)` command will do as `control` (ioredis).
 */
export async function cutOffStore(
  control: { client(...args: (string | number)[]): Promise<unknown> },
  name: string,
): Promise<void> {
  const list = async () => String(await control.client('LIST'));
  await waitFor(async () => (await list()).includes(` name=${name}-sub `), `${name} to subscribe`);
  const ids = (await list())
    .split('\n')
    .filter((line) => line.includes(` name=${name}-main `) || line.includes(` name=${name}-sub `))
    .map((line) => /id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  if (ids.length !== 2)
    throw new Error(`expected 2 connections named ${name}-main/-sub, found ${ids.length}`);
  await Promise.all(ids.map((id) => control.client('KILL', 'ID', id)));
}
