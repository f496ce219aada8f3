/**
 * Alarm preflight against the emulator over loopback, with the real token cache and Web API
 * client on a virtual clock (the emulator's faults and revocation make the failures real).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Preflight, type PreflightAlarm, type PreflightTokens } from '../../src/alarm/preflight.js';
import { RecordingLogger } from '../../src/alarm/test-helpers.js';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { TokenCache } from '../../src/token/token-cache.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

let emu: RunningEmulator;
let clock: ManualClock;
let cache: TokenCache;
let api: SpotifyWebApi;
let logger: RecordingLogger;
let alarms: PreflightAlarm[];
let loginExpiresAt: number | undefined;
const open: Preflight[] = [];

beforeEach(async () => {
  emu = await startEmulator();
  clock = new ManualClock();
  logger = new RecordingLogger();
  const accounts = new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });
  cache = new TokenCache({ refresh: accounts.refreshFn(), seedRefreshToken: DEMO_REFRESH_TOKEN, clock });
  api = new SpotifyWebApi({ baseUrl: emu.url, tokens: cache, clock });
  alarms = [];
  loginExpiresAt = undefined;
});

afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
  await cache.close();
  await emu.close();
});

/** The cache as preflight sees it, with the login's expiry (token snapshot `login`) set by the test. */
function tokens(): PreflightTokens {
  return {
    snapshot: () => ({
      ...cache.snapshot(),
      login: { expires_at: loginExpiresAt === undefined ? null : new Date(loginExpiresAt).toISOString() },
    }),
    getAccessToken: () => cache.getAccessToken(),
    forceRefresh: () => cache.forceRefresh(),
  };
}

function preflight(): Preflight {
  const p = new Preflight({
    alarms: () => alarms,
    tokens: tokens(),
    music: api,
    deviceKnown: async (name) => (await api.getDevices()).some((d) => d.id === name || d.name === name),
    clock,
    logger,
  });
  open.push(p);
  return p;
}

async function playlistUri(): Promise<string> {
  const lists = await api.getAllMyPlaylists();
  return lists[0]!.uri;
}

function alarm(extra: Partial<PreflightAlarm> = {}): PreflightAlarm {
  return {
    id: 'a1',
    label: 'Work',
    time: '07:00',
    enabled: true,
    context_uri: 'liked',
    device: null,
    next_fire_at: new Date(clock.now() + 20 * HOUR).toISOString(),
    ...extra,
  };
}

const refreshes = () => emu.stats().tokenGrants.refresh_token;

describe('alarm preflight', () => {
  it('finds an alarm ready when login, music and speaker all work', async () => {
    const speaker = emu.devices()[0]!.name;
    alarms = [alarm({ context_uri: await playlistUri(), device: speaker })];
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('a1')).toEqual({
      status: 'ok',
      reasons: [],
      checked_at: new Date(clock.now()).toISOString(),
    });
  });

  it('says the alarm will fail when Spotify revoked the login, and offers a new login', async () => {
    alarms = [alarm()];
    await cache.getAccessToken();
    emu.revokeRefreshTokens();
    // The token is old by the time of the check: the check refreshes for real and meets invalid_grant.
    await clock.advance(45 * MIN);
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('a1')).toMatchObject({
      status: 'failing',
      reasons: ['Spotify needs a new login'],
      needs_login: true,
      details: [{ code: 'login_needed' }],
    });
    expect(emu.stats().tokenErrors.invalid_grant).toBe(1);
  });

  it('refreshes for real only when the token is older than 30 minutes', async () => {
    alarms = [alarm()];
    await cache.getAccessToken();
    const before = refreshes();
    const p = preflight();
    await p.runDue();
    expect(refreshes()).toBe(before);
    await clock.advance(31 * MIN);
    alarms = [alarm({ time: '07:05' })]; // changed: checked again
    await p.runDue();
    expect(refreshes()).toBe(before + 1);
  });

  it('says the music is gone when the playlist, album or track no longer exists (404)', async () => {
    alarms = [
      alarm({ id: 'pl', context_uri: 'spotify:playlist:doesnotexist000000000' }),
      alarm({ id: 'al', context_uri: 'spotify:album:doesnotexist000000000' }),
      alarm({ id: 'ok', context_uri: await playlistUri() }),
    ];
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('pl')).toMatchObject({
      status: 'failing',
      reasons: ['The playlist to play no longer exists on Spotify (spotify:playlist:doesnotexist000000000)'],
    });
    expect(p.readinessOf('al')?.status).toBe('failing');
    expect(p.readinessOf('ok')?.status).toBe('ok');
  });

  it('warns (without failing) when Spotify refuses to look the music up', async () => {
    alarms = [alarm({ context_uri: await playlistUri() })];
    emu.injectFault({ target: 'api', kind: 'status', status: 403, count: 1, pathPrefix: '/v1/playlists' });
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('a1')?.status).toBe('warning');
    expect(p.readinessOf('a1')?.reasons[0]).toMatch(/^Could not check the music/);
  });

  it('warns when the speaker has not been seen, naming it', async () => {
    alarms = [alarm({ device: 'Garage' })];
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('a1')).toMatchObject({
      status: 'warning',
      reasons: ['The speaker "Garage" has not been seen by SpotiPi; another device may play instead'],
      // The same reason in machine form, for the UI to say in its language.
      details: [{ code: 'speaker_unseen', params: { device: 'Garage' } }],
    });
  });

  it('checks when first seen, from 12 h before and 10 min before the alarm, and again when edited', async () => {
    alarms = [alarm({ next_fire_at: new Date(clock.now() + 20 * HOUR).toISOString() })];
    const p = preflight();
    p.start();
    const checks = () => logger.find('alarm preflight: ready').length;
    await expect.poll(checks, { timeout: 15_000 }).toBe(1);
    await clock.advance(7 * HOUR); // 13 h before: nothing due
    expect(checks()).toBe(1);
    await clock.advance(HOUR + MIN); // 11:59 h before
    await expect.poll(checks, { timeout: 15_000 }).toBe(2);
    await clock.advance(11 * HOUR + 40 * MIN); // 19 min before
    expect(checks()).toBe(2);
    await clock.advance(10 * MIN); // 9 min before
    await expect.poll(checks, { timeout: 15_000 }).toBe(3);
    alarms = [alarm({ next_fire_at: alarms[0]!.next_fire_at, device: emu.devices()[0]!.name })];
    p.kick();
    await expect.poll(checks, { timeout: 15_000 }).toBe(4);
    // Disabled: no readiness at all.
    alarms = [{ ...alarms[0]!, enabled: false, next_fire_at: null }];
    p.kick();
    await expect.poll(() => p.readinessOf('a1'), { timeout: 15_000 }).toBeNull();
  });

  it('warns from 14 days before the login expires, and fails when it expires before the alarm', async () => {
    alarms = [alarm({ next_fire_at: new Date(clock.now() + 2 * DAY).toISOString() })];
    loginExpiresAt = clock.now() + 10 * DAY;
    const p = preflight();
    await p.runDue();
    expect(p.readinessOf('a1')).toMatchObject({
      status: 'warning',
      reasons: [
        `The Spotify login expires in 10 days (${new Date(loginExpiresAt).toISOString().slice(0, 10)}): log in again`,
      ],
      needs_login: true,
    });

    loginExpiresAt = clock.now() + DAY; // before the alarm (2 days away)
    alarms = [alarm({ next_fire_at: new Date(clock.now() + 2 * DAY).toISOString(), time: '08:00' })];
    await p.runDue();
    expect(p.readinessOf('a1')).toMatchObject({ status: 'failing', needs_login: true });
    expect(p.readinessOf('a1')?.reasons[0]).toMatch(
      /^The Spotify login expires on \d{4}-\d\d-\d\d, before this alarm/,
    );

    loginExpiresAt = clock.now() + 60 * DAY;
    alarms = [alarm({ time: '09:00' })];
    await p.runDue();
    expect(p.readinessOf('a1')?.status).toBe('ok');
  });
});

describe('alarm preflight on the token cache’s own login expiry', () => {
  it('reads login.expires_at from the real snapshot: a warning 10 days before, failing once it is before the alarm', async () => {
    const accounts = new AccountsClient({
      baseUrl: emu.url,
      clientId: DEMO_CLIENT_ID,
      clientSecret: DEMO_CLIENT_SECRET,
    });
    // A login that lasts 20 days (Spotify's is 6 months), seeded: authorized_at is its first use.
    const short = new TokenCache({
      refresh: accounts.refreshFn(),
      seedRefreshToken: DEMO_REFRESH_TOKEN,
      clock,
      loginLifetimeMs: 20 * DAY,
    });
    try {
      await short.getAccessToken();
      await clock.advance(10 * DAY);
      const p = new Preflight({
        alarms: () => alarms,
        tokens: short,
        music: new SpotifyWebApi({ baseUrl: emu.url, tokens: short, clock }),
        deviceKnown: async () => true,
        clock,
        logger,
      });
      open.push(p);
      alarms = [alarm({ next_fire_at: new Date(clock.now() + DAY).toISOString() })];
      await p.runDue();
      expect(short.snapshot().login.expires_at).not.toBeNull();
      expect(p.readinessOf('a1')).toMatchObject({ status: 'warning', needs_login: true });
      expect(p.readinessOf('a1')?.details?.[0]).toMatchObject({
        code: 'login_expires_soon',
        params: { days: 10 },
      });

      alarms = [alarm({ next_fire_at: new Date(clock.now() + 11 * DAY).toISOString(), time: '08:00' })];
      await p.runDue();
      expect(p.readinessOf('a1')).toMatchObject({
        status: 'failing',
        needs_login: true,
        details: [{ code: 'login_expires_before' }],
      });
    } finally {
      await short.close();
    }
  });
});
