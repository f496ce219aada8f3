import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/server/logger.js';
import { type RunningServer, startServer } from '../../src/server/start.js';
import { LogCapture, tempDir, testConfig } from './helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(stateDir = tempDir()): Promise<RunningServer> {
  server = await startServer(testConfig({ PORT: '0', SPOTIPI_STATE_DIR: stateDir }), {
    logger: createLogger('silent', new LogCapture()),
    webRoot: tempDir(),
  });
  return server;
}

const create = (s: RunningServer, label: string) =>
  fetch(`${s.url}/api/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ label, time: '06:30', context_uri: 'liked' }),
  });

it.each([
  ['a right-to-left override', 'Wake \u202Eputxe.exe'],
  ['a bidi isolate', 'Wake \u2067up\u2069'],
  ['a newline', 'Wake\nup'],
  ['an escape sequence', 'Wake \u001b[31mup'],
  ['a C1 control', 'Wake \u0085up'],
])('refuses an alarm label with %s (400 naming the label)', async (_what, label) => {
  const s = await start();
  const res = await create(s, label);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error: { status: 400, field: 'label' } });
  expect(((await (await fetch(`${s.url}/api/alarms`)).json()) as { alarms: unknown[] }).alarms).toEqual([]);
});

it('accepts labels in any script, with emoji', async () => {
  const s = await start();
  expect((await create(s, 'Aufstehen ☀️ — 起きる — استيقظ')).status).toBe(201);
});

it('makes the state dir 0700 on start, also one that existed wider', async () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  await start(dir);
  expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
});

it('still loads (and rings) an alarm saved before labels were checked, its label cleaned', async () => {
  const dir = tempDir();
  let s = await start(dir);
  expect((await create(s, 'Work')).status).toBe(201);
  await s.close();
  const file = join(dir, 'alarms.json');
  const edited = readFileSync(file, 'utf8').replace('"Work"', '"Wo\\u202erk\\n"');
  expect(edited).toContain('\\u202e');
  writeFileSync(file, edited);
  s = await start(dir);
  const { alarms } = (await (await fetch(`${s.url}/api/alarms`)).json()) as { alarms: { label: string }[] };
  expect(alarms.map((a) => a.label)).toEqual(['Work']);
});
