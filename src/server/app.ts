import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { installAccessControl, installCrossSiteGuard } from './access.js';
import type { AppDeps } from './deps.js';
import { handleError, notFound } from './errors.js';
import { QuietLogController } from './request-log.js';
import { artistRoutes } from './routes/artists.js';
import { authRoutes } from './routes/auth.js';
import { demoArtRoutes, rewriteEmulatorUrls } from './routes/demo-art.js';
import { healthRoutes } from './routes/health.js';
import { libraryRoutes } from './routes/library.js';
import { librarySectionRoutes } from './routes/library-sections.js';
import { loginRoutes } from './routes/login.js';
import { metricsRoutes } from './routes/metrics.js';
import { playbackRoutes } from './routes/playback.js';
import { playerExtraRoutes } from './routes/player-extras.js';
import { queueRoutes } from './routes/queue.js';
import { searchRoutes } from './routes/search.js';
import { tokenCacheRoutes } from './routes/token-cache.js';
import { webRoutes } from './routes/web.js';

/** Largest request body accepted (JSON and forms). */
const BODY_LIMIT = 64 * 1024;

/** Builds the Fastify app from injected parts; the caller listens (port 0 in tests) and closes it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new QuietLogController(),
    bodyLimit: BODY_LIMIT,
    // Fastify's own 4xx on bad framing still goes through handleError.
    return503OnClosing: true,
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false } },
  });

  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    handleError(notFound(`No route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  // An empty JSON body (a bodiless POST from fetch with a JSON content type) means "no options".
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') return done(null, undefined);
    defaultJson(request, body as string, done);
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'https:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        manifestSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'", deps.config.spotify.accountsUrl],
      },
    },
    // Served over plain HTTP on a home network: no HSTS, no upgrade of subresources.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cookie, { secret: deps.sessionSecret });
  await app.register(formbody, { bodyLimit: BODY_LIMIT });

  installCrossSiteGuard(app);
  installAccessControl(app, {
    password: deps.config.access.password,
    apiToken: deps.config.access.apiToken,
    clock: deps.clock,
  });

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  const emulatorUrl = deps.emulatorUrl;
  if (emulatorUrl) {
    app.addHook('onSend', async (_request, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      return typeof payload === 'string' && type.startsWith('application/json')
        ? rewriteEmulatorUrls(payload, emulatorUrl)
        : payload;
    });
  }

  const opts = { deps };
  await app.register(healthRoutes, opts);
  await app.register(metricsRoutes, opts);
  await app.register(authRoutes, opts);
  await app.register(loginRoutes, opts);
  await app.register(tokenCacheRoutes, opts);
  await app.register(playbackRoutes, opts);
  await app.register(libraryRoutes, opts);
  await app.register(searchRoutes, opts);
  await app.register(queueRoutes, opts);
  await app.register(playerExtraRoutes, opts);
  await app.register(librarySectionRoutes, opts);
  await app.register(artistRoutes, opts);
  await app.register(demoArtRoutes, opts);
  for (const extra of deps.plugins ?? []) {
    await app.register(extra.plugin as never, (extra.options ?? {}) as never);
  }
  await app.register(webRoutes, opts);
  return app;
}
