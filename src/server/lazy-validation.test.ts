import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyValidatorFactory } from './lazy-validation.js';

function app() {
  return Fastify({ schemaController: { compilersFactory: { buildValidator: lazyValidatorFactory() } } });
}

describe('lazyValidatorFactory', () => {
  it('validates as Fastify does: a bad body is a 400 naming the field, every time', async () => {
    const a = app();
    a.post(
      '/v',
      {
        schema: {
          body: { type: 'object', properties: { volume: { type: 'integer' } }, required: ['volume'] },
        },
      },
      async (request) => request.body,
    );
    for (let i = 0; i < 2; i++) {
      const bad = await a.inject({ method: 'POST', url: '/v', payload: { volume: 'loud' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('volume');
    }
    const good = await a.inject({ method: 'POST', url: '/v', payload: { volume: 3 } });
    expect(good.json()).toEqual({ volume: 3 });
    await a.close();
  });

  it('compiles a schema on its first request, not when the server starts', async () => {
    const a = app();
    // ajv refuses this schema when it compiles it: the start still succeeds.
    a.get('/broken', { schema: { querystring: { type: 'no-such-type' } } }, async () => 'ok');
    a.get('/fine', async () => 'ok');
    await a.ready();
    expect((await a.inject('/fine')).statusCode).toBe(200);
    expect((await a.inject('/broken')).statusCode).toBe(500);
    await a.close();
  });
});
