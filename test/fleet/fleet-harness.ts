import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig, WorkerEvent, WorkerStats } from './fleet-worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/** Defaults for a fleet member; tests override what they measure. */
export const workerDefaults: Omit<
  WorkerConfig,
  'name' | 'emulatorUrl' | 'clientId' | 'clientSecret' | 'seedRefreshToken'
> = {
  concurrency: 4,
  pauseMs: 5,
  apiEvery: 10,
  apiPath: '/v1/me',
  lockTtlMs: 3000,
  lockWaitMs: 1000,
  attemptTimeoutMs: 1000,
  maxAttempts: 2,
  refreshAheadMs: 1000,
  safetyMarginMs: 300,
};

/** A running worker process. */
export interface FleetWorker {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The latest stats line (periodic, or final after stop). */
  stats(): WorkerStats | undefined;
  /** Every event seen so far. */
  readonly events: WorkerEvent[];
  /** Calls `fn` for each later event. */
  onEvent(fn: (event: WorkerEvent) => void): void;
  /** Asks it to stop and resolves with its final stats. */
  stop(): Promise<WorkerStats>;
  /** SIGKILL: no cleanup, no lock release. */
  kill9(): Promise<void>;
  /** Everything it wrote on stderr. */
  stderr(): string;
}

/** Starts one worker (via tsx) and resolves once it is ready. */
export async function startWorker(config: WorkerConfig): Promise<FleetWorker> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fleet-worker.ts'), JSON.stringify(config)],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  const events: WorkerEvent[] = [];
  const listeners: Array<(e: WorkerEvent) => void> = [];
  let latest: WorkerStats | undefined;
  let finalStats: WorkerStats | undefined;
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    let event: WorkerEvent;
    try {
      event = JSON.parse(line) as WorkerEvent;
    } catch {
      return;
    }
    events.push(event);
    if (event.type === 'stats') {
      latest = event.stats;
      if (event.final) finalStats = event.stats;
    }
    for (const fn of listeners) fn(event);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${config.name} did not start:\n${err}`)), 30_000);
    listeners.push((e) => {
      if (e.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${config.name} exited with ${code}:\n${err}`));
    });
  });
  return {
    name: config.name,
    pid: child.pid!,
    child,
    events,
    stats: () => finalStats ?? latest,
    onEvent: (fn) => listeners.push(fn),
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.stdin?.end('stop\n');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      if (!finalStats) throw new Error(`worker ${config.name} gave no final stats:\n${err}`);
      return finalStats;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Starts `count` workers in parallel with names `<prefix>-<i>`. */
export function startFleet(
  count: number,
  base: Omit<WorkerConfig, 'name'>,
  prefix = 'worker',
): Promise<FleetWorker[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => startWorker({ ...base, name: `${prefix}-${i}` })),
  );
}
