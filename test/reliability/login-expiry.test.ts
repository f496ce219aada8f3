import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
  startEmulator,
} from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { AccountsClient, isRetryableRefreshError } from '../../src/spotify/accounts-client.js';
import { ReauthorizationRequiredError } from '../../src/token/errors.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { RecordingLogger } from '../../src/token/test-helpers/recording-logger.js';
import { TokenCache } from '../../src/token/token-cache.js';

const DAY_MS = 86_400_000;
const LOGIN_DAYS = 182;

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('The login expires 6 months after it was made, and SpotiPi says so before it does', () => {
  it('counts from first use of a seeded refresh token (an estimate), warns once a day from 14 days before, and ends in reauthorization_required when the emulator answers invalid_grant', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    emulator = await startEmulator({
      clock,
      rotateRefreshTokens: true,
      refreshTokenLifetimeSec: (LOGIN_DAYS * DAY_MS) / 1000,
    });
    const accounts = new AccountsClient({
      baseUrl: emulator.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
    });
    const logger = new RecordingLogger();
    const cache = new TokenCache({
      refresh: accounts.refreshFn(),
      isRetryable: isRetryableRefreshError,
      clock,
      logger,
      seedRefreshToken: DEMO_REFRESH_TOKEN,
      loginLifetimeMs: LOGIN_DAYS * DAY_MS,
    });
    await cache.getAccessToken();
    expect(cache.snapshot().login).toEqual({
      authorized_at: new Date(start).toISOString(),
      authorized_at_estimated: true,
      expires_at: new Date(start + LOGIN_DAYS * DAY_MS).toISOString(),
      expires_in_seconds: (LOGIN_DAYS * DAY_MS) / 1000,
    });
    const warnings = () => logger.find('warn', 'login expires soon').length;

    // Use every few weeks until 15 days before the end: no warning yet.
    for (let day = 30; day < LOGIN_DAYS - 15; day += 30) {
      await clock.advanceTo(start + day * DAY_MS);
      await cache.getAccessToken();
    }
    await clock.advanceTo(start + (LOGIN_DAYS - 15) * DAY_MS);
    await cache.forceRefresh();
    expect(warnings()).toBe(0);
    // From 14 days before: one warning a day, however often the token is refreshed.
    await clock.advanceTo(start + (LOGIN_DAYS - 14) * DAY_MS);
    for (let hour = 0; hour < 48; hour++) {
      await cache.forceRefresh();
      await clock.advance(3_600_000);
    }
    expect(warnings()).toBe(2);
    expect(cache.snapshot().login.expires_in_seconds).toBe(12 * 86_400);

    // The emulator ends the grant: invalid_grant, and the cache asks for a new login.
    await clock.advanceTo(start + LOGIN_DAYS * DAY_MS + 1000);
    const err = await cache.forceRefresh().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReauthorizationRequiredError);
    expect(cache.snapshot().state).toBe('reauthorization_required');
    expect(cache.snapshot().login.expires_in_seconds).toBe(0);

    // A login starts a new grant, dated now and not estimated.
    const login = emulator.issueAccessToken();
    await cache.setRefreshToken(login.refreshToken);
    await expect(cache.getAccessToken()).resolves.toBeTypeOf('string');
    expect(cache.snapshot().login).toMatchObject({
      authorized_at: new Date(clock.now()).toISOString(),
      authorized_at_estimated: false,
      expires_in_seconds: (LOGIN_DAYS * DAY_MS) / 1000,
    });
    await cache.close();
  });
});
