/**
 * A SpotiPi alarm stack for tests: the real Spotify client and token cache talking over loopback
 * to the emulator (with its device behaviours), the scheduler and sleep timer behind the real
 * alarm and sleep routes (Fastify, `app.inject`). The scheduler and the emulator share one
 * virtual clock; HTTP runs in real time, so `run` steps virtual time and waits for the calls
 * each step starts.
 */
import { setImmediate as turn } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { FallbackSound } from '../../src/alarm/fallback-port.js';
import type { AlarmPlayer } from '../../src/alarm/player.js';
import { AlarmScheduler, type AlarmSchedulerOptions } from '../../src/alarm/scheduler.js';
import { SleepTimer } from '../../src/alarm/sleep-timer.js';
import { RecordingLogger, tempStateDir } from '../../src/alarm/test-helpers.js';
import {
  DEMO_CLIENT_ID,
  DEMO_CLIENT_SECRET,
  DEMO_REFRESH_TOKEN,
} from '../../src/emulator/demo-credentials.js';
import { startEmulator } from '../../src/emulator/server.js';
import type { RunningEmulator } from '../../src/emulator/types.js';
import { handleError } from '../../src/server/errors.js';
import { alarmRoutes } from '../../src/server/routes/alarms.js';
import { sleepRoutes } from '../../src/server/routes/sleep.js';
import { AccountsClient } from '../../src/spotify/accounts-client.js';
import { SpotifyWebApi } from '../../src/spotify/web-api-client.js';
import { ManualClock } from '../../src/token/manual-clock.js';
import { TokenCache } from '../../src/token/token-cache.js';
import type { Clock } from '../../src/token/types.js';

/** Delegates to the real client, recording volumes set and counting calls in flight. */
export class TrackedPlayer implements AlarmPlayer {
  private readonly inflight = new Set<Promise<unknown>>();
  /** Every volume the alarm side set, with the (virtual) time it was asked for. */
  readonly volumes: { volume: number; at: number }[] = [];
  constructor(
    private readonly api: AlarmPlayer,
    private readonly clock: Clock,
  ) {}
  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }
  /** Resolves once no call is in flight and continuations have run. */
  async quiet(): Promise<void> {
    for (;;) {
      for (let i = 0; i < 5; i++) await turn();
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }
  getDevices = () => this.track(this.api.getDevices());
  transferPlayback = (id: string, play?: boolean) => this.track(this.api.transferPlayback(id, play));
  setVolume = (pct: number, id?: string) => {
    this.volumes.push({ volume: pct, at: this.clock.now() });
    return this.track(this.api.setVolume(pct, id));
  };
  play = (req: Parameters<AlarmPlayer['play']>[0]) => this.track(this.api.play(req));
  setShuffle = (on: boolean, id?: string) => this.track(this.api.setShuffle(on, id));
  pause = (id?: string) => this.track(this.api.pause(id));
  getPlaybackState = () => this.track(this.api.getPlaybackState());
  getCurrentUser = () => this.track(this.api.getCurrentUser!());
}

/** A FallbackSound that records what it was asked to do. */
export class RecordingFallback implements FallbackSound {
  readonly calls: { what: 'start' | 'stop'; alarmId: string; reason?: string; at: number }[] = [];
  readonly ringing = new Set<string>();
  constructor(private readonly clock: Clock) {}
  start(alarmId: string, reason: string): void {
    this.calls.push({ what: 'start', alarmId, reason, at: this.clock.now() });
    this.ringing.add(alarmId);
  }
  stop(alarmId: string): void {
    this.calls.push({ what: 'stop', alarmId, at: this.clock.now() });
    this.ringing.delete(alarmId);
  }
}

export const MIN = 60_000;

/** One test's stack; `close()` tears it all down. */
export interface Stack {
  emu: RunningEmulator;
  clock: ManualClock;
  player: TrackedPlayer;
  logger: RecordingLogger;
  dir: string;
  app: FastifyInstance;
  scheduler: AlarmScheduler;
  sleepTimer: SleepTimer;
  /** Stops the scheduler (as a crash or restart would) and starts a new one on the same state dir. */
  restart(extra?: Partial<AlarmSchedulerOptions>, downMs?: number): Promise<void>;
  /** Advances virtual time in steps, letting the HTTP calls of each step finish. */
  run(ms: number, step?: number): Promise<void>;
  /** `app.inject` shorthand returning status and JSON body. */
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the tests assert on field by field
  ): Promise<{ status: number; body: any }>;
  /** An emulator device's id by name. */
  deviceId(name: string): string;
  /** The first playlist's URI. */
  playlist(): Promise<string>;
  close(): Promise<void>;
}

/** Builds a stack; `options` go to the scheduler (defaults: 1 s retry base, 3 s fade steps). */
export async function startStack(options: Partial<AlarmSchedulerOptions> = {}): Promise<Stack> {
  const clock = new ManualClock();
  const emu = await startEmulator({ clock });
  const { dir, cleanup } = await tempStateDir();
  const logger = new RecordingLogger();
  const accounts = new AccountsClient({
    baseUrl: emu.url,
    clientId: DEMO_CLIENT_ID,
    clientSecret: DEMO_CLIENT_SECRET,
  });
  const cache = new TokenCache({ refresh: accounts.refreshFn(), seedRefreshToken: DEMO_REFRESH_TOKEN });
  // Real time for HTTP back-offs (short, so outages cost the test little wall time).
  const api = new SpotifyWebApi({ baseUrl: emu.url, tokens: cache, backoffBaseMs: 1 });
  const player = new TrackedPlayer(api, clock);
  const sleepTimer = new SleepTimer({ stateDir: dir, player, clock, logger, fadeStepMs: 3_000 });
  await sleepTimer.start();
  const make = async (extra: Partial<AlarmSchedulerOptions>) => {
    const s = new AlarmScheduler({
      stateDir: dir,
      player,
      defaultTimezone: 'Europe/Berlin',
      clock,
      logger,
      warmToken: () => cache.getAccessToken(),
      retryBaseMs: 1_000,
      fadeStepMs: 3_000,
      sleepTimer,
      ...options,
      ...extra,
    });
    await s.start();
    return s;
  };
  let scheduler = await make({});
  let app = await serve(scheduler, sleepTimer);
  const stack: Stack = {
    emu,
    clock,
    player,
    logger,
    dir,
    get app() {
      return app;
    },
    get scheduler() {
      return scheduler;
    },
    sleepTimer,
    async restart(extra = {}, downMs = 0) {
      await app.close();
      await scheduler.close();
      await player.quiet();
      if (downMs > 0) await clock.advance(downMs);
      scheduler = await make(extra);
      app = await serve(scheduler, sleepTimer);
    },
    async run(ms, step = 1_000) {
      for (let done = 0; done < ms; done += step) {
        await clock.advance(Math.min(step, ms - done));
        await player.quiet();
      }
    },
    async call(method, url, payload) {
      const res = await app.inject({
        method,
        url,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      return { status: res.statusCode, body: res.body ? res.json() : undefined };
    },
    deviceId(name) {
      const d = emu.devices().find((x) => x.name === name);
      if (!d) throw new Error(`no emulator device ${name}`);
      return d.id;
    },
    async playlist() {
      const own = emu.issueAccessToken().accessToken;
      const phone = new SpotifyWebApi({
        baseUrl: emu.url,
        tokens: { getAccessToken: async () => own, invalidate() {} },
      });
      return (await phone.getAllMyPlaylists())[0]!.uri;
    },
    async close() {
      await app.close();
      await scheduler.close();
      await sleepTimer.close();
      await player.quiet();
      await cache.close?.();
      await emu.close();
      await cleanup();
    },
  };
  return stack;
}

async function serve(scheduler: AlarmScheduler, sleepTimer: SleepTimer): Promise<FastifyInstance> {
  const app = Fastify();
  // The app's one error handler, as buildApp installs it.
  app.setErrorHandler(handleError);
  await app.register(alarmRoutes, { scheduler });
  await app.register(sleepRoutes, { sleepTimer });
  await app.ready();
  return app;
}
