import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  accessControlEnabled,
  credentialMatches,
  SESSION_COOKIE,
  SESSION_MAX_AGE_SECONDS,
  safeNext,
  sessionValue,
} from '../access.js';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { escapeHtml, page } from '../html.js';

const loginBody = {
  type: 'object',
  properties: {
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    next: { type: 'string', maxLength: 2048 },
  },
  required: ['password'],
  additionalProperties: false,
} as const;

/** SpotiPi's own login (password form -> signed session cookie) and logout. */
export const authRoutes: FastifyPluginAsync<{ deps: AppDeps; maxAttemptsPerMinute?: number }> = async (
  app,
  { deps, maxAttemptsPerMinute },
) => {
  const access = { password: deps.config.access.password, apiToken: deps.config.access.apiToken };

  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new HttpError(429, `Too many login attempts; try again in ${Math.ceil(context.ttl / 1000)} s.`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });

  app.get('/auth/login', {
    schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2048 } } } },
    handler: async (request, reply) => {
      const { next } = request.query as { next?: string };
      return reply.type('text/html').send(loginPage(safeNext(next), accessControlEnabled(access)));
    },
  });

  app.post('/auth/login', {
    schema: { body: loginBody },
    // Counts every attempt from one address; successful ones are rare enough not to matter.
    config: { rateLimit: { max: maxAttemptsPerMinute ?? 5, timeWindow: 60_000 } },
    handler: async (request, reply) => {
      const { password, next } = request.body as { password: string; next?: string };
      const target = safeNext(next);
      if (!accessControlEnabled(access) || !credentialMatches(password, access)) {
        request.log.warn({ ip: request.ip }, 'failed SpotiPi login attempt');
        if (isFormPost(request)) {
          return reply
            .status(401)
            .type('text/html')
            .send(loginPage(target, true, 'Wrong password.'));
        }
        throw new HttpError(401, 'Wrong password.', { field: 'password' });
      }
      setSession(reply, request, deps.clock.now(), access);
      if (isFormPost(request)) return reply.redirect(target, 303);
      return { ok: true };
    },
  });

  app.post('/auth/logout', async (_request, reply) => {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.redirect('/auth/login', 303);
  });
};

function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function setSession(
  reply: FastifyReply,
  request: FastifyRequest,
  nowMs: number,
  access: { password: string | undefined; apiToken: string | undefined },
): void {
  void reply.setCookie(SESSION_COOKIE, sessionValue(access, nowMs), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    signed: true,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
}

function loginPage(next: string, enabled: boolean, error?: string): string {
  if (!enabled) {
    return page('Log in', '<h1>SpotiPi</h1><p>No password is configured; <a href="/">open SpotiPi</a>.</p>');
  }
  return page(
    'Log in',
    `<h1>SpotiPi</h1>
<form method="post" action="/auth/login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>Password <input type="password" name="password" autocomplete="current-password" required autofocus></label>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<button type="submit">Log in</button>
</form>`,
  );
}
