/**
 * `npm run bench:token`: the token cache on its own.
 * - hot path: sequential `await getAccessToken()` on a valid token (throughput, and per-call
 *   latency p50/p99 from a second, timed loop);
 * - herd: N concurrent callers on an empty cache until all hold the token (one refresh).
 * Prints a table and replaces the "## Token cache" section of BENCHMARKS.md (unless --no-write).
 * Flags: --runs N (default 7), --quick (small sizes, 3 runs: a smoke test, not figures to publish).
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenCache } from '../src/token/index.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const write = !args.includes('--no-write') && !quick;
const runsArg = args.indexOf('--runs');
const RUNS = runsArg >= 0 ? Math.max(1, Number(args[runsArg + 1]) || 1) : quick ? 3 : 7;
const HOT_OPS = quick ? 100_000 : 2_000_000;
const LATENCY_OPS = quick ? 20_000 : 200_000;
const HERDS = quick ? [10_000] : [10_000, 100_000];

interface Stat {
  median: number;
  min: number;
  max: number;
}

function stat(values: number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** A refresh that answers on the next macrotask, so herd time is the cache's own cost. */
function instantRefresh(counter: { calls: number }) {
  return async () => {
    counter.calls++;
    await new Promise<void>((r) => setImmediate(r));
    return { accessToken: `bench-token-${counter.calls}-0123456789abcdef`, expiresIn: 3600 };
  };
}

async function hotPathRun(): Promise<{ opsPerSec: number; p50Ns: number; p99Ns: number }> {
  const counter = { calls: 0 };
  const cache = new TokenCache({ refresh: instantRefresh(counter) });
  await cache.getAccessToken();
  for (let i = 0; i < 50_000; i++) await cache.getAccessToken(); // warm-up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < HOT_OPS; i++) await cache.getAccessToken();
  const elapsedNs = Number(process.hrtime.bigint() - start);
  const samples = new Float64Array(LATENCY_OPS);
  for (let i = 0; i < LATENCY_OPS; i++) {
    const t0 = process.hrtime.bigint();
    await cache.getAccessToken();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  if (counter.calls !== 1) throw new Error(`hot path refreshed ${counter.calls} times`);
  await cache.close();
  return {
    opsPerSec: HOT_OPS / (elapsedNs / 1e9),
    p50Ns: quantile(samples, 0.5),
    p99Ns: quantile(samples, 0.99),
  };
}

async function herdRun(n: number): Promise<number> {
  const counter = { calls: 0 };
  const cache = new TokenCache({ refresh: instantRefresh(counter) });
  await cache.load();
  const calls = new Array<Promise<string>>(n);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) calls[i] = cache.getAccessToken();
  const tokens = await Promise.all(calls);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (counter.calls !== 1) throw new Error(`herd of ${n} made ${counter.calls} refreshes`);
  if (tokens.some((t) => t !== tokens[0])) throw new Error('herd callers got different tokens');
  await cache.close();
  return ms;
}

/** Median cost of the two hrtime reads around each timed call (included in the latency figures). */
function timerOverheadNs(): number {
  const samples = new Float64Array(100_000);
  for (let i = 0; i < samples.length; i++) {
    const t0 = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  return quantile(samples, 0.5);
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtMs(n: number): string {
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  const hot: Array<{ opsPerSec: number; p50Ns: number; p99Ns: number }> = [];
  for (let r = 0; r < RUNS; r++) {
    hot.push(await hotPathRun());
    process.stderr.write(`hot path run ${r + 1}/${RUNS}\n`);
  }
  const herds = new Map<number, number[]>();
  for (const n of HERDS) {
    await herdRun(n); // warm-up
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) times.push(await herdRun(n));
    herds.set(n, times);
    process.stderr.write(`herd ${n} done\n`);
  }

  const timerNs = timerOverheadNs();
  const ops = stat(hot.map((h) => h.opsPerSec));
  const p50 = stat(hot.map((h) => h.p50Ns));
  const p99 = stat(hot.map((h) => h.p99Ns));
  const rows: string[][] = [
    [
      'hot path `getAccessToken()` throughput (valid token, sequential await)',
      `${fmtInt(ops.median)} ops/s`,
      `${fmtInt(ops.min)} – ${fmtInt(ops.max)}`,
    ],
    [
      `hot path latency p50 (per call, incl. ~${fmtInt(timerNs)} ns of timer reads)`,
      `${fmtInt(p50.median)} ns`,
      `${fmtInt(p50.min)} – ${fmtInt(p50.max)}`,
    ],
    ['hot path latency p99', `${fmtInt(p99.median)} ns`, `${fmtInt(p99.min)} – ${fmtInt(p99.max)}`],
  ];
  for (const [n, times] of herds) {
    const s = stat(times);
    rows.push([
      `herd: ${fmtInt(n)} concurrent callers on an empty cache, until all hold the token (1 refresh)`,
      `${fmtMs(s.median)} ms`,
      `${fmtMs(s.min)} – ${fmtMs(s.max)}`,
    ]);
  }

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}`;
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    '| measure | median | spread (min – max) |',
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const section = [
    '## Token cache',
    '',
    `Measured ${date} with \`npm run bench:token\` (bench/token.bench.ts), ${RUNS} runs per figure` +
      `${quick ? ' (--quick: smoke-test sizes)' : ''}.`,
    `Machine: ${machine}; Node ${process.version}; 1-minute load average at start ${loadAtStart.toFixed(2)}` +
      ' (other work on the machine widens the spread).',
    '',
    table,
    '',
    `The hot path is ${fmtInt(HOT_OPS)} sequential \`await cache.getAccessToken()\` calls on a valid token ` +
      `after a warm-up; latency comes from a second loop of ${fmtInt(LATENCY_OPS)} individually timed calls. ` +
      'A herd starts N calls on an empty cache in one tick and ends when all have resolved; the refresh ' +
      'function answers on the next macrotask, so the time is the cache’s own cost (bookkeeping, one ' +
      'shared promise, N resolutions). Each run checks there was exactly one refresh and one token.',
    '',
    'Reproduce: `npm ci && npm run bench:token` (add `--runs N`; `--no-write` leaves this file alone).',
    '',
  ].join('\n');

  process.stdout.write(`${table}\n`);
  if (!write) return;
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  await writeFileAtomic(file, replaceSection(old, section), { mode: 0o644 });
  process.stderr.write(`updated ${file}\n`);
}

/** Replaces the "## Token cache" section (up to the next "## " heading), or appends it. */
function replaceSection(doc: string, section: string): string {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === '## Token cache');
  if (start < 0) return `${doc.trimEnd()}\n\n${section}`;
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return `${before}${before ? '\n' : ''}${section}${after ? `\n${after}` : ''}`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
