import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { admitConnection, proxyMatcher } from '../../src/server/connection-limits.js';
import { countingRefresh, startTestApp, type TestApp } from './helpers.js';
import { closedWithin, openSocket, rawRequest } from './raw-http.js';

let t: TestApp | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await t?.close();
  t = undefined;
});

async function hold(url: string, from?: string): Promise<Socket> {
  const socket = await openSocket(url, from);
  socket.on('error', () => {});
  sockets.push(socket);
  return socket;
}

describe('slow clients', () => {
  it('answers a request whose body never finishes with 408 and closes it after the request timeout', async () => {
    t = await startTestApp({ refresh: countingRefresh(), env: { SPOTIPI_REQUEST_TIMEOUT_SECONDS: '1' } });
    const socket = await hold(t.url);
    socket.write(
      'POST /api/alarms HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    // 1 s timeout, checked every 250 ms: generous bound for a loaded CI box.
    const outcome = await closedWithin(socket, 8_000);
    expect(outcome).not.toBe('open');
    expect(outcome === 'open' ? '' : outcome.data).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection that never sends its headers', async () => {
    t = await startTestApp({ refresh: countingRefresh(), env: { SPOTIPI_REQUEST_TIMEOUT_SECONDS: '1' } });
    const socket = await hold(t.url);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await closedWithin(socket, 8_000)).not.toBe('open');
  });
});

describe('connection caps', () => {
  it('closes connections beyond the per-client cap at once, and other clients are still served', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: '4', SPOTIPI_MAX_CONNECTIONS: '100' },
    });
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await hold(t.url, '127.0.0.2'));
    const extra = await hold(t.url, '127.0.0.2');
    expect(await closedWithin(extra, 5_000)).toEqual({ data: '' });
    for (const socket of held) expect(socket.destroyed).toBe(false);
    expect((await rawRequest(t.url, '/healthz', { localAddress: '127.0.0.3' })).status).toBe(200);
    expect(t.logs.text).toContain('too many connections');
  });

  it('closes connections beyond the total cap, whoever opens them', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: '100', SPOTIPI_MAX_CONNECTIONS: '8' },
    });
    for (let i = 0; i < 8; i++) await hold(t.url, `127.0.0.${10 + i}`);
    const extra = await hold(t.url, '127.0.0.30');
    expect(await closedWithin(extra, 5_000)).toEqual({ data: '' });
    // Once one closes, a new client gets in again.
    sockets[0]?.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await rawRequest(t.url, '/healthz', { localAddress: '127.0.0.31' })).status).toBe(200);
  });

  it('decides admission from the open counts (the pure rule)', () => {
    const limits = { total: 10, perClient: 3 };
    expect(admitConnection(0, 0, limits, false)).toBe('accept');
    expect(admitConnection(9, 2, limits, false)).toBe('accept');
    expect(admitConnection(10, 0, limits, false)).toBe('total');
    expect(admitConnection(5, 3, limits, false)).toBe('per_client');
    expect(admitConnection(5, 3, limits, true)).toBe('accept');
    expect(admitConnection(10, 3, limits, true)).toBe('total');
  });

  it('exempts trusted proxies from the per-client cap, by address or CIDR range', () => {
    const trusted = proxyMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(trusted('127.0.0.1')).toBe(true);
    expect(trusted('::ffff:10.1.2.3')).toBe(true);
    expect(trusted('fd12::1')).toBe(true);
    expect(trusted('192.168.1.5')).toBe(false);
    expect(trusted('::ffff:192.168.1.5')).toBe(false);
    expect(proxyMatcher(false)('127.0.0.1')).toBe(false);
    expect(proxyMatcher(true)('203.0.113.9')).toBe(true);
  });

  it('lets a trusted proxy hold more connections than one client may', async () => {
    t = await startTestApp({
      refresh: countingRefresh(),
      env: { SPOTIPI_MAX_CONNECTIONS_PER_CLIENT: '2', SPOTIPI_TRUST_PROXY: '127.0.0.0/8' },
    });
    for (let i = 0; i < 4; i++) await hold(t.url, '127.0.0.2');
    const fifth = await hold(t.url, '127.0.0.2');
    expect(await closedWithin(fifth, 500)).toBe('open');
  });
});
