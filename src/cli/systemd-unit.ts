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

/**
 * Renders spotipi.service: `spotipi serve` in the foreground, restarted on failure. The server
 * reads `.env` in its working directory itself; no `EnvironmentFile=`, whose grammar differs
 * (systemd keeps `PORT=5001 # comment` as "5001 # comment", and that value would win over .env).
 */
export function renderSystemdUnit(o: UnitOptions): string {
  const service = [
    'Type=simple',
    `WorkingDirectory=${quotePath(o.workingDir)}`,
    `Environment=${quoteArg(`SPOTIPI_STATE_DIR=${o.stateDir}`)}`,
    'Environment=NODE_ENV=production',
    `ExecStart=${[o.nodePath, ...serverNodeFlags(o.lowPower ?? false), o.entry].map(quoteArg).join(' ')} serve`,
    'Restart=on-failure',
    'RestartSec=5',
    `TimeoutStopSec=${o.stopTimeoutSec}`,
    'KillSignal=SIGTERM',
    'NoNewPrivileges=true',
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
