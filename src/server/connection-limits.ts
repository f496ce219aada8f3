import type { Server } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';

/** Caps on open connections; each accepted socket costs a file descriptor. */
export interface ConnectionLimits {
  /** Open connections at most, from everyone. */
  total: number;
  /** Open connections at most from one address. */
  perClient: number;
  /** Addresses the per-client cap does not apply to (a trusted reverse proxy carries many clients). */
  exempt?: (address: string) => boolean;
  /** Told once per minute and address when connections are refused. */
  onRefused?: (info: { address: string; reason: 'total' | 'per_client'; open: number }) => void;
}

/** What to do with a new connection, given how many are open. */
export function admitConnection(
  openTotal: number,
  openFromClient: number,
  limits: Pick<ConnectionLimits, 'total' | 'perClient'>,
  exempt: boolean,
): 'accept' | 'total' | 'per_client' {
  if (openTotal >= limits.total) return 'total';
  if (!exempt && openFromClient >= limits.perClient) return 'per_client';
  return 'accept';
}

/**
 * Closes connections beyond the caps the moment they are accepted, so a flood of slow sockets
 * holds a bounded number of file descriptors and the alarm's outgoing calls to Spotify always
 * find free ones. Returns a view of the open counts (for tests and metrics).
 */
export function limitConnections(server: Server, limits: ConnectionLimits): { open(): number } {
  const perClient = new Map<string, number>();
  let open = 0;
  const lastReport = new Map<string, number>();

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const exempt = limits.exempt?.(address) ?? false;
    const verdict = admitConnection(open, perClient.get(address) ?? 0, limits, exempt);
    if (verdict !== 'accept') {
      socket.destroy();
      const now = Date.now();
      if (now - (lastReport.get(address) ?? 0) >= 60_000) {
        lastReport.set(address, now);
        if (lastReport.size > 1000) lastReport.clear();
        limits.onRefused?.({ address, reason: verdict, open });
      }
      return;
    }
    open++;
    perClient.set(address, (perClient.get(address) ?? 0) + 1);
    socket.once('close', () => {
      open--;
      const left = (perClient.get(address) ?? 1) - 1;
      if (left <= 0) perClient.delete(address);
      else perClient.set(address, left);
    });
  });
  return { open: () => open };
}

/**
 * A matcher for SPOTIPI_TRUST_PROXY's addresses and CIDR ranges (`true`: every address). IPv4
 * peers seen as IPv4-mapped IPv6 (`::ffff:10.0.0.1`, a dual-stack listener) match IPv4 ranges.
 */
export function proxyMatcher(trustProxy: boolean | readonly string[]): (address: string) => boolean {
  if (trustProxy === true) return () => true;
  if (trustProxy === false || trustProxy.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of trustProxy) {
    const [address = '', bits] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (peer) => {
    const plain = peer.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const type = isIP(plain);
    return type !== 0 && list.check(plain, type === 6 ? 'ipv6' : 'ipv4');
  };
}
