import type { Clock, Logger } from '../token/types.js';
import { actionFor, NoDeviceError } from './error-kinds.js';
import { describeError } from './errors.js';
import { LIKED_SONGS } from './model.js';
import type { AlarmPlayer, PlayerDevice, PlayRequest } from './player.js';

export { NoDeviceError };

/**
 * Chooses the device to play on: the preferred one (by id, then by name, case-insensitive),
 * else the active one, else the first available. Each attempt is logged.
 */
export async function pickDevice(
  player: AlarmPlayer,
  preferred: string | null,
  logger: Logger,
  context: object = {},
): Promise<PlayerDevice & { id: string }> {
  const devices = (await player.getDevices()).filter(
    (d): d is PlayerDevice & { id: string } => typeof d.id === 'string' && d.id.length > 0,
  );
  const usable = devices.filter((d) => !d.is_restricted);
  if (preferred) {
    const wanted = preferred.toLowerCase();
    const match =
      usable.find((d) => d.id === preferred) ?? usable.find((d) => d.name.toLowerCase() === wanted);
    if (match) {
      logger.info(
        { ...context, device: match.name, choice: 'preferred' },
        'alarm device: preferred device found',
      );
      return match;
    }
    logger.warn(
      { ...context, wanted: preferred, available: usable.map((d) => d.name) },
      'alarm device: preferred device not available, trying the active device',
    );
  }
  const active = usable.find((d) => d.is_active);
  if (active) {
    logger.info(
      { ...context, device: active.name, choice: 'active' },
      'alarm device: using the active device',
    );
    return active;
  }
  const any = usable[0];
  if (any) {
    logger.info(
      { ...context, device: any.name, choice: 'any' },
      'alarm device: using the first available device',
    );
    return any;
  }
  logger.warn({ ...context }, 'alarm device: no device available');
  throw new NoDeviceError('no Spotify device is available');
}

/** Turns a stored context URI into a play request (tracks play as `uris`, `liked` is resolved). */
export async function playRequestFor(player: AlarmPlayer, contextUri: string): Promise<PlayRequest> {
  if (contextUri === LIKED_SONGS) {
    if (!player.getCurrentUser)
      throw new Error('liked songs need the current user, which this player cannot tell');
    const me = await player.getCurrentUser();
    return { contextUri: `spotify:user:${me.id}:collection` };
  }
  if (contextUri.startsWith('spotify:track:') || contextUri.startsWith('spotify:episode:')) {
    return { uris: [contextUri] };
  }
  return { contextUri };
}

/** Errors that another attempt cannot fix (the grant is dead, the request itself is wrong). */
export function isPermanent(err: unknown): boolean {
  // One table (error-kinds.ts) decides, by class: 400/403, a dead login and bad settings repeat.
  return actionFor('play', err).action === 'give_up';
}

/** Knobs of the retry loop. */
export interface RetryOptions {
  clock: Clock;
  logger: Logger;
  /** Keep trying for this long (monotonic ms) before giving up. */
  retryForMs: number;
  /** First back-off; doubles up to 15 s. */
  retryBaseMs: number;
  signal?: AbortSignal;
  context?: object;
}

/** Runs `attempt` until it succeeds, a permanent error occurs, or `retryForMs` has passed. */
export async function withRetry<T>(what: string, attempt: () => Promise<T>, o: RetryOptions): Promise<T> {
  const started = o.clock.monotonic();
  for (let n = 1; ; n++) {
    o.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      o.signal?.throwIfAborted();
      const elapsed = o.clock.monotonic() - started;
      const wait = Math.min(o.retryBaseMs * 2 ** (n - 1), 15_000);
      if (isPermanent(err) || elapsed + wait > o.retryForMs) {
        o.logger.error({ ...o.context, attempt: n, err: describeError(err) }, `${what} failed; giving up`);
        throw err;
      }
      o.logger.warn(
        { ...o.context, attempt: n, retryInMs: wait, err: describeError(err) },
        `${what} failed; retrying`,
      );
      await o.clock.sleep(wait, o.signal);
    }
  }
}

/** What an alarm (or the sleep timer) asks to start. */
export interface StartRequest {
  contextUri: string;
  device: string | null;
  shuffle: boolean;
  /** Volume to start at (the fade's first value, or the target when there is no fade). */
  startVolume: number;
}

/**
 * Picks a device, transfers playback to it if it is not active, sets the start volume and
 * shuffle, then starts the context. The whole sequence is retried as one unit.
 */
export async function startPlayback(
  player: AlarmPlayer,
  req: StartRequest,
  o: RetryOptions,
): Promise<PlayerDevice & { id: string }> {
  const log = o.logger;
  const ctx = o.context ?? {};
  return withRetry(
    'start playback',
    async () => {
      const device = await pickDevice(player, req.device, log, ctx);
      if (!device.is_active) {
        log.info({ ...ctx, device: device.name }, 'transferring playback');
        await player.transferPlayback(device.id, false);
      }
      await player.setVolume(req.startVolume, device.id);
      await player.setShuffle(req.shuffle, device.id);
      const play = await playRequestFor(player, req.contextUri);
      await player.play({ ...play, deviceId: device.id });
      log.info({ ...ctx, device: device.name, volume: req.startVolume }, 'playback started');
      return device;
    },
    o,
  );
}

/** How a volume ramp ended. */
export type RampOutcome = 'completed' | 'user_changed' | 'user_paused' | 'aborted';

/** Parameters of a volume ramp. */
export interface RampOptions {
  clock: Clock;
  logger: Logger;
  deviceId: string;
  from: number;
  to: number;
  durationMs: number;
  /** Interval between steps (smaller = smoother, more API calls). */
  stepMs: number;
  signal?: AbortSignal;
  context?: object;
}

/** Volumes for each step after `from`, ending exactly at `to`. */
export function rampSteps(from: number, to: number, durationMs: number, stepMs: number): number[] {
  const n = Math.max(1, Math.round(durationMs / stepMs));
  const out: number[] = [];
  for (let i = 1; i <= n; i++) {
    const v = Math.round(from + ((to - from) * i) / n);
    if (out[out.length - 1] !== v) out.push(v);
  }
  return out;
}

/**
 * Moves the volume from `from` to `to` over `durationMs`. Before each step it reads the
 * playback state: if the volume differs from the last value set (the user turned it) or
 * playback was paused, the ramp stops and leaves the user's choice alone.
 */
export async function rampVolume(player: AlarmPlayer, o: RampOptions): Promise<RampOutcome> {
  const steps = rampSteps(o.from, o.to, o.durationMs, o.stepMs);
  const interval = o.durationMs / Math.max(1, Math.round(o.durationMs / o.stepMs));
  let last = o.from;
  const ctx = o.context ?? {};
  for (const volume of steps) {
    try {
      await o.clock.sleep(interval, o.signal);
    } catch {
      return 'aborted';
    }
    if (o.signal?.aborted) return 'aborted';
    try {
      const state = await player.getPlaybackState();
      if (state && state.device?.id === o.deviceId) {
        if (!state.is_playing) {
          o.logger.info({ ...ctx }, 'fade stopped: playback was paused');
          return 'user_paused';
        }
        const now = state.device.volume_percent;
        // Devices round volumes; a difference of a point or two is not the user.
        if (typeof now === 'number' && Math.abs(now - last) > 2) {
          o.logger.info({ ...ctx, expected: last, found: now }, 'fade stopped: volume changed by the user');
          return 'user_changed';
        }
      }
    } catch (err) {
      o.logger.warn({ ...ctx, err: describeError(err) }, 'fade: could not read playback state');
    }
    if (o.signal?.aborted) return 'aborted';
    try {
      await player.setVolume(volume, o.deviceId);
      last = volume;
      o.logger.debug({ ...ctx, volume }, 'fade step');
    } catch (err) {
      o.logger.warn({ ...ctx, volume, err: describeError(err) }, 'fade step failed; continuing');
    }
  }
  return 'completed';
}
