import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOW_POWER_NODE_FLAGS, SERVER_NODE_FLAGS, serverNodeFlags } from './node-flags.js';

const run = promisify(execFile);
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('server V8 flags', () => {
  it.each([
    ['standard', false],
    ['low-power', true],
  ])(
    'the %s profile leaves Node able to fetch (Spotify calls), with no warning on stderr',
    async (_name, low) => {
      const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => console.log(t))`;
      const { stdout, stderr } = await run(process.execPath, [...serverNodeFlags(low), '-e', script]);
      expect(stdout.trim()).toBe('pong');
      expect(stderr).toBe('');
    },
  );

  it.each([
    ['standard', false],
    ['low-power', true],
  ])('the %s profile exposes gc, for the collection when requests stop', async (_name, low) => {
    const { stdout } = await run(process.execPath, [...serverNodeFlags(low), '-e', 'console.log(typeof gc)']);
    expect(stdout.trim()).toBe('function');
  });

  it('the low-power profile keeps the standard flags and adds a bounded heap', () => {
    expect(serverNodeFlags(false)).toEqual(SERVER_NODE_FLAGS);
    expect(LOW_POWER_NODE_FLAGS).toEqual(expect.arrayContaining([...SERVER_NODE_FLAGS]));
    expect(LOW_POWER_NODE_FLAGS.some((f) => f.startsWith('--max-old-space-size='))).toBe(true);
  });
});
