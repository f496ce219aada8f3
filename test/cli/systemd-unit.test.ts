/**
 * The unit `spotipi install-service` writes, checked by systemd's own tools: `systemd-analyze
 * verify` accepts it and `systemd-analyze security --offline=true` rates its exposure at most
 * 2.5 (the old unit: 9.0 "UNSAFE"). Needs the `systemd` package (.ci/run installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSystemdUnit, type UnitOptions } from '../../src/cli/systemd-unit.js';

const MAX_EXPOSURE = 2.5;

function analyze(unit: string): { exposure: number; verify: { status: number | null; stderr: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-unit-'));
  const path = join(dir, 'spotipi.service');
  writeFileSync(path, unit);
  const verify = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  const security = execFileSync('systemd-analyze', ['security', '--offline=true', '--no-pager', path], {
    encoding: 'utf8',
  });
  const match = /Overall exposure level for spotipi\.service: (\d+(?:\.\d+)?)/.exec(security);
  if (!match) throw new Error(`no exposure level in:\n${security}`);
  return { exposure: Number(match[1]), verify: { status: verify.status, stderr: verify.stderr } };
}

const base: UnitOptions = {
  scope: 'system',
  nodePath: process.execPath,
  entry: '/opt/spotipi/dist/cli/main.js',
  workingDir: '/opt/spotipi',
  stateDir: '/var/lib/spotipi',
  runAs: userInfo().username,
  stopTimeoutSec: 15,
};

describe('the systemd unit', () => {
  it.each<[string, Partial<UnitOptions>]>([
    ['a system unit', {}],
    ['a system unit with its state under /home', { stateDir: '/home/pi/.local/share/spotipi' }],
    [
      'a user unit run from a home directory',
      {
        scope: 'user',
        workingDir: '/home/pi/spotipi',
        entry: '/home/pi/spotipi/dist/cli/main.js',
        stateDir: '/home/pi/.local/share/spotipi',
      },
    ],
  ])('passes systemd-analyze verify and rates at most 2.5 as %s', (_what, change) => {
    const { exposure, verify } = analyze(renderSystemdUnit({ ...base, ...change }));
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).toBe('');
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it('is Type=notify with a watchdog, keeps ALSA reachable and the state dir the only writable path', () => {
    const unit = renderSystemdUnit({ ...base, stateDir: '/home/pi/.local/share/spotipi' });
    for (const line of [
      'Type=notify',
      'NotifyAccess=all',
      'WatchdogSec=60',
      'Restart=on-failure',
      'ProtectSystem=strict',
      'ReadWritePaths=-/home/pi/.local/share/spotipi',
      'ProtectHome=read-only',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'UMask=0077',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'SystemCallFilter=@system-service',
      'DevicePolicy=closed',
      'DeviceAllow=char-alsa rw',
    ]) {
      expect(unit.split('\n'), line).toContain(line);
    }
    // These would break Node (JIT) or hide /dev/snd and /proc/uptime.
    expect(unit).not.toMatch(/^(MemoryDenyWriteExecute|PrivateDevices|ProcSubset)=/m);
    // Nothing under the homes is needed: hide them.
    expect(renderSystemdUnit(base).split('\n')).toContain('ProtectHome=yes');
  });
});
