import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { DEFAULT_SCOPES, loadConfig } from './load.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'spotipi-config-'));
}

function loadError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the documented defaults and demo mode when nothing is configured', () => {
    const cwd = tempDir();
    const config = loadConfig({ env: {}, cwd });
    expect(config.port).toBe(5001);
    expect(config.host).toBe('127.0.0.1');
    expect(config.mode).toBe('demo');
    expect(config.spotify.redirectUri).toBe('http://127.0.0.1:5001/callback');
    expect(config.spotify.accountsUrl).toBe('https://accounts.spotify.com');
    expect(config.spotify.apiUrl).toBe('https://api.spotify.com');
    expect(config.spotify.scopes).toEqual(DEFAULT_SCOPES);
    expect(config.tokenCache.refreshAheadMs).toBe(300_000);
    expect(config.tokenCache.safetyMarginMs).toBe(30_000);
    expect(config.logLevel).toBe('info');
    expect(config.stateDir).toMatch(/spotipi$/);
    expect(config.access.password).toBeUndefined();
  });

  it('reads the alarm snooze length and missed-alarm grace window, rejecting out-of-range values', () => {
    const cwd = tempDir();
    expect(loadConfig({ env: {}, cwd })).toMatchObject({ snoozeMinutes: 9, alarmGraceMs: 600_000 });
    const set = loadConfig({ env: { SPOTIPI_SNOOZE_MINUTES: '5', SPOTIPI_ALARM_GRACE_MINUTES: '30' }, cwd });
    expect(set).toMatchObject({ snoozeMinutes: 5, alarmGraceMs: 1_800_000 });
    const err = loadError(() => loadConfig({ env: { SPOTIPI_SNOOZE_MINUTES: '0' }, cwd }));
    expect(err.message).toContain('SPOTIPI_SNOOZE_MINUTES');
  });

  it('reads how long an alarm waits for its configured speaker before another plays (default 2 min)', () => {
    const cwd = tempDir();
    expect(loadConfig({ env: {}, cwd }).deviceFallbackMs).toBe(120_000);
    expect(loadConfig({ env: { SPOTIPI_DEVICE_FALLBACK_SECONDS: '30' }, cwd }).deviceFallbackMs).toBe(30_000);
    const err = loadError(() => loadConfig({ env: { SPOTIPI_DEVICE_FALLBACK_SECONDS: '-5' }, cwd }));
    expect(err.message).toContain('SPOTIPI_DEVICE_FALLBACK_SECONDS');
  });

  it('switches to Spotify mode when a client id is set and derives the redirect URI from PORT', () => {
    const config = loadConfig({ env: { SPOTIFY_CLIENT_ID: 'abc', PORT: '6000' }, cwd: tempDir() });
    expect(config.mode).toBe('spotify');
    expect(config.spotify.clientId).toBe('abc');
    expect(config.spotify.redirectUri).toBe('http://127.0.0.1:6000/callback');
  });

  it('forces demo mode with SPOTIPI_DEMO=true even when a client id is set', () => {
    const config = loadConfig({ env: { SPOTIFY_CLIENT_ID: 'abc', SPOTIPI_DEMO: 'true' }, cwd: tempDir() });
    expect(config.mode).toBe('demo');
  });

  it('lists every invalid setting in one error, naming each and its source', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'LOG_LEVEL=loud\n');
    const err = loadError(() =>
      loadConfig({
        env: {
          PORT: 'abc',
          SPOTIFY_ACCOUNTS_URL: 'ftp://x',
          SPOTIFY_REDIRECT_URI: 'http://localhost:5001/callback',
          TOKEN_REFRESH_AHEAD_SECONDS: '-5',
          SPOTIPI_DEMO: 'maybe',
          SPOTIPI_TIMEZONE: 'Mars/Olympus',
        },
        cwd,
      }),
    );
    const keys = err.problems.map((p) => p.key).sort();
    expect(keys).toEqual(
      [
        'LOG_LEVEL',
        'PORT',
        'SPOTIFY_ACCOUNTS_URL',
        'SPOTIFY_REDIRECT_URI',
        'SPOTIPI_DEMO',
        'SPOTIPI_TIMEZONE',
        'TOKEN_REFRESH_AHEAD_SECONDS',
      ].sort(),
    );
    expect(err.message).toContain('7 settings to fix');
    expect(err.message).toContain(
      'PORT: expected a whole number between 0 and 65535, got "abc" (from environment)',
    );
    expect(err.message).toContain('LOG_LEVEL');
    expect(err.message).toContain('(from .env file)');
    expect(err.message).toContain('localhost');
  });

  it('accepts a 32-byte Redis encryption key and rejects a short one without echoing it', () => {
    const cwd = tempDir();
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ env: { SPOTIPI_REDIS_KEY: key }, cwd }).redisEncryptionKey).toBe(key);
    const err = loadError(() => loadConfig({ env: { SPOTIPI_REDIS_KEY: 'tooshort-secret' }, cwd }));
    expect(err.message).toContain('SPOTIPI_REDIS_KEY');
    expect(err.message).not.toContain('tooshort-secret');
  });

  it('accepts a Redis key list for a rollout or rotation (first writes, all read; "plaintext" for none) and rejects a bad entry without echoing it', () => {
    const cwd = tempDir();
    const [a, b] = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('hex')];
    const list = `${a}, ${b},plaintext`;
    expect(loadConfig({ env: { SPOTIPI_REDIS_KEY: list }, cwd }).redisEncryptionKey).toBe(list);
    const err = loadError(() => loadConfig({ env: { SPOTIPI_REDIS_KEY: `${a},secret-but-short` }, cwd }));
    expect(err.message).toContain('SPOTIPI_REDIS_KEY');
    expect(err.message).not.toContain('secret-but-short');
    expect(err.message).not.toContain(a);
  });

  it('never echoes a secret value in the error message', () => {
    const err = loadError(() =>
      loadConfig({
        env: { SPOTIPI_API_TOKEN: 'short-secret', REDIS_URL: 'http://user:pw@host' },
        cwd: tempDir(),
      }),
    );
    expect(err.problems.map((p) => p.key).sort()).toEqual(['REDIS_URL', 'SPOTIPI_API_TOKEN']);
    expect(err.message).not.toContain('short-secret');
    expect(err.message).not.toContain('user:pw');
  });

  it('requires a client id when demo mode is switched off explicitly', () => {
    const err = loadError(() => loadConfig({ env: { SPOTIPI_DEMO: 'false' }, cwd: tempDir() }));
    expect(err.problems).toEqual([expect.objectContaining({ key: 'SPOTIFY_CLIENT_ID' })]);
  });

  it('takes the environment over the .env file over the config file', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), '# comment\nPORT=6001\nHOST="0.0.0.0"\nLOG_LEVEL=debug\n');
    writeFileSync(
      join(cwd, 'spotipi.json'),
      JSON.stringify({
        PORT: 7000,
        HOST: '10.0.0.1',
        SPOTIFY_CLIENT_ID: 'from-file',
        SPOTIFY_SCOPES: ['a', 'b'],
      }),
    );
    const config = loadConfig({ env: { PORT: '6002', SPOTIPI_CONFIG: 'spotipi.json' }, cwd });
    expect(config.port).toBe(6002);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('debug');
    expect(config.spotify.clientId).toBe('from-file');
    expect(config.spotify.scopes).toEqual(['a', 'b']);
    expect(config.sources).toMatchObject({
      PORT: 'environment',
      HOST: '.env file',
      SPOTIFY_CLIENT_ID: 'config file',
    });
  });

  it('treats empty values as unset, so a .env template with blanks stays in demo mode', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), 'SPOTIFY_CLIENT_ID=\nSPOTIFY_CLIENT_SECRET=\n');
    expect(loadConfig({ env: {}, cwd }).mode).toBe('demo');
  });

  it('reports a missing explicit config file, bad JSON and unknown keys', () => {
    const cwd = tempDir();
    expect(loadError(() => loadConfig({ env: {}, cwd, configPath: 'nope.json' })).message).toContain(
      'SPOTIPI_CONFIG: cannot read',
    );
    writeFileSync(join(cwd, 'bad.json'), '{"PORT": ');
    expect(loadError(() => loadConfig({ env: {}, cwd, configPath: 'bad.json' })).message).toContain(
      'not valid JSON',
    );
    writeFileSync(join(cwd, 'unknown.json'), JSON.stringify({ PROT: 1, HOST: { a: 1 } }));
    const err = loadError(() => loadConfig({ env: {}, cwd, configPath: 'unknown.json' }));
    expect(err.problems.map((p) => p.key).sort()).toEqual(['HOST', 'PROT']);
  });

  it('reports an explicitly named .env file that does not exist', () => {
    const err = loadError(() => loadConfig({ env: {}, cwd: tempDir(), envFile: 'missing.env' }));
    expect(err.problems[0]?.key).toBe('SPOTIPI_ENV_FILE');
  });

  it('accepts https and loopback-IP redirect URIs', () => {
    const cwd = tempDir();
    for (const uri of [
      'https://pi.example.com/callback',
      'http://127.0.0.1:5001/callback',
      'http://[::1]:5001/cb',
    ]) {
      expect(loadConfig({ env: { SPOTIFY_REDIRECT_URI: uri }, cwd }).spotify.redirectUri).toBe(uri);
    }
    expect(() =>
      loadConfig({ env: { SPOTIFY_REDIRECT_URI: 'http://192.168.1.5:5001/callback' }, cwd }),
    ).toThrow(ConfigError);
  });

  it('resolves a relative state dir against cwd and strips trailing slashes from base URLs', () => {
    const cwd = tempDir();
    const config = loadConfig({
      env: { SPOTIPI_STATE_DIR: 'state', SPOTIFY_API_URL: 'http://127.0.0.1:9/' },
      cwd,
    });
    expect(config.stateDir).toBe(join(cwd, 'state'));
    expect(config.spotify.apiUrl).toBe('http://127.0.0.1:9');
  });
});
