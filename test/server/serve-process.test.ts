import { afterEach, describe, expect, it } from 'vitest';
import { killServeChildren, listeningUrl, outputContains, runServe } from './serve-child.js';

afterEach(killServeChildren);

describe('spotipi serve as a process', () => {
  it('starts in demo mode with no configuration, answers /healthz with mode demo, and exits 0 on SIGTERM', async () => {
    const run = runServe({ PORT: '0' });
    const url = await listeningUrl(run);
    // The CLI's own "listening … (DEMO MODE)" line may follow the JSON log line the URL came from.
    await outputContains(run, '(DEMO MODE)');
    const health = (await (await fetch(`${url}/healthz`)).json()) as { mode: string };
    expect(health.mode).toBe('demo');
    expect((await fetch(`${url}/api/devices`)).status).toBe(200);
    expect(run.stdout()).toContain('DEMO MODE: no SPOTIFY_CLIENT_ID configured');

    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toContain('"msg":"stopped"');
  });

  it('shuts down cleanly on SIGINT too', async () => {
    const run = runServe({ PORT: '0', LOG_LEVEL: 'warn' });
    await listeningUrl(run);
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
  });

  it('lists every configuration problem in one message and exits 2', async () => {
    const run = runServe({ PORT: 'abc', LOG_LEVEL: 'loud', SPOTIFY_API_URL: 'nope' });
    const { code } = await run.exited;
    expect(code).toBe(2);
    const err = run.stderr();
    expect(err).toContain('Invalid configuration: 3 settings to fix');
    expect(err).toContain('PORT');
    expect(err).toContain('LOG_LEVEL');
    expect(err).toContain('SPOTIFY_API_URL');
  });

  it('says clearly when the port is taken', async () => {
    const first = runServe({ PORT: '0', LOG_LEVEL: 'warn' });
    const url = await listeningUrl(first);
    const second = runServe({ PORT: new URL(url).port, LOG_LEVEL: 'warn' });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/port \d+ on 127\.0\.0\.1 is already in use/);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});
