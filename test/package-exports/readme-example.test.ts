import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { buildConsumerPackage, root, run } from './consumer-package.js';

// Runs the program of the README's "Use the token cache as a library" section, exactly as printed,
// from another package against the emulator.

const SECTION = '## Use the token cache as a library';

/** The first ```js block of the README's library section. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  if (start < 0) throw new Error(`README has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const block = /```js\n([\s\S]*?)\n```/.exec(section);
  if (!block?.[1]) throw new Error('the library section has no ```js block');
  return block[1];
}

let work: string;
let consumer: string;
let emu: RunningEmulator;

beforeAll(async () => {
  ({ work, consumer } = await buildConsumerPackage());
  await writeFile(join(consumer, 'token-demo.mjs'), await readmeExample());
  emu = await startEmulator({ rotateRefreshTokens: true });
}, 120_000);

afterAll(async () => {
  await emu?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface DemoRun {
  user: string | undefined;
  report: {
    state: string;
    cache_metrics: { refresh_attempts: number; refresh_successes: number; cache_hits: number };
    token_info: { time_until_expiry_minutes: number | null };
  };
  stdout: string;
}

async function runDemo(): Promise<DemoRun> {
  const { stdout } = await run(process.execPath, ['token-demo.mjs'], {
    cwd: consumer,
    env: {
      ...process.env,
      SPOTIFY_ACCOUNTS_URL: emu.url,
      SPOTIFY_API_URL: emu.url,
      SPOTIFY_CLIENT_ID: DEMO_CLIENT_ID,
      SPOTIFY_CLIENT_SECRET: DEMO_CLIENT_SECRET,
      SPOTIFY_REFRESH_TOKEN: DEMO_REFRESH_TOKEN,
    },
  });
  const lines = stdout.trim().split('\n');
  return {
    user: /^logged in as (.+)$/.exec(lines[0] ?? '')?.[1],
    report: JSON.parse(lines.at(-1) ?? '{}'),
    stdout,
  };
}

describe("the README's token-cache library example", () => {
  it('runs as printed: gets a token, persists it 0600, reuses it after a restart, and survives a 401 with a rotated refresh token', async () => {
    const first = await runDemo();
    expect(first.user).toBeDefined();
    expect(first.user).not.toBe('undefined');
    expect(first.report.state).toBe('valid');
    expect(first.report.cache_metrics).toMatchObject({ refresh_attempts: 1, refresh_successes: 1 });
    expect(first.report.token_info.time_until_expiry_minutes).toBeGreaterThan(50);
    expect(emu.stats().tokenGrants.refresh_token).toBe(1);
    const file = join(consumer, 'spotify-token.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The emulator rotated the refresh token (and killed the seed); the file keeps the new one.
    const [rotated] = emu.validRefreshTokens();
    expect(rotated).not.toBe(DEMO_REFRESH_TOKEN);
    expect(await readFile(file, 'utf8')).toContain(rotated);

    // A restart reuses the stored token: no new grant.
    const second = await runDemo();
    expect(second.user).toBe(first.user);
    expect(second.report.cache_metrics).toMatchObject({ refresh_attempts: 0, cache_hits: 1 });
    expect(emu.stats().tokenGrants.refresh_token).toBe(1);

    // Spotify rejects the stored token: the 401 path refreshes with the rotated refresh token.
    emu.revokeAccessTokens();
    const third = await runDemo();
    expect(third.user).toBe(first.user);
    expect(third.report.cache_metrics).toMatchObject({ refresh_attempts: 1, refresh_successes: 1 });
    expect(emu.stats().tokenGrants.refresh_token).toBe(2);
    // The program prints no token.
    const stored = JSON.parse(await readFile(file, 'utf8')).record as Record<string, string>;
    const secrets = [stored.accessToken, stored.refreshToken, rotated, DEMO_REFRESH_TOKEN];
    expect(secrets.every((x) => typeof x === 'string' && x.length > 8)).toBe(true);
    for (const out of [first, second, third]) for (const x of secrets) expect(out.stdout).not.toContain(x);
  }, 60_000);
});
