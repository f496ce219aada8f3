import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { escapeHtml } from './html.js';

/** Content types of the files the web UI ships. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** A content-hashed build name (`main-1A2B3C4D.js`): its bytes never change, so browsers keep it. */
export const HASHED_NAME = /-[A-Z0-9]{8}\.(js|css|json)$/;
/** A year, the longest max-age worth sending. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Everything else may change with an upgrade: browsers revalidate (a 304 when unchanged). */
const REVALIDATE = 'no-cache';

/** Encodings we keep precompressed beside a file, in order of preference. */
const ENCODINGS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/** Options of the static plugin. */
export interface StaticFilesOptions {
  /** Directory served at `/`; `index.html` answers `/`. */
  root: string;
  /** Whether `/` serves `index.html` (default true). */
  index?: boolean;
  /**
   * `data-*` attributes added to the `<html>` tag of HTML pages: facts the page would otherwise
   * fetch (the server's mode), one request fewer on every visit. Such pages are compressed once
   * per file version and kept.
   */
  htmlData?: Record<string, string>;
}

/**
 * Which encoding to send: the first of ours (br, then gzip) that `Accept-Encoding` allows with a
 * non-zero q-value, or undefined for the plain file.
 */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  available: Iterable<string>,
): string | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const have = new Set(available);
  for (const [encoding] of ENCODINGS) {
    const q = accepted.get(encoding) ?? accepted.get('*');
    if (have.has(encoding) && q !== undefined && q > 0) return encoding;
  }
  return undefined;
}

/** The cache policy for a path: immutable for content-hashed names, revalidate for the rest. */
export function cacheControlFor(path: string): string {
  return HASHED_NAME.test(path) ? IMMUTABLE : REVALIDATE;
}

/**
 * Serves the web UI's files: precompressed `.br`/`.gz` variants when the browser accepts them
 * (`Vary: Accept-Encoding`), immutable caching for content-hashed names, ETag revalidation for the
 * rest. Paths that leave the root, hidden files and the compressed copies themselves are 404s.
 */
export const staticFiles: FastifyPluginAsync<StaticFilesOptions> = async (app, options) => {
  const root = normalize(options.root);
  const pages = new HtmlPages(options.htmlData ?? {});

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodePath(request.url);
    const file = path === undefined ? undefined : resolveInside(root, path === '/' ? '/index.html' : path);
    const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
    if (file === undefined || !info?.isFile()) return reply.callNotFound();

    if (options.htmlData && file.endsWith('.html')) {
      const page = await pages.get(file, info);
      reply.header('cache-control', cacheControlFor(file));
      reply.header('etag', page.etag);
      reply.header('vary', 'Accept-Encoding');
      reply.type(TYPES['.html']!);
      if (request.headers['if-none-match'] === page.etag) return reply.code(304).send();
      const encoding = chooseEncoding(request.headers['accept-encoding'], ['br', 'gzip']);
      if (encoding) reply.header('content-encoding', encoding);
      return reply.send(encoding === 'br' ? page.br : encoding === 'gzip' ? page.gzip : page.plain);
    }

    // Read per request (the kernel's page cache keeps them): nothing held in the heap.
    const variants = new Map<string, string>();
    for (const [encoding, suffix] of ENCODINGS) {
      if (await isFile(file + suffix)) variants.set(encoding, file + suffix);
    }
    const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    reply.header('cache-control', cacheControlFor(file));
    reply.header('etag', etag);
    reply.header('last-modified', info.mtime.toUTCString());
    if (variants.size > 0) reply.header('vary', 'Accept-Encoding');
    reply.type(TYPES[extname(file)] ?? 'application/octet-stream');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    const encoding = chooseEncoding(request.headers['accept-encoding'], variants.keys());
    if (encoding) reply.header('content-encoding', encoding);
    const body = await readFile(encoding ? variants.get(encoding)! : file);
    return reply.send(body);
  };

  app.get('/*', serve);
  if (options.index !== false) app.get('/', serve);
};

/** HTML pages with the server's `data-*` attributes, compressed once per file version. */
class HtmlPages {
  private readonly cache = new Map<string, { version: string; page: Page }>();
  private readonly attributes: string;

  constructor(data: Record<string, string>) {
    this.attributes = Object.entries(data)
      .map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`)
      .join('');
  }

  /** The page for `file` as it is on disk now. */
  async get(file: string, info: Stats): Promise<Page> {
    const version = `${info.size}-${info.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit?.version === version) return hit.page;
    const html = (await readFile(file, 'utf8')).replace(/<html\b/i, `$&${this.attributes}`);
    const plain = Buffer.from(html);
    const page: Page = {
      plain,
      br: brotliCompressSync(plain, {
        params: {
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_QUALITY]: 9,
        },
      }),
      gzip: gzipSync(plain, { level: 9 }),
      etag: `W/"${createHash('sha1').update(plain).digest('base64url').slice(0, 16)}"`,
    };
    this.cache.set(file, { version, page });
    return page;
  }
}

interface Page {
  plain: Buffer;
  br: Buffer;
  gzip: Buffer;
  etag: string;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** The URL's path, decoded, or undefined when it cannot be (bad escapes, NUL). */
function decodePath(url: string): string | undefined {
  const raw = url.split('?')[0] ?? '/';
  try {
    const path = decodeURIComponent(raw);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/**
 * The file under `root` for a URL path, or undefined for paths that leave it, hidden names
 * (`.env`, `.git`) and the precompressed copies (served only through content negotiation).
 */
export function resolveInside(root: string, path: string): string | undefined {
  const segments = path.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s.startsWith('.') || s.includes('\\'))) return undefined;
  if (/\.(br|gz)$/.test(path)) return undefined;
  const file = normalize(join(root, ...segments));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : undefined;
}
