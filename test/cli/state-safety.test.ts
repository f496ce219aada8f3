/** `spotipi start` (the built CLI, a detached server) on a state dir it must not start on. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { destroySandbox, ensureBuilt, makeSandbox, type Sandbox, serverEnv, spotipi } from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

let sandbox: Sandbox | undefined;
afterEach(() => {
  if (sandbox) destroySandbox(sandbox);
  sandbox = undefined;
});

describe('spotipi start on an alarms file it cannot read safely', () => {
  it('exits 2 with the reason and the log lines, leaves the file alone, and no server runs', async () => {
    sandbox = await makeSandbox(serverEnv());
    mkdirSync(sandbox.stateDir, { recursive: true });
    const file = join(sandbox.stateDir, 'alarms.json');
    const text = '{"version": 3, "alarms": []}\n';
    writeFileSync(file, text);
    const start = await spotipi(sandbox, ['start']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('SpotiPi failed to start: a state file cannot be read safely');
    expect(start.stderr).toContain('written by a newer SpotiPi (file version 3; this one reads up to 1)');
    expect(readFileSync(file, 'utf8')).toBe(text);
    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(3);
  });
});
