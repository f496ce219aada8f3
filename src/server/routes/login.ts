import type { FastifyPluginAsync } from 'fastify';
import { parseCallbackUrl } from '../../spotify/accounts-client.js';
import type { AppDeps } from '../deps.js';
import { badRequest, HttpError, toHttpError } from '../errors.js';
import { escapeHtml, page } from '../html.js';

const callbackQuery = {
  type: 'object',
  properties: {
    code: { type: 'string', maxLength: 2048 },
    state: { type: 'string', maxLength: 256 },
    error: { type: 'string', maxLength: 256 },
    error_description: { type: 'string', maxLength: 1024 },
  },
} as const;

const completeBody = {
  type: 'object',
  properties: { redirect_url: { type: 'string', minLength: 1, maxLength: 4096 } },
  required: ['redirect_url'],
  additionalProperties: false,
} as const;

/**
 * Spotify login: `GET /login` redirects to Spotify's authorize page (PKCE + state), `GET /callback`
 * finishes it; for a Pi reached from a phone, `POST /api/login/start` gives the URL to open and
 * `POST /api/login/complete` takes the redirected URL pasted back (as does `spotipi login`).
 */
export const loginRoutes: FastifyPluginAsync<{ deps: AppDeps }> = async (app, { deps }) => {
  // The public callback exchanges a code with Spotify: a per-client limit keeps a loop off it.
  const limited = { config: { rateLimit: { max: 20, timeWindow: 60_000 } } };

  app.get('/login', async (_request, reply) => {
    const { authorizeUrl } = deps.login.start();
    return reply.redirect(authorizeUrl, 302);
  });

  app.post('/api/login/start', async () => {
    const { authorizeUrl } = deps.login.start();
    return { authorize_url: authorizeUrl, redirect_uri: deps.login.redirectUri };
  });

  app.get('/callback', { ...limited, schema: { querystring: callbackQuery } }, async (request, reply) => {
    const query = request.query as { code?: string; state?: string; error?: string };
    try {
      await deps.login.complete(query);
    } catch (err) {
      const httpErr = toHttpError(err);
      if (httpErr.status >= 500) request.log.error({ err: { type: (err as Error).name } }, 'login failed');
      return reply
        .status(httpErr.status)
        .type('text/html')
        .send(
          page(
            'Login failed',
            `<h1>Login failed</h1><p class="error">${escapeHtml(httpErr.message)}</p><p><a href="/login">Try again</a></p>`,
          ),
        );
    }
    request.log.info('Spotify login completed; refresh token stored');
    return reply
      .type('text/html')
      .send(
        page(
          'Logged in',
          '<h1>Logged in to Spotify</h1><p>SpotiPi is ready. <a href="/">Open SpotiPi</a></p>',
        ),
      );
  });

  app.post('/api/login/complete', { schema: { body: completeBody } }, async (request) => {
    const { redirect_url } = request.body as { redirect_url: string };
    const params = parseCallbackUrl(redirect_url);
    try {
      await deps.login.complete(params);
    } catch (err) {
      // The pasted URL is the only input here, so that is the field to fix.
      if (err instanceof HttpError && err.status === 400) throw badRequest(err.message, 'redirect_url');
      throw err;
    }
    request.log.info('Spotify login completed (pasted URL); refresh token stored');
    return { ok: true, state: deps.tokenCache.snapshot().state };
  });
};
