import { serverNodeFlags } from './node-flags.js';

/** Inputs of the systemd unit; all paths absolute. */
export interface UnitOptions {
  scope: 'user' | 'system';
  nodePath: string;
  entry: string;
  workingDir: string;
  stateDir: string;
  /** The account a system unit runs as (ignored for user units). */
  runAs: string;
  stopTimeoutSec: number;
  /** SPOTIPI_LOW_POWER: start Node with the low-power V8 flags. */
  lowPower?: boolean;
}

/** Seconds without a watchdog ping after which systemd restarts a hung server. */
export const WATCHDOG_SEC = 60;

/** Trees that `ProtectHome=yes` hides. */
const HOME_TREES = ['/home', '/root', '/run/user'];

/**
 * Renders spotipi.service: `spotipi serve` in the foreground as `Type=notify` (it says when it is
 * ready and pings the watchdog from its event loop, so a hung loop is restarted), sandboxed to
 * what it needs: the network, its state dir (the only writable path), the files it runs from and
 * ALSA devices (the alarm's fallback sound). The server reads `.env` in its working directory
 * itself; no `EnvironmentFile=`, whose grammar differs (systemd keeps `PORT=5001 # comment` as
 * "5001 # comment", and that value would win over .env).
 */
export function renderSystemdUnit(o: UnitOptions): string {
  // Node, the package or the state dir under a home directory: keep homes readable, not hidden.
  const needsHome = [o.nodePath, o.entry, o.workingDir, o.stateDir].some((p) =>
    HOME_TREES.some((tree) => p === tree || p.startsWith(`${tree}/`)),
  );
  const service = [
    'Type=notify',
    // The readiness and watchdog messages come from a `systemd-notify` child process.
    'NotifyAccess=all',
    `WatchdogSec=${WATCHDOG_SEC}`,
    `WorkingDirectory=${quotePath(o.workingDir)}`,
    `Environment=${quoteArg(`SPOTIPI_STATE_DIR=${o.stateDir}`)}`,
    'Environment=NODE_ENV=production',
    `ExecStart=${[o.nodePath, ...serverNodeFlags(o.lowPower ?? false), o.entry].map(quoteArg).join(' ')} serve`,
    // Failure includes a watchdog timeout: a hung server is killed and started again.
    'Restart=on-failure',
    'RestartSec=5',
    `TimeoutStopSec=${o.stopTimeoutSec}`,
    'KillSignal=SIGTERM',
    '',
    '# Sandbox (systemd-analyze security spotipi.service). Files it creates are private.',
    'UMask=0077',
    'NoNewPrivileges=yes',
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    'ProtectSystem=strict',
    // "-": a state dir that does not exist yet is no reason to refuse to start.
    `ReadWritePaths=${quoteArg(`-${o.stateDir}`)}`,
    `ProtectHome=${needsHome ? 'read-only' : 'yes'}`,
    'PrivateTmp=yes',
    'PrivateIPC=yes',
    'PrivateMounts=yes',
    'PrivateUsers=yes',
    // /dev/snd stays reachable (ALSA) for the alarm's fallback sound; nothing else from /dev.
    'DevicePolicy=closed',
    'DeviceAllow=char-alsa rw',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    // Not ProcSubset=pid: the clock reads /proc/uptime (suspend-aware monotonic time).
    'ProtectProc=invisible',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'KeyringMode=private',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged @resources',
    // A refused call fails with EPERM instead of killing the process (Node tolerates that).
    'SystemCallErrorNumber=EPERM',
    // No MemoryDenyWriteExecute: V8's JIT needs executable memory it has written.
  ];
  if (o.scope === 'system') service.unshift(`User=${o.runAs}`);
  return [
    '# Written by `spotipi install-service`. Re-run it after moving SpotiPi or Node.',
    '[Unit]',
    'Description=SpotiPi - Spotify alarm clock and remote',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    ...service,
    '',
    '[Install]',
    `WantedBy=${o.scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

/** How to turn the unit on after writing it to `unitPath`. */
export function enableInstructions(scope: 'user' | 'system', unitPath: string, user: string): string {
  if (scope === 'system') {
    return [
      `Wrote ${unitPath}. Enable and start it with:`,
      '  sudo systemctl daemon-reload',
      '  sudo systemctl enable --now spotipi',
      'Then: systemctl status spotipi   and   journalctl -u spotipi -f',
      '',
    ].join('\n');
  }
  return [
    `Wrote ${unitPath}. Enable and start it with:`,
    '  systemctl --user daemon-reload',
    '  systemctl --user enable --now spotipi',
    `  sudo loginctl enable-linger ${user}   # keep it running when you are logged out (and at boot)`,
    'Then: systemctl --user status spotipi   and   journalctl --user -u spotipi -f',
    '',
  ].join('\n');
}

/** systemd splits on spaces; quote paths that contain them. */
function quoteArg(value: string): string {
  return /[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

function quotePath(value: string): string {
  // WorkingDirectory/EnvironmentFile take a single path; only escape what systemd would misread.
  return value.replace(/\\/g, '\\\\');
}
