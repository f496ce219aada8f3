import { describe, expect, it } from 'vitest';
import { ReauthorizationRequiredError } from './errors.js';
import { ManualClock } from './manual-clock.js';
import { MemoryStore } from './stores/memory-store.js';
import { SharedMemoryBackend } from './stores/shared-memory-store.js';
import { FakeIssuer, settle } from './test-helpers/fake-issuer.js';
import { RecordingLogger } from './test-helpers/recording-logger.js';
import { TokenCache } from './token-cache.js';

function setup() {
  const clock = new ManualClock();
  const issuer = new FakeIssuer(clock);
  const store = new MemoryStore();
  const cache = new TokenCache({
    refresh: issuer.refresh,
    clock,
    store,
    logger: new RecordingLogger(),
    random: () => 0.5,
    seedRefreshToken: 'seed-refresh-token',
  });
  return { clock, issuer, store, cache };
}

describe('TokenCache.forgetRefreshToken (Disconnect)', () => {
  it('drops both tokens, saves a record without them and asks for a login until a new one is set', async () => {
    const { cache, issuer, store } = setup();
    await cache.getAccessToken();
    const calls = issuer.calls;
    await cache.forgetRefreshToken();

    await expect(cache.getAccessToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
    expect(issuer.calls).toBe(calls);
    const snap = cache.snapshot();
    expect(snap.state).toBe('reauthorization_required');
    expect(snap.refresh_token.present).toBe(false);
    const record = await store.load();
    expect(record?.refreshToken).toBeUndefined();
    expect(record?.accessToken).toBeUndefined();

    await cache.setRefreshToken('new-login');
    expect(await cache.getAccessToken()).toBeTruthy();
    expect(cache.snapshot().state).toBe('valid');
  });

  it('discards a refresh that was in flight when the user disconnected', async () => {
    const { cache, issuer, clock } = setup();
    issuer.latencyMs = 1000;
    const pending = cache.getAccessToken().catch((err: unknown) => err);
    await cache.forgetRefreshToken();
    await clock.advance(1000);
    await pending;
    expect(cache.snapshot().state).toBe('reauthorization_required');
    await expect(cache.getAccessToken()).rejects.toBeInstanceOf(ReauthorizationRequiredError);
  });
});

describe('Disconnect in a fleet (shared store)', () => {
  function fleet() {
    const clock = new ManualClock();
    const issuer = new FakeIssuer(clock);
    const backend = new SharedMemoryBackend(clock);
    const make = (name: string) =>
      new TokenCache({
        refresh: issuer.refresh,
        clock,
        store: backend.connect(),
        logger: new RecordingLogger(),
        random: () => 0.5,
        name,
        seedRefreshToken: 'seed-refresh-token',
      });
    return { clock, issuer, a: make('a'), b: make('b') };
  }

  it('logs out every server: the others drop their token and ask for a login without asking Spotify', async () => {
    const { issuer, a, b } = fleet();
    const token = await a.getAccessToken();
    expect(await b.getAccessToken()).toBe(token);
    const calls = issuer.calls;

    await a.forgetRefreshToken();
    await settle();

    await expect(b.getAccessToken()).rejects.toThrow(/disconnected on another SpotiPi server/);
    expect(b.snapshot().state).toBe('reauthorization_required');
    expect(b.snapshot().refresh_token.present).toBe(false);
    expect(issuer.calls).toBe(calls);
  });

  it('takes a login made after the Disconnect on any server', async () => {
    const { a, b } = fleet();
    await a.getAccessToken();
    await b.getAccessToken();
    await a.forgetRefreshToken();
    await settle();

    await b.setRefreshToken('new-login');
    await settle();
    expect(await a.getAccessToken()).toBe(await b.getAccessToken());
    expect(a.snapshot().state).toBe('valid');
  });
});
