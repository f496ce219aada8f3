import type { FastifyPluginAsync } from 'fastify';
import { createHttpFetch } from '../../spotify/http-fetch.js';
import type { AppDeps } from '../deps.js';
import { notFound } from '../errors.js';

/**
 * Demo mode only: the emulator listens on loopback, so a phone cannot load its cover art. The
 * app passes `/__emulator/art/*` through and rewrites the emulator's origin out of JSON answers.
 */
export const demoArtRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  const origin = deps.emulatorUrl;
  if (!origin) return;
  // Not the global fetch: it loads undici and its WebAssembly parser (see createHttpFetch).
  const fetch = createHttpFetch();
  app.addHook('onClose', async () => fetch.close());

  app.get('/__emulator/art/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!/^[A-Za-z0-9_-]+\.svg$/.test(file)) throw notFound();
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    // After first-run setup the emulator is gone: art still on an open page is simply not found.
    const res = await fetch(`${origin}/__emulator/art/${file}${query}`, { method: 'GET', headers: {} }).catch(
      () => undefined,
    );
    if (!res?.ok) throw notFound();
    return reply
      .type(res.headers.get('content-type') ?? 'image/svg+xml')
      .header('cache-control', 'public, max-age=86400')
      .send(await res.text());
  });
};

/** Rewrites absolute emulator art URLs in a JSON payload to this server's own path. */
export function rewriteEmulatorUrls(payload: string, emulatorUrl: string): string {
  return payload.replaceAll(`${emulatorUrl}/__emulator/art/`, '/__emulator/art/');
}
