import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheControlFor, chooseEncoding, resolveInside, staticFiles } from './static-files.js';

const BUNDLE = `export const page = "${'x'.repeat(2000)}";\n`;
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A web root like the build's: a hashed bundle with .br/.gz beside it, an index page, a secret. */
async function serve(htmlData?: Record<string, string>): Promise<FastifyInstance> {
  const root = mkdtempSync(join(tmpdir(), 'spotipi-static-'));
  mkdirSync(join(root, 'js'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><title>SpotiPi</title></html>');
  writeFileSync(join(root, 'js/main-1A2B3C4D.js'), BUNDLE);
  writeFileSync(join(root, 'js/main-1A2B3C4D.js.br'), brotliCompressSync(BUNDLE));
  writeFileSync(join(root, 'js/main-1A2B3C4D.js.gz'), gzipSync(BUNDLE));
  writeFileSync(join(root, '.env'), 'SPOTIFY_CLIENT_SECRET=nope');
  app = Fastify();
  await app.register(staticFiles, { root, ...(htmlData ? { htmlData } : {}) });
  return app;
}

describe('static files', () => {
  it('send the precompressed brotli copy to browsers that accept it, gzip to those that only take gzip', async () => {
    const server = await serve();
    const br = await server.inject({
      url: '/js/main-1A2B3C4D.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(br.headers['content-length'])).toBeLessThan(BUNDLE.length / 10);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(BUNDLE);

    const gz = await server.inject({ url: '/js/main-1A2B3C4D.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(BUNDLE);

    const plain = await server.inject({
      url: '/js/main-1A2B3C4D.js',
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(BUNDLE);
  });

  it('mark content-hashed names immutable for a year, and make the page itself revalidate', async () => {
    const server = await serve();
    const bundle = await server.inject({ url: '/js/main-1A2B3C4D.js' });
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await server.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>SpotiPi</title>');
    expect(index.headers['cache-control']).toBe('no-cache');
  });

  it('answer a revalidation of an unchanged file with 304 and no body', async () => {
    const server = await serve();
    const first = await server.inject({ url: '/' });
    const again = await server.inject({ url: '/', headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('refuse paths outside the root, hidden files and the compressed copies themselves', async () => {
    const server = await serve();
    for (const url of [
      '/.env',
      '/../package.json',
      '/%2e%2e/package.json',
      '/js/main-1A2B3C4D.js.br',
      '/nope.js',
    ]) {
      expect((await server.inject({ url })).statusCode, url).toBe(404);
    }
    // A broken escape never reaches the disk.
    expect((await server.inject({ url: '/%E0%A4%A' })).statusCode).toBe(400);
  });
});

describe('pages with the server facts', () => {
  it('write the server facts into the <html> tag, compressed, so the page need not ask /healthz', async () => {
    const server = await serve({ mode: 'demo', 'low-power': 'true' });
    const br = await server.inject({ url: '/', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('no-cache');
    const html = brotliDecompressSync(br.rawPayload).toString();
    expect(html).toContain('<html data-mode="demo" data-low-power="true">');
    const plain = await server.inject({ url: '/index.html' });
    expect(plain.body).toBe(html);
    const again = await server.inject({ url: '/', headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('escape the values they write', async () => {
    const server = await serve({ mode: '"><script>x</script>' });
    expect((await server.inject({ url: '/' })).body).toContain(
      'data-mode="&#34;&#62;&#60;script&#62;x&#60;/script&#62;"',
    );
  });
});

describe('content negotiation and paths', () => {
  it('prefer brotli, honour q=0 and wildcards', () => {
    expect(chooseEncoding('gzip, br', ['br', 'gzip'])).toBe('br');
    expect(chooseEncoding('br;q=0, gzip', ['br', 'gzip'])).toBe('gzip');
    expect(chooseEncoding('*', ['gzip'])).toBe('gzip');
    expect(chooseEncoding('deflate', ['br', 'gzip'])).toBeUndefined();
    expect(chooseEncoding(undefined, ['br'])).toBeUndefined();
    expect(chooseEncoding('br', [])).toBeUndefined();
  });

  it('call only 8-character upper-case hashes immutable', () => {
    expect(cacheControlFor('/js/main-ABCD1234.js')).toContain('immutable');
    expect(cacheControlFor('/i18n/catalogue-ABCD1234.json')).toContain('immutable');
    expect(cacheControlFor('/js/main.js')).toBe('no-cache');
    expect(cacheControlFor('/icons/icon-192.png')).toBe('no-cache');
    expect(cacheControlFor('/sw.js')).toBe('no-cache');
  });

  it('resolve inside the root only', () => {
    expect(resolveInside('/srv/web', '/js/a.js')).toBe('/srv/web/js/a.js');
    expect(resolveInside('/srv/web', '/../etc/passwd')).toBe(
      '/srv/etc/passwd'.startsWith('/srv/web/') ? '' : undefined,
    );
    expect(resolveInside('/srv/web', '/a/.git/config')).toBeUndefined();
    expect(resolveInside('/srv/web', '/a\\..\\b')).toBeUndefined();
  });
});
