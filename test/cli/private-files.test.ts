import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { destroySandbox, ensureBuilt, makeSandbox, type Sandbox, serverEnv, spotipi } from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

let sandbox: Sandbox | undefined;
afterEach(() => {
  if (sandbox) destroySandbox(sandbox);
  sandbox = undefined;
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

it('keeps the state dir and logs/ 0700 and the log and pid files 0600, even when they existed wider', async () => {
  sandbox = await makeSandbox(serverEnv());
  // Left by an older version: world-readable state dir, group-readable log.
  mkdirSync(join(sandbox.stateDir, 'logs'), { recursive: true, mode: 0o755 });
  chmodSync(sandbox.stateDir, 0o755);
  chmodSync(dirname(sandbox.logFile), 0o755);
  writeFileSync(sandbox.logFile, 'old line\n', { mode: 0o644 });
  chmodSync(sandbox.logFile, 0o644);

  const start = await spotipi(sandbox, ['start']);
  expect(start.code, start.stderr).toBe(0);
  try {
    expect(modeOf(sandbox.stateDir).toString(8)).toBe('700');
    expect(modeOf(dirname(sandbox.logFile)).toString(8)).toBe('700');
    expect(modeOf(sandbox.logFile).toString(8)).toBe('600');
    expect(modeOf(sandbox.pidFile).toString(8)).toBe('600');
  } finally {
    expect((await spotipi(sandbox, ['stop'])).code).toBe(0);
  }
}, 60_000);
