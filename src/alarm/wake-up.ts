import type { Clock, Logger } from '../token/types.js';
import { chooseDevice, type DeviceChoice } from './device-choice.js';
import type { DeviceMemory } from './device-memory.js';
import { actionFor, type ErrorKind, type WakeStep } from './error-kinds.js';
import { describeError } from './errors.js';
import { playRequestFor } from './playback.js';
import type { AlarmPlayer } from './player.js';

/** What one ring asks Spotify to do. */
export interface WakeUpRequest {
  contextUri: string;
  /** The alarm's device (name or id), or null. */
  device: string | null;
  shuffle: boolean;
  /** Volume to start at: 0 before a fade, else the alarm's volume. */
  startVolume: number;
  /** Wall ms this ring was due (the alarm time, or the end of a snooze). */
  due: number;
  /** Wall ms after which no further attempt starts (the end of the grace window). */
  deadline: number;
}

/** Collaborators and knobs of a wake-up. */
export interface WakeUpDeps {
  player: AlarmPlayer;
  clock: Clock;
  logger: Logger;
  memory: DeviceMemory;
  /** First back-off; doubles up to 30 s. */
  retryBaseMs: number;
  /** An absent configured device gives way to another after this long. */
  deviceFallbackMs: number;
  signal: AbortSignal;
  context?: object;
  /** Called as each step begins (the scheduler persists it). */
  onStep?: (step: WakeStep) => void;
  /** Called with each failed attempt's reason (the fallback sound quotes the latest). */
  onAttemptFailed?: (reason: string, kind: ErrorKind) => void;
}

/** Where the music plays and at what volume. */
export interface WakeUpResult {
  deviceId: string;
  deviceName: string;
  how: DeviceChoice['how'];
  /** Why another device than the configured one plays. */
  why?: string;
  /** False when the device refused volume control: it plays at its own volume. */
  volumeControllable: boolean;
  /** The device's volume before the alarm set its own (a lagging report may still show it). */
  priorVolume?: number;
  attempts: number;
}

/** The wake-up gave up: the error is permanent, or the retry window ended. */
export class WakeUpFailedError extends Error {
  override name = 'WakeUpFailedError';
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An error raised at a step, so the retry loop can look it up in the table. */
class StepFailure extends Error {
  constructor(
    readonly step: WakeStep,
    readonly error: unknown,
  ) {
    super(describeError(error));
  }
}

/** Longest back-off between attempts. */
const MAX_BACKOFF_MS = 30_000;

/**
 * Starts the music for one ring: resolve device → transfer → volume → shuffle → play, retried as
 * one unit with back-off until `deadline`. What an error means at each step comes from
 * `error-kinds.ts`: a locked volume is skipped (the device plays at its own volume), a dead
 * login gives up at once, anything transient is retried. Every attempt is logged.
 */
export async function wakeUp(req: WakeUpRequest, d: WakeUpDeps): Promise<WakeUpResult> {
  const ctx = d.context ?? {};
  for (let n = 1; ; n++) {
    d.signal.throwIfAborted();
    try {
      return { ...(await attempt(req, d, ctx)), attempts: n };
    } catch (failure) {
      d.signal.throwIfAborted();
      const step = failure instanceof StepFailure ? failure.step : 'resolve';
      const err = failure instanceof StepFailure ? failure.error : failure;
      const { kind, action } = actionFor(step, err);
      const reason = describeError(err);
      d.onAttemptFailed?.(reason, kind);
      const retryAfter = (err as { retryAfterMs?: unknown }).retryAfterMs;
      const wait =
        action === 'wait' && typeof retryAfter === 'number'
          ? retryAfter
          : Math.min(d.retryBaseMs * 2 ** (n - 1), MAX_BACKOFF_MS);
      const now = d.clock.now();
      if (action === 'give_up' || now + wait > req.deadline) {
        const why = action === 'give_up' ? `${kind} error at ${step}` : 'the retry window ended';
        d.logger.error(
          { ...ctx, attempt: n, step, kind, err: reason },
          `start playback failed; giving up (${why})`,
        );
        throw new WakeUpFailedError(reason, kind, n, { cause: err });
      }
      d.logger.warn(
        { ...ctx, attempt: n, step, kind, retryInMs: wait, err: reason },
        'start playback failed; retrying',
      );
      await d.clock.sleep(wait, d.signal);
    }
  }
}

async function attempt(
  req: WakeUpRequest,
  d: WakeUpDeps,
  ctx: object,
): Promise<Omit<WakeUpResult, 'attempts'>> {
  const log = d.logger;
  const run = async <T>(step: WakeStep, fn: () => Promise<T>): Promise<T> => {
    d.signal.throwIfAborted();
    d.onStep?.(step);
    try {
      return await fn();
    } catch (err) {
      throw new StepFailure(step, err);
    }
  };
  const { choice, prior } = await run('resolve', async () => {
    const listed = await d.player.getDevices();
    d.memory.remember(listed);
    const choice = chooseDevice({
      listed,
      preferred: req.device,
      remembered: (x) => d.memory.find(x),
      lastSeen: d.memory.list()[0],
      waitedMs: d.clock.now() - req.due,
      fallbackAfterMs: d.deviceFallbackMs,
    });
    const prior = listed.find((x) => x.id === choice.id)?.volume_percent;
    return { choice, prior: typeof prior === 'number' ? prior : undefined };
  });
  logChoice(log, ctx, req, choice);
  if (!choice.active) {
    await run('transfer', async () => {
      log.info({ ...ctx, device: choice.name }, 'transferring playback');
      await d.player.transferPlayback(choice.id, false);
    });
  }
  let volumeControllable = choice.supportsVolume;
  if (volumeControllable) {
    try {
      await run('volume', () => d.player.setVolume(req.startVolume, choice.id));
    } catch (failure) {
      const err = failure instanceof StepFailure ? failure.error : failure;
      const { kind, action } = actionFor('volume', err);
      if (action !== 'skip') throw failure;
      volumeControllable = false;
      if (kind === 'volume_locked') d.memory.markVolumeLocked(choice.id);
      log.warn(
        { ...ctx, device: choice.name, kind, err: describeError(err) },
        'volume not controllable; playing at the device volume',
      );
    }
  } else {
    log.info(
      { ...ctx, device: choice.name },
      'device does not support volume control; playing at its own volume',
    );
  }
  try {
    await run('shuffle', () => d.player.setShuffle(req.shuffle, choice.id));
  } catch (failure) {
    log.warn(
      { ...ctx, err: failure instanceof Error ? failure.message : String(failure) },
      'could not set shuffle; playing anyway',
    );
  }
  await run('play', async () => {
    const play = await playRequestFor(d.player, req.contextUri);
    await d.player.play({ ...play, deviceId: choice.id });
  });
  d.memory.remember([{ id: choice.id, name: choice.name, is_active: true }]);
  log.info(
    { ...ctx, device: choice.name, volume: volumeControllable ? req.startVolume : null },
    'playback started',
  );
  return {
    deviceId: choice.id,
    deviceName: choice.name,
    how: choice.how,
    ...(choice.why ? { why: choice.why } : {}),
    volumeControllable,
    ...(prior !== undefined ? { priorVolume: prior } : {}),
  };
}

function logChoice(log: Logger, ctx: object, req: WakeUpRequest, c: DeviceChoice): void {
  const base = { ...ctx, device: c.name, choice: c.how };
  if (c.why && req.device) {
    log.warn(
      { ...base, wanted: req.device, why: c.why },
      'alarm device: preferred device not available, trying the active device',
    );
  }
  if (c.how === 'preferred') log.info(base, 'alarm device: preferred device found');
  else if (c.how === 'remembered')
    log.info(base, 'alarm device: not listed; addressing it by its remembered id');
  else if (c.how === 'active') log.info(base, 'alarm device: using the active device');
  else log.info(base, 'alarm device: using the first available device');
}
