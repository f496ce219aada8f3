import type { Server } from 'node:http';
import type { Socket } from 'node:net';

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
