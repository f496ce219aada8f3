import type { IncomingMessage, ServerResponse } from 'node:http';

/** Body too large or unreadable. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body as text (at most `limit` bytes). */
export function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyError(413, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes a JSON answer (unless the client has gone). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'private, max-age=0',
    ...headers,
  });
  res.end(text);
}

/** Writes a raw answer. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** 204 No Content. */
export function sendNoContent(res: ServerResponse): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(204);
  res.end();
}

/** Spotify's Web API error body: `{"error":{"status","message","reason?"}}`. */
export function sendApiError(
  res: ServerResponse,
  status: number,
  message: string,
  reason?: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: reason ? { status, message, reason } : { status, message } }, headers);
}

/** The house error body for the emulator's own admin routes (names the bad field). */
export function sendAdminError(res: ServerResponse, status: number, message: string, field?: string): void {
  sendJson(res, status, { error: field ? { status, message, field } : { status, message } });
}

/** A path pattern like `/v1/playlists/:id/tracks` compiled to a matcher; `template` is its metrics label. */
export interface Route<H> {
  method: string;
  template: string;
  regex: RegExp;
  keys: string[];
  handler: H;
}

export function route<H>(method: string, pattern: string, handler: H): Route<H> {
  const keys: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/:([a-z_]+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    })}/?$`,
  );
  return { method, template: pattern.replace(/:([a-z_]+)/g, '{$1}'), regex, keys, handler };
}

/** Finds the route for a request: the match, `405` when only the method is wrong, or undefined. */
export function matchRoute<H>(
  routes: Route<H>[],
  method: string,
  path: string,
): { route: Route<H>; params: Record<string, string> } | 405 | undefined {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route: r, params };
  }
  return pathMatched ? 405 : undefined;
}
