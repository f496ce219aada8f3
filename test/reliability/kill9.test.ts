import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { fingerprint } from '../../src/token/fingerprint.js';
import { createFileStore, parseTokenFile } from '../../src/token/stores/file-store.js';
import { transpileForWorkers } from './transpile.js';

/** kill -9 iterations in total, split over LANES independent worker/emulator/file lanes. */
const ITERATIONS = 200;
const LANES = 2;
/**
 * Each kill waits for a random number (0..MAX_REFRESHES_BEFORE_KILL) of completed refreshes, then a
 * random part of one refresh cycle (measured as it runs), so kills land all over the cycle —
 * request in flight, answer received, file being written — whatever the machine's speed.
 */
const MAX_REFRESHES_BEFORE_KILL = 2;

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
let buildDir: string;
let workerJs: string;

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), 'spotipi-kill9-build-'));
  transpileForWorkers(root, buildDir, [join(here, 'kill-worker.ts')]);
  workerJs = join(buildDir, 'test', 'reliability', 'kill-worker.js');
});

afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
});

interface LaneResult {
  iterations: number;
  keptNewest: number;
  /** Kills that landed after the emulator rotated but before the answer reached the disk. */
  lostInFlight: number;
  failures: string[];
  leftoverTempFiles: number;
  /** Refresh grants the emulator made (rotations). */
  grants: number;
}

/** Running estimate of one refresh cycle (ms between `persisted` lines). */
let cycleMs = 20;

/** Runs the worker once, kills it at a random point of a refresh cycle, and returns the lines it printed. */
async function runAndKill(config: object): Promise<string[]> {
  const child = spawn(process.execPath, [workerJs, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const wantRefreshes = Math.floor(Math.random() * (MAX_REFRESHES_BEFORE_KILL + 1));
  let lastAt = 0;
  const reached = new Promise<void>((resolve, reject) => {
    let seen = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const now = performance.now();
      if (line.startsWith('persisted ')) {
        if (lastAt > 0) cycleMs = 0.8 * cycleMs + 0.2 * (now - lastAt);
        seen++;
      }
      lastAt = now;
      if (
        (line === 'ready' && wantRefreshes === 0) ||
        (line.startsWith('persisted ') && seen === wantRefreshes)
      )
        resolve();
    });
    child.once('exit', () => reject(new Error(`worker exited early: ${lines.join(' | ')} ${stderr}`)));
  });
  await reached;
  await new Promise((r) => setTimeout(r, Math.random() * cycleMs));
  child.kill('SIGKILL');
  await closed;
  return lines;
}

/**
 * One lane of kills. `rotationGraceSec` 0 is strict single-use rotation; above 0 the emulator
 * honours a rotated-out refresh token for that long, as providers with a reuse interval do.
 */
async function lane(iterations: number, rotationGraceSec = 0): Promise<LaneResult> {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-kill9-'));
  const file = join(dir, 'token.json');
  const emulator: RunningEmulator = await startEmulator({ rotateRefreshTokens: true, rotationGraceSec });
  const result: LaneResult = {
    iterations,
    keptNewest: 0,
    lostInFlight: 0,
    failures: [],
    leftoverTempFiles: 0,
    grants: 0,
  };
  try {
    await createFileStore(file).save({ refreshToken: DEMO_REFRESH_TOKEN });
    const config = {
      emulatorUrl: emulator.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      file,
    };
    for (let i = 0; i < iterations; i++) {
      const before = parseTokenFile(JSON.parse(readFileSync(file, 'utf8'))).record?.refreshToken;
      const lines = await runAndKill(config);
      // A token request the worker sent just before it died may still be on its way through the
      // emulator (in this process): let it land before judging, or the next worker meets its rotation.
      await new Promise((r) => setTimeout(r, 30));
      while (emulator.stats().refreshesInFlight > 0) await new Promise((r) => setTimeout(r, 10));
      const errors = lines.filter((l) => l.startsWith('error'));
      if (errors.length > 0) result.failures.push(`iteration ${i}: worker failed: ${errors.join('; ')}`);

      let parsed: ReturnType<typeof parseTokenFile>;
      try {
        parsed = parseTokenFile(JSON.parse(readFileSync(file, 'utf8')));
      } catch (err) {
        result.failures.push(`iteration ${i}: token file is not JSON: ${(err as Error).message}`);
        break;
      }
      const onDisk = parsed.record?.refreshToken;
      if (parsed.problem !== undefined || onDisk === undefined) {
        result.failures.push(`iteration ${i}: token file invalid: ${parsed.problem ?? 'no refresh token'}`);
        break;
      }
      if (rotationGraceSec > 0) {
        // With a grace window the login must survive every kill: the file's token still works.
        if (emulator.acceptsRefreshToken(onDisk)) result.keptNewest++;
        else result.failures.push(`iteration ${i}: the token file's refresh token no longer works`);
        continue;
      }
      const valid = emulator.validRefreshTokens();
      if (valid.length !== 1)
        result.failures.push(`iteration ${i}: emulator holds ${valid.length} refresh tokens`);
      const newest = valid[0]!;
      if (onDisk === newest) {
        result.keptNewest++;
        continue;
      }
      // The file lost the race with the emulator. That is only acceptable when the emulator's newest
      // token was never reported persisted and the file holds the last one that was.
      const persisted = lines
        .filter((l) => l.startsWith('persisted '))
        .map((l) => l.slice('persisted '.length));
      const lastPersisted = persisted.at(-1) ?? fingerprint(before);
      if (persisted.includes(fingerprint(newest) ?? '')) {
        result.failures.push(`iteration ${i}: a refresh token reported persisted is not in the file`);
        break;
      }
      if (fingerprint(onDisk) !== lastPersisted) {
        result.failures.push(
          `iteration ${i}: the file holds neither the newest nor the last persisted refresh token`,
        );
        break;
      }
      result.lostInFlight++;
      // The user logs in again (the test installs the emulator's current token, on top of whatever
      // version the file holds) and the loop goes on.
      const store = createFileStore(file);
      await store.save({ refreshToken: newest }, (await store.load())?.version ?? 0);
    }
    result.grants = emulator.stats().tokenGrants.refresh_token;
    result.leftoverTempFiles = readdirSync(dir).filter((f) => f.endsWith('.tmp')).length;
    return result;
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kill -9 in the middle of refreshes with rotation', () => {
  it(`never corrupts the token file nor loses a persisted refresh token over ${ITERATIONS} kills`, {
    timeout: 240_000,
  }, async () => {
    const lanes = await Promise.all(Array.from({ length: LANES }, () => lane(ITERATIONS / LANES)));
    const failures = lanes.flatMap((l) => l.failures);
    const kept = lanes.reduce((n, l) => n + l.keptNewest, 0);
    const inFlight = lanes.reduce((n, l) => n + l.lostInFlight, 0);
    const temps = lanes.reduce((n, l) => n + l.leftoverTempFiles, 0);
    const grants = lanes.reduce((n, l) => n + l.grants, 0);
    console.log(
      `kill -9 x${ITERATIONS} (${grants} rotations in all): file held the emulator's newest refresh token after ${kept}; ` +
        `${inFlight} kills landed after the emulator rotated but before its answer was on disk ` +
        `(the file kept the last persisted token); leftover temp files: ${temps}`,
    );
    expect(failures).toEqual([]);
    expect(kept + inFlight).toBe(ITERATIONS);
    // The workers must really have been refreshing when killed, not only starting up.
    expect(grants).toBeGreaterThan(ITERATIONS);
    expect(kept).toBeGreaterThan(0);
  });
});

describe('kill -9 with a provider that honours a rotated-out refresh token for a grace window', () => {
  it('never loses the login: after every kill the token file holds a refresh token that still works', {
    timeout: 120_000,
  }, async () => {
    const kills = ITERATIONS / 2;
    const result = await lane(kills, 60);
    console.log(
      `kill -9 x${kills} with a 60 s rotation grace (${result.grants} rotations): login kept after ${result.keptNewest}`,
    );
    expect(result.failures).toEqual([]);
    expect(result.keptNewest).toBe(kills);
    expect(result.grants).toBeGreaterThan(kills);
  });
});
