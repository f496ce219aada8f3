import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installJsonCompression } from './compress-json.js';

const library = {
  playlists: Array.from({ length: 100 }, (_, i) => ({ id: `p${i}`, name: `Playlist ${i}` })),
};
let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(): Promise<FastifyInstance> {
  app = Fastify();
  installJsonCompression(app);
  app.get('/big', async () => library);
  app.get('/small', async () => ({ ok: true }));
  app.get('/text', async (_req, reply) => reply.type('text/plain').send('x'.repeat(5000)));
  return app;
}

describe('JSON compression', () => {
  it('compresses a large JSON answer with brotli, or gzip, as the browser accepts', async () => {
    const server = await build();
    const br = await server.inject({ url: '/big', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('Accept-Encoding');
    expect(br.rawPayload.length).toBeLessThan(JSON.stringify(library).length / 4);
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(library);

    const gz = await server.inject({ url: '/big', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.rawPayload).toString())).toEqual(library);
  });

  it('leaves small answers, other types and clients that accept nothing compressed alone', async () => {
    const server = await build();
    const small = await server.inject({ url: '/small', headers: { 'accept-encoding': 'br' } });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.json()).toEqual({ ok: true });
    const text = await server.inject({ url: '/text', headers: { 'accept-encoding': 'br' } });
    expect(text.headers['content-encoding']).toBeUndefined();
    const plain = await server.inject({ url: '/big' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json()).toEqual(library);
  });
});
