import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fingerprint } from '../token/fingerprint.js';
import type { Clock } from '../token/types.js';
import { forbidden, HttpError, unauthenticated } from './errors.js';

/** Name of the signed session cookie. */
export const SESSION_COOKIE = 'spotipi_session';
/** Sessions last this long, then the browser asks for the password again. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 3600;

/** Routes reachable without credentials when access control is on. */
const PUBLIC_PATHS = new Set([
  '/healthz',
  '/auth/login',
  '/auth/logout',
  '/callback',
  '/manifest.webmanifest',
]);
const PUBLIC_PREFIXES = ['/icons/'];

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AccessOptions {
  password: string | undefined;
  apiToken: string | undefined;
  clock: Clock;
  /** Failed credential attempts allowed per client address per minute before 429. */
  maxFailuresPerMinute?: number;
}

/** True when a password or API token is configured. */
export function accessControlEnabled(options: Pick<AccessOptions, 'password' | 'apiToken'>): boolean {
  return Boolean(options.password || options.apiToken);
}

/** Constant-time comparison of a presented credential with the configured ones. */
export function credentialMatches(
  presented: string,
  options: Pick<AccessOptions, 'password' | 'apiToken'>,
): boolean {
  let ok = false;
  for (const secret of [options.password, options.apiToken]) {
    if (secret && safeEqual(presented, secret)) ok = true;
  }
  return ok;
}

/** Value stored in the session cookie (signed): issue time and a fingerprint of the credentials, so a password change ends every session. */
export function sessionValue(options: Pick<AccessOptions, 'password' | 'apiToken'>, nowMs: number): string {
  return `${nowMs}.${credentialsFingerprint(options)}`;
}

function credentialsFingerprint(options: Pick<AccessOptions, 'password' | 'apiToken'>): string {
  return fingerprint(`${options.password ?? ''}\u0000${options.apiToken ?? ''}`) ?? '';
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function isPublic(path: string): boolean {
  return PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((p) => path.startsWith(p));
}

/**
 * Refuses cross-site state-changing requests: a browser marks them with `Sec-Fetch-Site` and/or an
 * `Origin` that is not this host. A request with neither (curl, scripts) is not cross-site.
 */
export function installCrossSiteGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const site = request.headers['sec-fetch-site'];
    if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
      throw forbidden('Cross-site request refused.');
    }
    const origin = request.headers.origin;
    if (typeof origin === 'string') {
      if (!URL.canParse(origin) || new URL(origin).host !== request.headers.host) {
        throw forbidden('Cross-site request refused.');
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
    const path = request.url.split('?')[0] ?? '/';
    const auth = request.headers.authorization;
    if (typeof auth === 'string' && /^bearer\s/i.test(auth)) {
      if (tooManyFailures(request.ip)) throw tooMany();
      if (credentialMatches(auth.replace(/^bearer\s+/i, ''), options)) {
        request.authenticated = true;
        return;
      }
      recordFailure(request.ip);
      throw unauthenticated('The API token is wrong.');
    }
    if (hasValidSession(request, options)) {
      request.authenticated = true;
      return;
    }
    if (isPublic(path)) return;
    if (request.method === 'GET' && wantsHtml(request)) {
      return redirectToLogin(reply, request.url);
    }
    throw unauthenticated();
  });
}

/** Counts a failed form login and tells whether the client is over the limit (used by the login route). */
function tooMany(): HttpError {
  return new HttpError(429, 'Too many failed attempts; wait a minute and try again.', {
    retryAfterSeconds: 60,
  });
}

function hasValidSession(request: FastifyRequest, options: AccessOptions): boolean {
  const raw = request.cookies?.[SESSION_COOKIE];
  if (!raw) return false;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return false;
  const [issued, fp] = unsigned.value.split('.');
  const issuedAt = Number(issued);
  if (!Number.isFinite(issuedAt) || fp !== credentialsFingerprint(options)) return false;
  return options.clock.now() - issuedAt < SESSION_MAX_AGE_SECONDS * 1000;
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

function redirectToLogin(reply: FastifyReply, next: string): FastifyReply {
  return reply.redirect(`/auth/login?next=${encodeURIComponent(next)}`, 302);
}

/** A `next` target that stays on this site (a path, not `//host` or a URL). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return '/';
  }
  return next;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** True when the request carried a valid session or API token. */
    authenticated: boolean;
  }
}
