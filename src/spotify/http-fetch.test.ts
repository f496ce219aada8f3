import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from '../emulator/demo-credentials.js';
import { startEmulator } from '../emulator/server.js';
import type { RunningEmulator } from '../emulator/types.js';
import { ReauthorizationRequiredError, RetryableRefreshError } from '../token/errors.js';
import { AccountsClient } from './accounts-client.js';
import { SpotifyUnavailableError } from './errors.js';
import { createHttpFetch, type HttpFetch } from './http-fetch.js';
import { SpotifyWebApi } from './web-api-client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A loopback server whose answer each test sets; counts connections and keeps the requests. */
async function testServer(handler: Handler) {
  const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});
function track<T extends { close(): Promise<void> | void }>(thing: T): T {
  opened.push(thing);
  return thing;
}
function httpFetch(options?: Parameters<typeof createHttpFetch>[0]): HttpFetch {
  return track(createHttpFetch(options));
}

describe('createHttpFetch', () => {
  it('answers with the status, headers and body the server sent', async () => {
    const srv = track(
      await testServer((_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json', 'retry-after': '7' }).end('{"a":1}');
      }),
    );
    const res = await httpFetch()(`${srv.url}/v1/me?x=1`, {
      method: 'GET',
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('Retry-After')).toBe('7');
    expect(res.headers.get('x-absent')).toBeNull();
    expect(JSON.parse(await res.text())).toEqual({ a: 1 });
    expect(srv.requests[0]).toMatchObject({ method: 'GET', url: '/v1/me?x=1' });
    expect(srv.requests[0]?.headers.accept).toBe('application/json');
  });

  it('reports a 4xx or 5xx answer as not ok, with its body', async () => {
    const srv = track(await testServer((_req, res) => res.writeHead(503).end('down')));
    const res = await httpFetch()(srv.url, { method: 'GET', headers: {} });
    expect(res.status).toBe(503);
    expect(res.ok).toBe(false);
    expect(await res.text()).toBe('down');
  });

  it('sends a form body and a JSON body with their length', async () => {
    const srv = track(await testServer((_req, res) => res.end('ok')));
    const fetch = httpFetch();
    await fetch(srv.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r t' }),
    });
    await fetch(srv.url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"ü":1}' });
    expect(srv.requests[0]?.body).toBe('grant_type=refresh_token&refresh_token=r+t');
    expect(srv.requests[1]?.body).toBe('{"ü":1}');
    expect(srv.requests[1]?.headers['content-length']).toBe(String(Buffer.byteLength('{"ü":1}')));
  });

  it('asks for gzip and unpacks a gzip answer', async () => {
    const srv = track(
      await testServer((req, res) => {
        const gzip = String(req.headers['accept-encoding']).includes('gzip');
        res.writeHead(200, gzip ? { 'content-encoding': 'gzip' } : {});
        res.end(gzip ? gzipSync('{"packed":true}') : '{"packed":false}');
      }),
    );
    const res = await httpFetch()(srv.url, { method: 'GET', headers: {} });
    expect(JSON.parse(await res.text())).toEqual({ packed: true });
  });

  it('keeps one connection for calls in a row', async () => {
    const srv = track(await testServer((_req, res) => res.end('ok')));
    const fetch = httpFetch();
    for (let i = 0; i < 3; i++) await (await fetch(srv.url, { method: 'GET', headers: {} })).text();
    expect(srv.connections()).toBe(1);
  });

  it('sends a GET again on a new connection when the kept one was closed under it', async () => {
    let n = 0;
    const srv = track(
      await testServer((req, res) => {
        n++;
        // The second request arrives on the kept connection: drop it without answering.
        if (n === 2) req.socket.destroy();
        else res.end(`answer ${n}`);
      }),
    );
    const fetch = httpFetch();
    expect(await (await fetch(srv.url, { method: 'GET', headers: {} })).text()).toBe('answer 1');
    expect(await (await fetch(srv.url, { method: 'GET', headers: {} })).text()).toBe('answer 3');
    expect(srv.connections()).toBe(2);
  });

  it('does not repeat a command whose kept connection was closed under it', async () => {
    let n = 0;
    const srv = track(
      await testServer((req, res) => {
        n++;
        if (n === 2) req.socket.destroy();
        else res.end('ok');
      }),
    );
    const fetch = httpFetch();
    await (await fetch(srv.url, { method: 'PUT', headers: {} })).text();
    const err = await fetch(srv.url, { method: 'PUT', headers: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(srv.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
  });

  it('fails as fetch does when nothing listens: a TypeError whose cause names the error', async () => {
    const srv = await testServer(() => {});
    await srv.close();
    const err = await httpFetch()(srv.url, { method: 'GET', headers: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('rejects with the signal reason when aborted mid-request, and at once when aborted before', async () => {
    const srv = track(await testServer(() => {})); // never answers
    const fetch = httpFetch();
    const controller = new AbortController();
    const pending = fetch(srv.url, { method: 'GET', headers: {}, signal: controller.signal });
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    const before = AbortSignal.abort(new Error('already'));
    await expect(fetch(srv.url, { method: 'GET', headers: {}, signal: before })).rejects.toThrow('already');
    // Only the first request reached the server.
    expect(srv.requests).toHaveLength(1);
  });

  it('refuses an answer larger than maxBodyBytes', async () => {
    const srv = track(await testServer((_req, res) => res.end('x'.repeat(5000))));
    const err = await httpFetch({ maxBodyBytes: 1000 })(srv.url, { method: 'GET', headers: {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
  });

  it('refuses a URL that is neither http nor https', async () => {
    await expect(httpFetch()('ftp://example.invalid/', { method: 'GET', headers: {} })).rejects.toThrow(
      'unsupported protocol',
    );
  });
});

describe('the Spotify clients on createHttpFetch (as the server runs them)', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ tokenLifetimeSec: 600, initialPlayback: 'playing' });
  });
  afterAll(async () => {
    await emu.close();
  });
  afterEach(() => emu.reset());

  const accounts = (timeoutMs?: number) =>
    new AccountsClient({
      baseUrl: emu.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
      fetch: httpFetch(),
      ...(timeoutMs ? { timeoutMs } : {}),
    });

  it('refreshes a token, and maps a revoked refresh token to ReauthorizationRequiredError', async () => {
    expect((await accounts().refreshAccessToken(DEMO_REFRESH_TOKEN)).accessToken).toMatch(/^BQ/);
    emu.injectFault({ target: 'token', kind: 'invalid_grant' });
    await expect(accounts().refreshAccessToken(DEMO_REFRESH_TOKEN)).rejects.toBeInstanceOf(
      ReauthorizationRequiredError,
    );
  });

  it('turns a slow token endpoint into a retryable timeout and a 429 into its Retry-After', async () => {
    emu.injectFault({ target: 'token', kind: 'delay', delayMs: 2_000 });
    const slow = await accounts(100)
      .refreshAccessToken(DEMO_REFRESH_TOKEN)
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(RetryableRefreshError);
    expect((slow as Error).message).toContain('timed out');
    emu.injectFault({ target: 'token', kind: 'rate_limit', retryAfterSec: 3 });
    const limited = await accounts()
      .refreshAccessToken(DEMO_REFRESH_TOKEN)
      .catch((e: unknown) => e);
    expect((limited as RetryableRefreshError).retryAfterMs).toBe(3_000);
  });

  it('names the network error when the accounts service is unreachable', async () => {
    const srv = await testServer(() => {});
    await srv.close();
    const client = new AccountsClient({
      baseUrl: srv.url,
      clientId: 'id',
      clientSecret: 's',
      fetch: httpFetch(),
    });
    await expect(client.refreshAccessToken('r')).rejects.toThrow('ECONNREFUSED');
  });

  it('reads and commands through the Web API client, including a 5xx answer', async () => {
    const tokens = accounts();
    const api = new SpotifyWebApi({
      baseUrl: emu.url,
      fetch: httpFetch(),
      maxGetRetries: 0,
      tokens: {
        getAccessToken: async () => (await tokens.refreshAccessToken(DEMO_REFRESH_TOKEN)).accessToken,
        invalidate: () => {},
      },
    });
    expect((await api.getCurrentUser()).id).toBe('spotipi-demo');
    expect((await api.getDevices()).length).toBeGreaterThan(0);
    await api.pause();
    expect(emu.stats().apiCalls['PUT /v1/me/player/pause']).toEqual({ '204': 1 });
    emu.injectFault({ target: 'api', kind: 'status', status: 503 });
    await expect(api.getCurrentUser()).rejects.toBeInstanceOf(SpotifyUnavailableError);
  });
});
