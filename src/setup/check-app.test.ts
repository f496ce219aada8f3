import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import type { RunningEmulator } from '../emulator/types.js';
import { checkSpotifyApp } from './check-app.js';

const ID = '0123456789abcdef0123456789abcdef';
const SECRET = 'fedcba9876543210fedcba9876543210';
let spotify: RunningEmulator;
beforeAll(async () => {
  spotify = await startEmulator({ port: 0, clientId: ID, clientSecret: SECRET });
});
afterAll(async () => {
  await spotify.close();
});

describe('checkSpotifyApp against the token endpoint', () => {
  it('tells a good app (with or without secret) from an unknown id, a wrong secret and a malformed id', async () => {
    const check = (clientId: string, clientSecret?: string) =>
      checkSpotifyApp({ accountsUrl: spotify.url, clientId, clientSecret });
    expect(await check(ID, SECRET)).toEqual({ ok: true, confidential: true });
    expect(await check(ID)).toEqual({ ok: true, confidential: false });
    expect(await check(` ${ID} `, ` ${SECRET} `)).toEqual({ ok: true, confidential: true });
    expect(await check('ffffffffffffffffffffffffffffffff')).toMatchObject({ ok: false, field: 'client_id' });
    expect(await check(ID, 'wrong')).toMatchObject({ ok: false, field: 'client_secret' });
    expect(await check('not an id')).toMatchObject({
      ok: false,
      field: 'client_id',
      key: 'error.setup.clientIdFormat',
    });
  });

  it('says Spotify cannot be reached, and an unexpected answer is not blamed on the input', async () => {
    expect(
      await checkSpotifyApp({ accountsUrl: 'http://127.0.0.1:9', clientId: ID, timeoutMs: 2000 }),
    ).toMatchObject({
      ok: false,
      field: 'accounts',
      key: 'error.setup.unreachable',
    });
    await fetch(`${spotify.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: 'token', kind: 'status', status: 500 }),
    });
    expect(await checkSpotifyApp({ accountsUrl: spotify.url, clientId: ID })).toMatchObject({
      ok: false,
      field: 'accounts',
    });
  });
});
