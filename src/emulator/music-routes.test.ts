import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../token/manual-clock.js';
import { startEmulator } from './server.js';
import type { RunningEmulator } from './types.js';

let clock: ManualClock;
let emu: RunningEmulator;
beforeAll(async () => {
  clock = new ManualClock(Date.UTC(2026, 10, 30, 12, 0));
  emu = await startEmulator({ clock });
});
afterAll(async () => {
  await emu.close();
});

async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const token = emu.issueAccessToken().accessToken;
  const res = await fetch(`${emu.url}/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

interface History {
  items: { track: { uri: string }; played_at: string; context: { uri: string } | null }[];
}

describe("the emulator's listening history", () => {
  it('adds a track once it has played for 30 s, newest first, with its context', async () => {
    emu.reset();
    const album = (await api<{ albums: { items: { uri: string }[] } }>('GET', '/search?q=the&type=album'))
      .body.albums.items[0]!.uri;
    expect((await api('PUT', '/me/player/play', { context_uri: album })).status).toBe(204);
    const playing = (await api<{ item: { uri: string } }>('GET', '/me/player')).body.item.uri;

    await clock.advance(29_000);
    const early = (await api<History>('GET', '/me/player/recently-played?limit=1')).body;
    expect(early.items[0]?.track.uri).not.toBe(playing);

    await clock.advance(2_000);
    const after = (await api<History>('GET', '/me/player/recently-played?limit=2')).body;
    expect(after.items[0]).toMatchObject({ track: { uri: playing }, context: { uri: album } });
    expect(Date.parse(after.items[0]!.played_at)).toBeGreaterThan(Date.parse(after.items[1]!.played_at));
    // Asking again does not add it twice.
    const again = (await api<History>('GET', '/me/player/recently-played?limit=2')).body;
    expect(again.items[1]?.track.uri).toBe(after.items[1]?.track.uri);
  });
});
