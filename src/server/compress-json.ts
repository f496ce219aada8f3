import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { chooseEncoding } from './static-files.js';

/** Smaller bodies gain less than the compression headers cost. */
const MIN_BYTES = 1024;
/** Fast settings: a Pi compresses a 20 KB library in well under a millisecond at these levels. */
const BROTLI_QUALITY = 4;
const GZIP_LEVEL = 6;

/**
 * Compresses JSON answers of 1 KB and more (the music library, playback state) for browsers that
 * accept br or gzip: over Wi-Fi the library's 20+ KB become a few KB. Static files are
 * precompressed at build time instead (static-files.ts); other bodies pass through.
 */
export function installJsonCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' || Buffer.byteLength(payload) < MIN_BYTES) return payload;
    if (reply.getHeader('content-encoding') !== undefined) return payload;
    if (!String(reply.getHeader('content-type') ?? '').startsWith('application/json')) return payload;
    reply.header('vary', 'Accept-Encoding');
    const encoding = chooseEncoding(request.headers['accept-encoding'], ['br', 'gzip']);
    if (!encoding) return payload;
    const body =
      encoding === 'br'
        ? brotliCompressSync(payload, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
              [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            },
          })
        : gzipSync(payload, { level: GZIP_LEVEL });
    reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    return body;
  });
}
