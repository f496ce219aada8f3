/**
 * Hot path: `getAccessToken()` on a valid token, ours versus the peers, in the same process and
 * run interleaved so they share the machine's state. Throughput is measured on an uninstrumented
 * loop, latency on a second loop that times every call.
 */
import { type Contender, google, ours, sdk } from './peers.js';
import {
  type Figure,
  figure,
  fmt,
  fmtFigure,
  intFlag,
  msSince,
  progress,
  quantile,
  runIfMain,
  type Section,
  table,
} from './support.js';

interface RunResult {
  opsPerSec: number;
  p50Ns: number;
  p99Ns: number;
}

async function measure(c: Contender, ops: number, latencyOps: number): Promise<RunResult> {
  for (let i = 0; i < 5_000; i++) await c.getToken(); // warm-up (JIT, caches)
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await c.getToken();
  const opsPerSec = ops / (msSince(start) / 1000);
  const samples = new Float64Array(latencyOps);
  for (let i = 0; i < latencyOps; i++) {
    const t0 = process.hrtime.bigint();
    await c.getToken();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  const list = Array.from(samples);
  return { opsPerSec, p50Ns: quantile(list, 0.5), p99Ns: quantile(list, 0.99) };
}

/** Runs the hot-path comparison. Flags: --runs N, --ops N (per run), --latency-ops N. */
export async function runHotPath(flags: Map<string, string>): Promise<Section> {
  const runs = intFlag(flags, 'runs', 5);
  const ops = intFlag(flags, 'ops', 200_000);
  const latencyOps = intFlag(flags, 'latency-ops', 50_000);
  const contenders = [await ours(undefined, 'valid'), google(undefined, 'valid'), sdk(undefined, 'valid')];
  const results = new Map<string, RunResult[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < runs; r++) {
    for (const c of contenders) {
      progress(`hot path: ${c.name}, run ${r + 1}/${runs}`);
      results.get(c.name)!.push(await measure(c, ops, latencyOps));
    }
  }
  for (const c of contenders) await c.close?.();

  const summary = contenders.map((c) => {
    const rs = results.get(c.name)!;
    return {
      name: c.name,
      ops: figure(rs.map((x) => x.opsPerSec)),
      p50: figure(rs.map((x) => x.p50Ns)),
      p99: figure(rs.map((x) => x.p99Ns)),
    };
  });
  const oursOps: Figure = summary[0]!.ops;
  const rows = summary.map((s) => [
    s.name,
    fmtFigure(s.ops, 0),
    fmtFigure(s.p50, 0, ' ns'),
    fmtFigure(s.p99, 0, ' ns'),
    s === summary[0] ? '1.00' : fmt(oursOps.median / s.ops.median, 2),
  ]);
  const body = [
    `\`await getAccessToken()\` on a valid token, one caller in a tight loop; ${runs} runs per implementation, interleaved; ${fmt(ops, 0)} calls per throughput run, ${fmt(latencyOps, 0)} individually timed calls per latency run (timer overhead included). Median (min–max) of the runs.`,
    '',
    table(['implementation', 'calls/s', 'p50', 'p99', 'ours ÷ this (calls/s)'], rows),
    '',
    '- spotipi: `TokenCache.getAccessToken()` with a memory store holding a token valid for an hour.',
    '- google-auth-library: `OAuth2Client.getAccessToken()` with credentials whose `expiry_date` is in 2100 (served from its cache).',
    '- @spotify/web-api-ts-sdk: `SpotifyApi.withAccessToken(...)`, then `authenticationStrategy.getOrCreateAccessToken()` — what each SDK API call awaits before its request.',
  ].join('\n');
  return { title: 'Hot path: getAccessToken() on a valid token', body };
}

runIfMain(import.meta.url, runHotPath);
