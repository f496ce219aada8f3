import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../token/types.js';
import { crossSite, HttpError, tooManyRequests, unauthenticated } from './errors.js';
import { secretsEqual } from './secret-compare.js';
import type { SessionStore } from './sessions.js';

/** Name of the signed session cookie (its value is a random server-side session id). */
export const SESSION_COOKIE = 'spotipi_session';
/** Sessions last this long, then the browser asks for the password again. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;

/** Routes reachable without credentials when access control is on (exact paths). */
const PUBLIC_ROUTES = new Set(['/healthz', '/auth/login', '/auth/logout', '/callback']);

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** GET routes that cost a Spotify call or start a login: not even a cross-site link may reach them. */
const COSTLY_GETS = new Set(['/login', '/api/music-library']);

export interface AccessOptions {
  password: string | undefined;
  apiToken: string | undefined;
  clock: Clock;
  /** Server-side sessions (required when a password or API token is set). */
  sessions: SessionStore | undefined;
  /** Static files the login page needs (manifest, icons): URL paths, exact. */
  publicFiles: ReadonlySet<string>;
  /** Failed credential attempts allowed per client address per minute before 429. */
  maxFailuresPerMinute?: number;
}

/** True when a password or API token is configured. */
export function accessControlEnabled(options: Pick<AccessOptions, 'password' | 'apiToken'>): boolean {
  return Boolean(options.password || options.apiToken);
}

/** Constant-time comparison of a presented credential with the configured ones (both always compared). */
export function credentialMatches(
  presented: string,
  options: Pick<AccessOptions, 'password' | 'apiToken'>,
): boolean {
  let ok = false;
  for (const secret of [options.password, options.apiToken]) {
    if (secret && secretsEqual(presented, secret)) ok = true;
  }
  return ok;
}

/**
 * The URL path of a request, percent-decoded, for matching against exact public paths; undefined
 * when it cannot be decoded or holds control characters or backslashes. Exact matching after
 * decoding means `/icons/../index.html` or `/icons/%2e%2e/x` can never pass as public.
 */
export function decodedPath(url: string): string | undefined {
  const raw = url.split('?')[0] ?? '/';
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  return /[\u0000-\u001f\u007f\\]/.test(path) ? undefined : path;
}

function isPublic(url: string, publicFiles: ReadonlySet<string>): boolean {
  const path = decodedPath(url);
  return path !== undefined && (PUBLIC_ROUTES.has(path) || publicFiles.has(path));
}

/** True when `Sec-Fetch-Site` says another site (or a sibling on the same site) made the request. */
function fromAnotherSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  return typeof site === 'string' && site !== 'same-origin' && site !== 'none';
}

/**
 * Refuses cross-site requests a page elsewhere could use against SpotiPi: state-changing methods
 * (by `Sec-Fetch-Site` and/or an `Origin` that is not this host), and cross-site GETs except a
 * plain navigation to a page that costs nothing (a link from elsewhere may open SpotiPi, but an
 * `<img>` or `fetch` may not read it, and nothing cross-site may reach a Spotify-costly GET).
 * A request with neither header (curl, scripts) is not cross-site.
 */
export function installCrossSiteGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) {
      if (!fromAnotherSite(request)) return;
      const navigation = request.headers['sec-fetch-mode'] === 'navigate';
      const path = decodedPath(request.url);
      if (navigation && path !== undefined && !COSTLY_GETS.has(path)) return;
      throw crossSite();
    }
    if (fromAnotherSite(request)) throw crossSite();
    const origin = request.headers.origin;
    if (typeof origin === 'string') {
      if (!URL.canParse(origin) || new URL(origin).host !== request.host) {
        throw crossSite();
      }
    }
  });
}

/**
 * With a password or API token configured, every route except the public ones needs a valid
 * session cookie or `Authorization: Bearer <token>`. Wrong credentials are counted per client
 * address; past the limit the client gets 429 until the minute is over.
 */
export function installAccessControl(app: FastifyInstance, options: AccessOptions): void {
  if (!accessControlEnabled(options)) return;
  const limit = options.maxFailuresPerMinute ?? 10;
  const failures = new Map<string, { count: number; windowStart: number }>();

  const tooManyFailures = (ip: string): boolean => {
    const entry = failures.get(ip);
    if (!entry) return false;
    if (options.clock.monotonic() - entry.windowStart > 60_000) {
      failures.delete(ip);
      return false;
    }
    return entry.count >= limit;
  };
  const recordFailure = (ip: string): void => {
    const now = options.clock.monotonic();
    const entry = failures.get(ip);
    if (!entry || now - entry.windowStart > 60_000) failures.set(ip, { count: 1, windowStart: now });
    else entry.count++;
  };

  app.decorateRequest('authenticated', false);

  app.addHook('onRequest', async (request, reply) => {
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && /^bearer\s/i.test(auth)) {
      if (tooManyFailures(request.ip)) throw tooMany();
      if (credentialMatches(auth.replace(/^bearer\s+/i, ''), options)) {
        request.authenticated = true;
        return;
      }
      recordFailure(request.ip);
      throw new HttpError(401, 'The API token is wrong.', { i18n: { key: 'error.tokenWrong' } });
    }
    const id = sessionIdOf(request);
    if (id !== undefined && options.sessions?.isValid(id)) {
      request.authenticated = true;
      return;
    }
    if (isPublic(request.url, options.publicFiles)) return;
    if (request.method === 'GET' && wantsHtml(request)) {
      return redirectToLogin(reply, request.url);
    }
    throw unauthenticated();
  });
}

function tooMany() {
  return tooManyRequests('Too many failed attempts; wait a minute and try again.', 60, {
    key: 'error.tooManyAttempts',
  });
}

/** The session id in the request's signed cookie; undefined without one or with a forged one. */
export function sessionIdOf(request: FastifyRequest): string | undefined {
  const raw = request.cookies?.[SESSION_COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

function redirectToLogin(reply: FastifyReply, next: string): FastifyReply {
  return reply.redirect(`/auth/login?next=${encodeURIComponent(next)}`, 302);
}

/**
 * A `next` target that stays on this site: a path whose resolution against any base keeps that
 * base's origin, with no control characters (browsers drop tabs and newlines, so `/\t/evil` would
 * become `//evil`) and no backslashes (read as slashes). Anything else becomes `/`.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/')) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  const base = new URL('http://spotipi.invalid');
  if (!URL.canParse(next, base)) return '/';
  const target = new URL(next, base);
  if (target.origin !== base.origin) return '/';
  return `${target.pathname}${target.search}${target.hash}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** True when the request carried a valid session or API token. */
    authenticated: boolean;
  }
}
