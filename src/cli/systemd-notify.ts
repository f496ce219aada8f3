import { execFile } from 'node:child_process';

/** Sends one notification (`READY=1`, `WATCHDOG=1`, ...) to systemd; resolves when it was delivered. */
export type NotifySender = (assignments: string[]) => Promise<void>;

/** Talks to systemd when it started us with `Type=notify`: readiness, watchdog pings, stopping. */
export interface SystemdNotifier {
  /** The server accepts connections: `READY=1` with a status line, then watchdog pings begin. */
  ready(status: string): void;
  /** Shutting down: `STOPPING=1`; no more pings. */
  stopping(): void;
  /** Stops the pings (idempotent). */
  close(): void;
}

/**
 * Node has no unix datagram sockets, so notifications go through systemd's own `systemd-notify`
 * (in every systemd install). It waits until systemd has read the message, so the message is
 * never lost to the race between its exit and systemd looking up the sender; the unit sets
 * `NotifyAccess=all` because the sender is a child process.
 */
export const systemdNotifyBinary: NotifySender = (assignments) =>
  new Promise((resolve, reject) => {
    execFile('systemd-notify', assignments, { timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
  });

/** The watchdog ping interval systemd asks for (a third of WATCHDOG_USEC), or undefined for none. */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  // WATCHDOG_PID names the process that must ping; another process's variable is not ours.
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(50, Math.floor(usec / 1000 / 3));
}

/**
 * A notifier when `NOTIFY_SOCKET` is set (systemd started us as `Type=notify`), else undefined.
 * Pings come from a timer on the main event loop: if the loop hangs, they stop, and systemd
 * restarts the service after `WatchdogSec=` — a hung server must not sleep through an alarm.
 */
export function startSystemdNotifier(
  env: Record<string, string | undefined>,
  options: { send?: NotifySender; warn?: (message: string) => void; pid?: number } = {},
): SystemdNotifier | undefined {
  if (!env.NOTIFY_SOCKET) return undefined;
  const send = options.send ?? systemdNotifyBinary;
  const intervalMs = watchdogIntervalMs(env, options.pid ?? process.pid);
  let timer: NodeJS.Timeout | undefined;
  let pinging = false;
  let warned = false;
  const deliver = (assignments: string[]): Promise<void> =>
    send(assignments).catch((err: unknown) => {
      if (warned) return;
      warned = true;
      options.warn?.(
        `could not notify systemd (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); is systemd-notify installed?`,
      );
    });
  const close = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  return {
    ready(status) {
      void deliver(['--ready', `--status=${status}`]);
      if (intervalMs === undefined || timer) return;
      timer = setInterval(() => {
        // A ping still on its way is enough; do not pile up processes.
        if (pinging) return;
        pinging = true;
        void deliver(['WATCHDOG=1']).finally(() => {
          pinging = false;
        });
      }, intervalMs);
      timer.unref();
    },
    stopping() {
      close();
      void deliver(['STOPPING=1']);
    },
    close,
  };
}
