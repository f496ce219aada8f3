/**
 * Fleet benchmark: upstream token requests per token window with 1, 2, 4 and 8 real processes,
 * sharing one token through Redis versus each keeping its own (memory store), against the
 * Spotify emulator over loopback.
 *
 * Run: npm run bench:fleet            (prints a Markdown table)
 *      npm run bench:fleet -- --write (also replaces the Fleet section of BENCHMARKS.md)
 *      options: --sizes 1,2,4,8 --windows 4
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../src/emulator/demo-credentials.js';
import { startEmulator } from '../src/emulator/server.js';
import { startFleet, workerDefaults } from '../test/fleet/fleet-harness.js';
import { startRedisServer } from '../test/helpers/redis-server.js';

const LIFETIME_S = 4;
const REFRESH_AHEAD_MS = 1000;
/** A token is replaced every lifetime minus the refresh-ahead: one "window". */
const WINDOW_MS = LIFETIME_S * 1000 - REFRESH_AHEAD_MS;

interface Row {
  processes: number;
  mode: 'shared (Redis)' | 'unshared (memory)';
  windows: number;
  grants: number;
  perWindow: number;
  calls: number;
  callsPerSec: number;
  failed: number;
  apiRejected: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function measure(processes: number, shared: boolean, windows: number): Promise<Row> {
  const emulator = await startEmulator({ tokenLifetimeSec: LIFETIME_S });
  const redis = shared ? await startRedisServer() : undefined;
  try {
    const workers = await startFleet(processes, {
      ...workerDefaults,
      concurrency: 2,
      apiEvery: 20,
      refreshAheadMs: REFRESH_AHEAD_MS,
      emulatorUrl: emulator.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      seedRefreshToken: DEMO_REFRESH_TOKEN,
      ...(redis ? { redisUrl: redis.url } : {}),
    });
    // Past the start-up grants, then count whole windows.
    await delay(1000);
    const before = emulator.stats().tokenGrants.refresh_token;
    const startedAt = Date.now();
    await delay(windows * WINDOW_MS);
    const grants = emulator.stats().tokenGrants.refresh_token - before;
    const elapsedMs = Date.now() - startedAt;
    const stats = await Promise.all(workers.map((w) => w.stop()));
    const calls = stats.reduce((n, s) => n + s.calls, 0);
    const measuredWindows = elapsedMs / WINDOW_MS;
    return {
      processes,
      mode: shared ? 'shared (Redis)' : 'unshared (memory)',
      windows: Number(measuredWindows.toFixed(2)),
      grants,
      perWindow: Number((grants / measuredWindows).toFixed(2)),
      calls,
      callsPerSec: Math.round(calls / ((elapsedMs + 1000) / 1000)),
      failed: stats.reduce((n, s) => n + s.failed, 0),
      apiRejected: stats.reduce((n, s) => n + s.apiRejected, 0),
    };
  } finally {
    await emulator.close();
    await redis?.dispose();
  }
}

function table(rows: Row[]): string {
  const head =
    '| processes | store | windows | token requests | per window | getAccessToken calls | calls/s | failed | API 401s |\n' +
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.processes} | ${r.mode} | ${r.windows} | ${r.grants} | **${r.perWindow}** | ${r.calls} | ${r.callsPerSec} | ${r.failed} | ${r.apiRejected} |`,
      )
      .join('\n')
  );
}

/** Describes what the rows show (computed, so the prose cannot disagree with the table). */
function summary(rows: Row[]): string {
  const shared = rows.filter((r) => r.mode === 'shared (Redis)');
  const unshared = rows.filter((r) => r.mode === 'unshared (memory)');
  const range = (rs: Row[]) => {
    const v = rs.map((r) => r.perWindow);
    const [lo, hi] = [Math.min(...v), Math.max(...v)];
    return lo === hi ? `${lo}` : `${lo}–${hi}`;
  };
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  const rejected = rows.reduce((n, r) => n + r.apiRejected, 0);
  return (
    `Token requests per window, shared: ${range(shared)} with ${shared.map((r) => r.processes).join('/')} processes ` +
    `(one process takes the Redis lock, the others adopt its token through pub/sub); unshared: ` +
    `${unshared.map((r) => `${r.processes} → ${r.perWindow}`).join(', ')}: every process refreshes on its own. ` +
    `Failed getAccessToken calls over all runs: ${failed}; tokens the emulator refused: ${rejected}.`
  );
}

/**
 * Replaces the Fleet `## ` section of a Markdown document (up to the next `## ` heading), or adds
 * it before "How to reproduce" (or at the end); every other section stays as it is.
 */
function replaceSection(doc: string, section: string): string {
  const parts = doc.split(/^(?=## )/m);
  const heading = section.split('\n')[0]!;
  const at = parts.findIndex((p) => p.startsWith(heading));
  const block = `${section.trim()}\n\n`;
  if (at >= 0) parts[at] = block;
  else {
    const reproduce = parts.findIndex((p) => p.startsWith('## How to reproduce'));
    if (reproduce >= 0) parts.splice(reproduce, 0, block);
    else parts.push(`${parts.length > 0 ? '\n' : ''}${block}`);
  }
  return `${parts.join('').trimEnd()}\n`;
}

async function main(): Promise<void> {
  const sizes = (arg('sizes') ?? '1,2,4,8').split(',').map(Number);
  const windows = Number(arg('windows') ?? '4');
  const rows: Row[] = [];
  for (const n of sizes) {
    for (const shared of [true, false]) {
      const row = await measure(n, shared, windows);
      process.stderr.write(`${n} process(es), ${row.mode}: ${row.perWindow} token requests per window\n`);
      rows.push(row);
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const section = `## Fleet (shared token through Redis)

\`npm run bench:fleet\` — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${process.platform}.

Each process is a real Node process (TokenCache + AccountsClient, and a RedisStore on one local
\`redis-server\` or its own MemoryStore) hammering \`getAccessToken()\` from 2 loops and checking
every 20th token against the emulator's \`GET /v1/me\`. The emulator issues ${LIFETIME_S}-second tokens
and the caches refresh ${REFRESH_AHEAD_MS / 1000} s ahead, so one token window is ${WINDOW_MS / 1000} s;
"token requests" are the emulator's successful refresh grants counted over ${windows} windows after start-up.

${table(rows)}

${summary(rows)}
`;
  process.stdout.write(`${section}\n`);
  if (process.argv.includes('--write')) {
    const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md');
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = '# Benchmarks\n';
    }
    writeFileSync(file, replaceSection(text, section));
    process.stderr.write(`wrote the Fleet section of ${file}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
