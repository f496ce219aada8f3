import type { ClientRequest, Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import { Agent, request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** What the Spotify clients send: the subset of `fetch`'s options they use. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | URLSearchParams;
  signal?: AbortSignal;
}

/** What the Spotify clients read of an answer (a WHATWG `Response` has all of it). */
export interface FetchedResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** The request function the Spotify clients take; global `fetch` fits it, so does `createHttpFetch()`. */
export type SpotifyFetch = (url: string, init: FetchInit) => Promise<FetchedResponse>;

/** Options of `createHttpFetch`. */
export interface HttpFetchOptions {
  /**
   * How long an idle connection is kept for the next call, in ms; default 4,000 (as `fetch`
   * does): the UI's polling reuses one TLS connection instead of a handshake per call.
   */
  keepAliveMs?: number;
  /** Connections per host at most; default 4 (the library loads its pages four at a time). */
  maxSockets?: number;
  /** Largest answer accepted, in bytes (after decompression); default 16 MiB. */
  maxBodyBytes?: number;
}

/** A `SpotifyFetch` on Node's http/https modules, with `close()` to drop idle connections. */
export interface HttpFetch extends SpotifyFetch {
  close(): void;
}

/**
 * A `fetch` for the Spotify clients on Node's `http`/`https` modules. Node's global `fetch` loads
 * undici, whose first call compiles its HTTP parser (WebAssembly): measured in a bare Node 20,
 * 20 calls cost 4.8 MB of private memory, 5.2 MB more of the Node binary and a 30 MB peak of
 * V8's malloc'd memory (which glibc keeps), against 1.4 / 1.5 / 0 MB for the same calls here —
 * a third of what a Pi server adds after its first Spotify call.
 *
 * Behaves as `fetch` does where the clients can tell: rejects with a TypeError whose `cause` is
 * the network error (`ECONNREFUSED`, ...), with `signal.reason` when aborted, keeps connections
 * alive, accepts gzip. A GET on a reused connection that the server had closed meanwhile
 * (ECONNRESET before any answer) is sent once more on a new one, as Node's documentation advises;
 * commands (PUT, POST) are not repeated here: their callers decide.
 */
export function createHttpFetch(options: HttpFetchOptions = {}): HttpFetch {
  const keepAliveMs = options.keepAliveMs ?? 4_000;
  const maxSockets = options.maxSockets ?? 4;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const agentOptions = { keepAlive: true, timeout: keepAliveMs, maxSockets, scheduling: 'lifo' as const };
  const http = new Agent(agentOptions);
  // TLS is loaded with the first https URL (the emulator and tests speak plain http).
  let https: { agent: HttpAgent; request: typeof httpRequest } | undefined;
  const transport = async (protocol: string) => {
    if (protocol === 'http:') return { agent: http, request: httpRequest };
    if (protocol !== 'https:') throw new TypeError(`unsupported protocol ${protocol}`);
    if (!https) {
      const mod = await import('node:https');
      https = { agent: new mod.Agent(agentOptions), request: mod.request };
    }
    return https;
  };

  const send = async (url: URL, init: FetchInit, retried: boolean): Promise<FetchedResponse> => {
    const { agent, request } = await transport(url.protocol);
    const body = init.body === undefined ? undefined : Buffer.from(String(init.body));
    const headers: Record<string, string> = { 'accept-encoding': 'gzip', ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    const requestOptions: RequestOptions = { method: init.method, headers, agent };
    return new Promise<FetchedResponse>((resolve, reject) => {
      if (init.signal?.aborted) return reject(init.signal.reason);
      let answered = false;
      const req: ClientRequest = request(url, requestOptions, (res) => {
        answered = true;
        readBody(res, maxBodyBytes).then(
          (bytes) => resolve(toResponse(res, bytes)),
          (err: unknown) => reject(init.signal?.aborted ? init.signal.reason : networkError(err)),
        );
      });
      const onAbort = () => req.destroy(init.signal?.reason);
      init.signal?.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => init.signal?.removeEventListener('abort', onAbort));
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (init.signal?.aborted) return reject(init.signal.reason);
        if (
          !answered &&
          !retried &&
          req.reusedSocket &&
          err.code === 'ECONNRESET' &&
          idempotent(init.method)
        ) {
          send(url, init, true).then(resolve, reject);
          return;
        }
        reject(networkError(err));
      });
      req.end(body);
    });
  };

  const fetchFn = ((url: string, init: FetchInit) => send(new URL(url), init, false)) as HttpFetch;
  fetchFn.close = () => {
    http.destroy();
    https?.agent.destroy();
  };
  return fetchFn;
}

/** Reads a whole answer, gunzipped when the server sent gzip. */
function readBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) res.destroy(new Error(`answer larger than ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new Error('answer cut off'));
    });
    res.once('end', () => {
      const raw = Buffer.concat(chunks);
      try {
        // Synchronous on purpose: Spotify's answers are small, and the thread pool stays idle.
        resolve(
          res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw, { maxOutputLength: maxBytes }) : raw,
        );
      } catch (err) {
        reject(err);
      }
    });
  });
}

function toResponse(res: IncomingMessage, bytes: Buffer): FetchedResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: async () => bytes.toString('utf8'),
  };
}

function idempotent(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** `fetch`'s shape of a network failure: a TypeError carrying the cause. */
function networkError(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}
