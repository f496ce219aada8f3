import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  accessControlEnabled,
  installAccessControl,
  installCrossSiteGuard,
  SESSION_MAX_AGE_SECONDS,
} from './access.js';
import { installJsonCompression } from './compress-json.js';
import { limitConnections, proxyMatcher } from './connection-limits.js';
import { installCooldowns, SPOTIFY_COSTLY_ROUTES } from './cooldowns.js';
import type { AppDeps } from './deps.js';
import { handleError, notFound, tooManyRequests } from './errors.js';
import { installHostGuard } from './host-guard.js';
import { lazyValidatorFactory } from './lazy-validation.js';
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
import { settingsRoutes } from './routes/settings.js';
import { setupRoutes } from './routes/setup.js';
import { tokenCacheRoutes } from './routes/token-cache.js';
import { webRoutes } from './routes/web.js';
import { SessionStore } from './sessions.js';

/** Largest request body accepted (JSON and the login form). */
const BODY_LIMIT = 64 * 1024;

/**
 * Socket timeouts derived from the request timeout: a client must send its headers (within 20 s)
 * and body within it. An idle keep-alive connection stays 72 s (Fastify's default: clients and
 * proxies that keep theirs 60 s close first, so none reuses a socket the server is closing), a
 * silent one (not reading our response) 2 min or twice the request timeout. Node checks the
 * first two every `checkIntervalMs`: half the request timeout, at most 15 s, since that check
 * wakes an idle Pi (a slow client is cut within 1.5x its timeout; the connection caps bound what
 * it can hold meanwhile).
 */
export function socketTimeouts(requestTimeoutMs: number) {
  return {
    requestTimeoutMs,
    headersTimeoutMs: Math.min(requestTimeoutMs, 20_000),
    keepAliveTimeoutMs: 72_000,
    idleTimeoutMs: Math.max(120_000, requestTimeoutMs * 2),
    checkIntervalMs: Math.max(250, Math.min(15_000, Math.floor(requestTimeoutMs / 2))),
  };
}

/** Builds the Fastify app from injected parts; the caller listens (port 0 in tests) and closes it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { limits, access } = deps.config;
  const timeouts = socketTimeouts(limits.requestTimeoutMs);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new QuietLogController(),
    bodyLimit: BODY_LIMIT,
    // Fastify's own 4xx on bad framing still goes through handleError.
    return503OnClosing: true,
    // validateSchema off: our route schemas are fixed (and tested); checking them against JSON
    // Schema's meta-schema compiles that meta-schema first, the largest part of start-up's ajv work.
    schemaController: { compilersFactory: { buildValidator: lazyValidatorFactory() } },
    ajv: {
      customOptions: { allErrors: false, removeAdditional: false, coerceTypes: false, validateSchema: false },
    },
    // Behind an HTTPS reverse proxy: the client's address and protocol come from X-Forwarded-*.
    trustProxy: access.trustProxy,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionTimeout: timeouts.idleTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
  });
  limitConnections(app.server, {
    total: limits.maxConnections,
    perClient: limits.maxConnectionsPerClient,
    // With every proxy trusted, the clients are behind whoever connects; with a list, behind those.
    exempt: proxyMatcher(access.trustProxy),
    onRefused: (info) =>
      deps.logger.warn(
        { client: info.address, reason: info.reason, open: info.open },
        'too many connections; refusing new ones (SPOTIPI_MAX_CONNECTIONS, SPOTIPI_MAX_CONNECTIONS_PER_CLIENT)',
      ),
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
  // Per-client limits on the public routes (login, logout, callback); routes opt in by config.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => {
      const wait = Math.ceil(context.ttl / 1000);
      return tooManyRequests(`Too many requests; try again in ${wait} s.`, wait, {
        key: 'error.tooManyRequests',
        params: { seconds: wait },
      });
    },
  });

  const sessions = accessControlEnabled(access)
    ? await SessionStore.open({
        path: join(deps.config.stateDir, 'sessions.json'),
        secret: deps.sessionSecret,
        password: access.password,
        apiToken: access.apiToken,
        clock: deps.clock,
        maxAgeMs: SESSION_MAX_AGE_SECONDS * 1000,
        logger: deps.logger,
      })
    : undefined;

  installHostGuard(app, { boundHost: deps.config.host, allowedHosts: access.allowedHosts });
  installCrossSiteGuard(app);
  installAccessControl(app, {
    password: access.password,
    apiToken: access.apiToken,
    clock: deps.clock,
    sessions,
    publicFiles: publicFiles(deps.webRoot),
  });
  installCooldowns(app, deps.clock, SPOTIFY_COSTLY_ROUTES);

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

  // After the URL rewrite above: onSend hooks run in order, and this one turns text into bytes.
  installJsonCompression(app);

  const opts = { deps };
  await app.register(healthRoutes, opts);
  await app.register(metricsRoutes, opts);
  await app.register(authRoutes, { deps, sessions });
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
  await app.register(settingsRoutes, opts);
  await app.register(setupRoutes, opts);
  for (const extra of deps.plugins ?? []) {
    await app.register(extra.plugin as never, (extra.options ?? {}) as never);
  }
  await app.register(webRoutes, opts);
  return app;
}

/** URL paths of the static files the login page needs before a login: the manifest and the icons. */
export function publicFiles(webRoot: string | undefined): Set<string> {
  const files = new Set<string>();
  if (webRoot === undefined) return files;
  if (existsSync(join(webRoot, 'manifest.webmanifest'))) files.add('/manifest.webmanifest');
  const icons = join(webRoot, 'icons');
  if (existsSync(icons)) {
    for (const entry of readdirSync(icons, { withFileTypes: true })) {
      if (entry.isFile()) files.add(`/icons/${entry.name}`);
    }
  }
  return files;
}
