import type { Config } from '../config/index.js';

/** Loopback host names and addresses (the server's bind address or a client's). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/** The addresses a request came from: its peer, and any a reverse proxy names in X-Forwarded-For. */
export function clientAddresses(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
): string[] {
  const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return [...(peer ? [peer] : []), ...forwarded];
}

/**
 * Why first-run setup must not run for this client, or undefined when it may. Setting up connects
 * a Spotify account to this SpotiPi; without a password anyone who reaches it over the network
 * could do that, so only the machine itself (or SSH, `spotipi setup`) may. A server listening
 * beyond loopback sees such clients directly; one behind a reverse proxy sees them in
 * X-Forwarded-For.
 */
export function setupRefusal(config: Pick<Config, 'host' | 'access'>, clients: string[]): string | undefined {
  const protectedByPassword = Boolean(config.access.password || config.access.apiToken);
  if (protectedByPassword) return undefined;
  if (clients.every(isLoopback)) return undefined;
  return 'Setup from another device needs a SpotiPi password: this server is reachable over the network without one, so anyone there could connect their Spotify account. Set SPOTIPI_PASSWORD in the .env file on the Pi and restart SpotiPi, or run `spotipi setup` on the Pi (over SSH).';
}
