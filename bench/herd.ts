/**
 * Herd: N concurrent callers on an expired token, each implementation against its own emulator
 * over loopback HTTP: how many token requests reach the emulator, how long until every caller has
 * a token, and how many callers failed.
 */
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../src/emulator/demo-credentials.js';
import { startEmulator } from '../src/emulator/index.js';
import { type Contender, google, ours, redirectSpotifyAccounts, sdk, type Upstream } from './peers.js';
import {
  figure,
  fmt,
  fmtFigure,
  intFlag,
  intListFlag,
  msSince,
  progress,
  runIfMain,
  type Section,
  table,
} from './support.js';

interface HerdRun {
  tokenRequests: number;
  maxInFlight: number;
  ms: number;
  failed: number;
  firstError: string | undefined;
}

type Factory = (upstream: Upstream) => Contender | Promise<Contender>;

const FACTORIES: [string, Factory][] = [
  ['spotipi TokenCache', (u) => ours(u, 'expired')],
  ['google-auth-library', (u) => google(u, 'expired')],
  ['@spotify/web-api-ts-sdk', (u) => sdk(u, 'expired')],
];

async function herdOnce(
  factory: Factory,
  callers: number,
  latencyMs: number,
  timeoutMs: number,
): Promise<HerdRun> {
  const emulator = await startEmulator({ tokenLatencyMs: latencyMs });
  const undo = redirectSpotifyAccounts(emulator.url);
  try {
    const contender = await factory({
      url: emulator.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      refreshToken: DEMO_REFRESH_TOKEN,
    });
    let failed = 0;
    let firstError: string | undefined;
    const start = process.hrtime.bigint();
    const calls: Promise<unknown>[] = new Array(callers);
    for (let i = 0; i < callers; i++) {
      calls[i] = contender.getToken().catch((err: unknown) => {
        failed++;
        firstError ??= err instanceof Error ? err.message.slice(0, 120) : String(err);
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(calls).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const ms = msSince(start);
    const stats = emulator.stats();
    await contender.close?.();
    return {
      tokenRequests: stats.tokenRequests,
      maxInFlight: stats.maxRefreshesInFlight,
      ms: timedOut ? Number.POSITIVE_INFINITY : ms,
      failed: timedOut ? callers : failed,
      firstError: timedOut ? `not all served within ${timeoutMs} ms` : firstError,
    };
  } finally {
    undo();
    await emulator.close();
  }
}

/**
 * Runs the herd comparison. Flags: --sizes 1000,10000,100000, --runs N, --latency-ms N (the
 * emulator's added token latency), --timeout-ms N (per herd), --sdk-max N (largest herd given to the
 * SDK, which sends one HTTP request per caller) and --sdk-runs N (its runs per size; they are slow).
 */
export async function runHerd(flags: Map<string, string>): Promise<Section> {
  const sizes = intListFlag(flags, 'sizes', [1_000, 10_000, 100_000]);
  const runs = intFlag(flags, 'runs', 3);
  const latencyMs = intFlag(flags, 'latency-ms', 100);
  const timeoutMs = intFlag(flags, 'timeout-ms', 60_000);
  const sdkMax = intFlag(flags, 'sdk-max', 10_000);
  const sdkRuns = intFlag(flags, 'sdk-runs', 1);
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const size of sizes) {
    for (const [name, factory] of FACTORIES) {
      const isSdk = name === '@spotify/web-api-ts-sdk';
      if (isSdk && size > sdkMax) {
        rows.push([
          fmt(size, 0),
          name,
          'not run',
          '',
          '',
          `one HTTP request per caller; above --sdk-max ${fmt(sdkMax, 0)}`,
        ]);
        continue;
      }
      const results: HerdRun[] = [];
      const n = isSdk ? sdkRuns : runs;
      for (let r = 0; r < n; r++) {
        progress(`herd: ${name}, ${size} callers, run ${r + 1}/${n}`);
        results.push(await herdOnce(factory, size, latencyMs, timeoutMs));
        if (global.gc) global.gc();
      }
      const failed = figure(results.map((x) => x.failed));
      const errors = [...new Set(results.map((x) => x.firstError).filter((e) => e !== undefined))];
      if (errors.length > 0) notes.push(`- ${name}, ${fmt(size, 0)} callers: ${errors.join('; ')}`);
      rows.push([
        fmt(size, 0),
        name,
        fmtFigure(figure(results.map((x) => x.tokenRequests)), 0),
        fmtFigure(figure(results.map((x) => x.maxInFlight)), 0),
        results.every((x) => Number.isFinite(x.ms))
          ? fmtFigure(figure(results.map((x) => x.ms)), 0, ' ms')
          : 'timed out',
        fmtFigure(failed, 0),
      ]);
    }
  }
  const body = [
    `N callers call \`getAccessToken()\` at once on an expired token that has a valid refresh token. Each implementation runs against its own emulator over loopback HTTP, with ${latencyMs} ms added to every token response (a realistic accounts-service round trip). Median (min–max) of ${runs} runs (the SDK: ${sdkRuns} run${sdkRuns === 1 ? '' : 's'} per size, as each takes seconds).`,
    '',
    table(
      [
        'callers',
        'implementation',
        'token requests',
        'max concurrent token requests',
        'time until all served',
        'failed callers',
      ],
      rows,
    ),
    '',
    '- google-auth-library: `OAuth2Client` with `endpoints.oauth2TokenUrl` set to the emulator; it de-duplicates concurrent refreshes of one refresh token (`refreshTokenPromises`).',
    '- @spotify/web-api-ts-sdk: `ProvidedAccessTokenStrategy` refreshes through `AccessTokenHelpers.refreshToken`, which calls the global `fetch` with a hard-coded `https://accounts.spotify.com/api/token`; the bench wraps the global fetch to send those requests to the emulator. It does not de-duplicate: each caller that sees the expired token sends its own refresh.',
    ...(notes.length > 0 ? ['', 'Errors seen:', ...notes] : []),
  ].join('\n');
  return { title: 'Herd: concurrent callers on an expired token', body };
}

runIfMain(import.meta.url, runHerd);
