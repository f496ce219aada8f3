import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { NoActiveDeviceError, SpotifyRateLimitedError } from '../../spotify/errors.js';
import { installAlarmErrorHandler } from './alarm-errors.js';

async function appThrowing(err: unknown) {
  const app = Fastify();
  installAlarmErrorHandler(app);
  app.get('/boom', async () => {
    throw err;
  });
  await app.ready();
  return app;
}

describe('the alarm routes error handler', () => {
  it('answers a Spotify "no active device" with 409 and what to do, like every other route', async () => {
    const app = await appThrowing(
      new NoActiveDeviceError(
        'Player command failed: No active device found',
        404,
        'PUT /v1/me/player/play',
        'NO_ACTIVE_DEVICE',
      ),
    );
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/device/i);
    await app.close();
  });

  it('answers Spotify rate limiting with 503 and a Retry-After header', async () => {
    const app = await appThrowing(new SpotifyRateLimitedError('rate limited', 42_000, 'GET /v1/me/player'));
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('42');
    await app.close();
  });

  it('answers an unexpected error with a 500 that carries no stack or detail', async () => {
    const app = await appThrowing(new Error('secret internals at /src/x.ts:1'));
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internals');
    await app.close();
  });
});
