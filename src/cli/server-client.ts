import { connect } from 'node:net';

/** The URL a local client uses to reach a server bound to `host` (wildcards become loopback). */
export function localUrl(host: string, port: number): string {
  let h = host;
  if (h === '0.0.0.0' || h === '') h = '127.0.0.1';
  else if (h === '::' || h === '[::]') h = '::1';
  if (h.includes(':') && !h.startsWith('[')) h = `[${h}]`;
  return `http://${h}:${port}`;
}

/** Outcome of one request to the running server. */
export type FetchResult =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status?: number; reason: string };

/** GETs `path` from the server as JSON, with a bearer token when the server needs one. Never throws. */
export async function getJson(
  baseUrl: string,
  path: string,
  options: { token?: string | undefined; timeoutMs?: number } = {},
): Promise<FetchResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  try {
    const res = await fetch(new URL(path, baseUrl), {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Keep the raw text; callers decide whether that is acceptable.
    }
    if (!res.ok) {
      return { ok: false, status: res.status, reason: `${path} answered ${res.status}${errorMessage(body)}` };
    }
    return { ok: true, status: res.status, body };
  } catch (err) {
    return { ok: false, reason: `${path}: ${describeFetchError(err)}` };
  }
}

function errorMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? ` (${message})` : '';
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  const target = new URL(localUrl(host, port)).hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host: target, port });
    const finish = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
