import type { Config } from '../config/index.js';

/** Loopback host names and addresses (the server's bind address or a client's). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

/**
 * Why first-run setup must not run for this client, or undefined when it may. Setting up connects
 * a Spotify account to this SpotiPi; without a password anyone on the network could do that to a
 * server that listens beyond loopback, so only the machine itself (or SSH, `spotipi setup`) may.
 */
export function setupRefusal(
  config: Pick<Config, 'host' | 'access'>,
  clientAddress: string | undefined,
): string | undefined {
  const protectedByPassword = Boolean(config.access.password || config.access.apiToken);
  if (protectedByPassword || isLoopback(config.host)) return undefined;
  if (clientAddress !== undefined && isLoopback(clientAddress)) return undefined;
  return 'Setup from another device needs a SpotiPi password: this server listens on the network without one, so anyone on it could connect their Spotify account. Set SPOTIPI_PASSWORD in the .env file on the Pi and restart SpotiPi, or run `spotipi setup` on the Pi (over SSH).';
}
