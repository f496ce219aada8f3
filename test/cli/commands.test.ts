import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOW_POWER_NODE_FLAGS } from '../../src/cli/node-flags.js';
import {
  destroySandbox,
  ensureBuilt,
  freePort,
  MAIN,
  makeSandbox,
  type Sandbox,
  spotipi,
  waitFor,
} from './helpers.js';

beforeAll(() => ensureBuilt(), 180_000);

let sandbox: Sandbox | undefined;
afterEach(() => {
  if (sandbox) destroySandbox(sandbox);
  sandbox = undefined;
});

const COMMANDS = [
  'serve',
  'start',
  'stop',
  'restart',
  'status',
  'logs',
  'token',
  'install-service',
  'emulator',
  'import-config',
  'login',
];

describe('help and exit codes', () => {
  it('prints help with the commands and the exit codes, exit 0', async () => {
    sandbox = await makeSandbox();
    const help = await spotipi(sandbox, ['--help']);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(command);
    expect(help.stdout).toContain(
      'Exit codes: 0 success, 1 failure, 2 bad usage or configuration, 3 not running',
    );
  });

  it.each(COMMANDS)('`%s --help` describes the command and its exit codes', async (command) => {
    sandbox = await makeSandbox();
    const help = await spotipi(sandbox, [command, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: spotipi ${command}`);
    expect(help.stdout).toContain('Exit codes');
  });

  it('exits 2 with a hint on an unknown command or a bad option value', async () => {
    sandbox = await makeSandbox();
    const unknown = await spotipi(sandbox, ['strat']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'strat'");
    expect(unknown.stderr).toContain('(Did you mean start?)');
    const badValue = await spotipi(sandbox, ['logs', '-n', 'lots']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('expected a whole number');
    const badTimeout = await spotipi(sandbox, ['stop', '--timeout', '-3']);
    expect(badTimeout.code).toBe(2);
  });

  it('start exits 2 listing every configuration problem, and starts nothing', async () => {
    sandbox = await makeSandbox({ PORT: 'eighty', LOG_LEVEL: 'loud' });
    const start = await spotipi(sandbox, ['start']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain('Invalid configuration: 2 settings to fix');
    expect(start.stderr).toContain('PORT');
    expect(start.stderr).toContain('LOG_LEVEL');
    expect(existsSync(join(sandbox.stateDir, 'spotipi.pid'))).toBe(false);
  });

  it('status, stop and logs still work with a broken configuration (warning, fallback)', async () => {
    sandbox = await makeSandbox({ LOG_LEVEL: 'loud' });
    const status = await spotipi(sandbox, ['status']);
    expect(status.code).toBe(3);
    expect(status.stderr).toContain('Warning: Invalid configuration');
    expect(status.stdout).toContain('Status: 🔴 Stopped');
    expect((await spotipi(sandbox, ['stop'])).code).toBe(0);
  });

  it('status exits 3 when nothing runs; token exits 3 with a clear message', async () => {
    sandbox = await makeSandbox();
    const status = await spotipi(sandbox, ['status', '--json']);
    expect(status.code).toBe(3);
    expect(JSON.parse(status.stdout)).toMatchObject({
      status: 'stopped',
      url: `http://127.0.0.1:${sandbox.port}`,
    });
    const token = await spotipi(sandbox, ['token']);
    expect(token.code).toBe(3);
    expect(token.stderr).toBe(
      `Error: SpotiPi is not running (nothing answers at http://127.0.0.1:${sandbox.port})\n`,
    );
  });
});

describe('spotipi logs', () => {
  it('exits 1 when there is no log yet, and prints the last N lines across a rotation', async () => {
    sandbox = await makeSandbox();
    const none = await spotipi(sandbox, ['logs']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('No log yet at');
    mkdirSync(join(sandbox.stateDir, 'logs'), { recursive: true });
    writeFileSync(`${sandbox.logFile}.1`, 'old 1\nold 2\nold 3\n');
    writeFileSync(sandbox.logFile, 'new 1\nnew 2\n');
    expect((await spotipi(sandbox, ['logs', '-n', '3'])).stdout).toBe('old 3\nnew 1\nnew 2\n');
    expect((await spotipi(sandbox, ['logs', '-n', '1'])).stdout).toBe('new 2\n');
  });
});

describe('spotipi install-service', () => {
  it('--print writes a user unit with absolute node, entry, working dir and state dir', async () => {
    sandbox = await makeSandbox();
    const out = await spotipi(sandbox, ['install-service', '--print']);
    expect(out.code).toBe(0);
    const unit = out.stdout;
    expect(unit).toContain(
      `ExecStart=${process.execPath} --max-semi-space-size=1 --expose-gc --single-threaded ${MAIN} serve`,
    );
    expect(unit).toContain(`WorkingDirectory=${sandbox.dir}`);
    // The server reads .env itself; systemd's EnvironmentFile grammar would misread inline comments.
    expect(unit).not.toContain('EnvironmentFile');
    expect(unit).toContain(`Environment=SPOTIPI_STATE_DIR=${sandbox.stateDir}`);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('TimeoutStopSec=8');
    expect(unit).toContain('WantedBy=default.target');
    expect(unit).not.toContain('User=');
  });

  it('starts Node with the low-power V8 flags when SPOTIPI_LOW_POWER is set in .env', async () => {
    sandbox = await makeSandbox();
    writeFileSync(join(sandbox.dir, '.env'), 'SPOTIPI_LOW_POWER=1\n');
    const out = await spotipi(sandbox, ['install-service', '--print']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(
      `ExecStart=${process.execPath} ${LOW_POWER_NODE_FLAGS.join(' ')} ${MAIN} serve`,
    );
  });

  it('names the settings this shell exports that the service would not see, never their values', async () => {
    sandbox = await makeSandbox({ SPOTIFY_CLIENT_SECRET: 'shh-secret-value', LOG_LEVEL: 'debug' });
    const out = await spotipi(sandbox, ['install-service', '--print']);
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('SPOTIFY_CLIENT_SECRET');
    expect(out.stderr).toContain('LOG_LEVEL');
    expect(out.stderr).toContain(join(sandbox.dir, '.env'));
    expect(out.stderr).not.toContain('SPOTIPI_STATE_DIR');
    expect(out.stderr + out.stdout).not.toContain('shh-secret-value');
  });

  it('--system --print runs as the invoking user and is wanted by multi-user.target', async () => {
    sandbox = await makeSandbox({ SUDO_USER: 'pi' });
    const out = await spotipi(sandbox, ['install-service', '--system', '--print']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('User=pi');
    expect(out.stdout).toContain('WantedBy=multi-user.target');
    const both = await spotipi(sandbox, ['install-service', '--system', '--user', '--print']);
    expect(both.code).toBe(2);
  });

  it('writes the user unit under XDG_CONFIG_HOME, prints how to enable it, and will not overwrite', async () => {
    sandbox = await makeSandbox();
    const box = sandbox;
    box.env.XDG_CONFIG_HOME = join(box.dir, 'config');
    const out = await spotipi(box, ['install-service']);
    expect(out.code).toBe(0);
    const path = join(box.dir, 'config/systemd/user/spotipi.service');
    expect(out.stdout).toContain(`Wrote ${path}`);
    expect(out.stdout).toContain('systemctl --user enable --now spotipi');
    expect(out.stdout).toContain('loginctl enable-linger');
    expect(readFileSync(path, 'utf8')).toContain('[Service]');
    const again = await spotipi(box, ['install-service']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; use --force');
    expect((await spotipi(box, ['install-service', '--force'])).code).toBe(0);
  });
});

describe('spotipi emulator', () => {
  it('serves the Spotify emulator on the given port, prints the demo credentials, and exits 0 on SIGTERM', async () => {
    sandbox = await makeSandbox();
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN, 'emulator', '--port', String(port)], {
      cwd: sandbox.dir,
      env: sandbox.env,
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(() => out.includes('SPOTIFY_REFRESH_TOKEN='), 20_000);
      expect(out).toContain(`Spotify emulator listening on http://127.0.0.1:${port}`);
      const me = await fetch(`http://127.0.0.1:${port}/v1/me`);
      expect(me.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('exits 1 with the reason when its port is taken', async () => {
    sandbox = await makeSandbox();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as AddressInfo;
    try {
      const run = await spotipi(sandbox, ['emulator', '--port', String(port)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });
});
