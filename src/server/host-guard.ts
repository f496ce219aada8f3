import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { misdirectedHost } from './errors.js';

/** Names that always reach this machine's loopback, whatever DNS says. */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

/** What the Host check accepts besides loopback names and IP literals. */
export interface HostAllowList {
  /** The address the server is bound to (HOST); a wildcard (0.0.0.0, ::) adds nothing. */
  boundHost: string;
  /** SPOTIPI_ALLOWED_HOSTS, lower-case, without ports. */
  allowedHosts: readonly string[];
}

/** The host name of a Host header value, lower-case, without port, brackets or trailing dot. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(value);
  const name = bracketed ? (bracketed[1] ?? '') : value.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/**
 * True when a request naming `hostHeader` may be served. DNS rebinding makes a browser send the
 * attacker's domain name as Host, so only names that cannot be rebound pass: loopback names, IP
 * literals (a rebinding page cannot make the browser send one), the bound address and the names
 * the user listed.
 */
export function hostAllowed(hostHeader: string | undefined, allow: HostAllowList): boolean {
  if (hostHeader === undefined || hostHeader.trim() === '') return false;
  const name = hostName(hostHeader);
  if (name === '') return false;
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  if (isIP(name) !== 0) return true;
  if (name === hostName(allow.boundHost)) return true;
  return allow.allowedHosts.includes(name);
}

/** Answers requests for unknown Host names with 421 and a message naming the setting to change. */
export function installHostGuard(app: FastifyInstance, allow: HostAllowList): void {
  app.addHook('onRequest', async (request) => {
    // request.host follows X-Forwarded-Host only when SPOTIPI_TRUST_PROXY trusts the sender.
    const host = request.host;
    if (hostAllowed(host, allow)) return;
    throw misdirectedHost(hostName(host ?? ''));
  });
}
