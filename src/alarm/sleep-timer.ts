import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import * as z from 'zod';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { describeError } from './errors.js';
import { parseOrThrow, sleepInputSchema } from './model.js';
import { rampVolume, startPlayback } from './playback.js';
import type { AlarmPlayer } from './player.js';
import { JsonStateFile } from './state-file.js';

/** The sleep file's name inside the state dir. */
export const SLEEP_FILE = 'sleep.json';

/** Defaults applied when a sleep request omits a field (the original's `sleep_*` settings). */
export interface SleepDefaults {
  minutes: number;
  volume: number;
  context_uri: string | null;
  device: string | null;
  shuffle: boolean;
  fade_out_seconds: number;
}

/** The built-in defaults (as in the original: 30 min at volume 30). */
export const DEFAULT_SLEEP_DEFAULTS: SleepDefaults = {
  minutes: 30,
  volume: 30,
  context_uri: null,
  device: null,
  shuffle: false,
  fade_out_seconds: 30,
};

const defaultsSchema = z.object({
  minutes: z.number().int().min(1).max(720),
  volume: z.number().int().min(0).max(100),
  context_uri: z.string().nullable(),
  device: z.string().nullable(),
  shuffle: z.boolean(),
  fade_out_seconds: z.number().int().min(0).max(600),
});

const timerSchema = z.object({
  startedAt: z.number(),
  endsAt: z.number(),
  minutes: z.number(),
  fadeOutSeconds: z.number(),
  deviceId: z.string().nullable(),
  deviceName: z.string().nullable(),
  contextUri: z.string().nullable(),
  /** Volume before the fade-out began; saved so a restart mid-fade still restores it. */
  restoreVolume: z.number().optional(),
});
type Timer = z.infer<typeof timerSchema>;

const lastSchema = z.object({
  result: z.enum(['completed', 'cancelled', 'interrupted', 'failed', 'expired']),
  at: z.number(),
  reason: z.string().optional(),
});
type LastRun = z.infer<typeof lastSchema>;

const fileSchema = z.looseObject({
  version: z.literal(1),
  defaults: defaultsSchema,
  timer: timerSchema.nullable(),
  last: lastSchema.nullable(),
});
/** What `sleep.json` holds. */
export type SleepFile = z.infer<typeof fileSchema>;

/** `GET /api/sleep`. */
export interface SleepStatus {
  active: boolean;
  /** True while the fade-out runs. */
  ending: boolean;
  ends_at: string | null;
  remaining_seconds: number;
  minutes: number | null;
  device: string | null;
  context_uri: string | null;
  fade_out_seconds: number | null;
  /** Set when starting the music failed (the timer still runs). */
  playback_error?: string;
  last: { result: LastRun['result']; at: string; reason?: string } | null;
}

/** Options of the sleep timer; `stateDir` and `player` are required. */
export interface SleepTimerOptions {
  stateDir: string;
  player: AlarmPlayer;
  clock?: Clock;
  logger?: Logger;
  /** Overrides the built-in defaults until `sleep.json` has its own. */
  defaults?: Partial<SleepDefaults>;
  /** A timer that ran out while the server was down still fades out if at most this late; default 10 min. */
  graceMs?: number;
  maxSleepMs?: number;
  retryForMs?: number;
  retryBaseMs?: number;
  fadeStepMs?: number;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Plays something for N minutes, then fades out, pauses and puts the volume back. One timer at
 * a time; it is persisted, so a restart resumes the countdown.
 */
export class SleepTimer extends EventEmitter {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly file: JsonStateFile<SleepFile>;
  private doc: SleepFile;
  private run: AbortController | undefined;
  private task: Promise<void> | undefined;
  private ending = false;
  private playbackError: string | undefined;
  private readonly graceMs: number;
  private readonly maxSleepMs: number;

  constructor(private readonly opts: SleepTimerOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.file = new JsonStateFile(join(opts.stateDir, SLEEP_FILE), this.log, 'refuse');
    this.graceMs = opts.graceMs ?? 10 * 60_000;
    this.maxSleepMs = opts.maxSleepMs ?? 30_000;
    this.doc = {
      version: 1,
      defaults: { ...DEFAULT_SLEEP_DEFAULTS, ...opts.defaults },
      timer: null,
      last: null,
    };
  }

  /** Loads the saved timer and resumes it (or finishes it if it ran out while down). */
  async start(): Promise<void> {
    await this.load();
    const timer = this.doc.timer;
    if (!timer) return;
    const late = this.clock.now() - timer.endsAt;
    if (late > this.graceMs) {
      this.log.warn({}, 'sleep timer ran out while the server was down; leaving playback alone');
      this.finish({ result: 'expired', at: this.clock.now(), reason: 'ran out while the server was down' });
      await this.file.flush();
      return;
    }
    this.log.info({ endsAt: new Date(timer.endsAt).toISOString() }, 'sleep timer resumed');
    this.schedule();
  }

  /** Reads `sleep.json` without resuming the countdown (for offline edits such as import-config). */
  async load(): Promise<void> {
    const loaded = await this.file.load((raw) => fileSchema.parse(raw));
    if (loaded) this.doc = loaded;
  }

  /** Stops the countdown without touching playback, keeping the timer on disk for the next start. */
  async close(): Promise<void> {
    this.run?.abort();
    await this.task;
    await this.file.flush();
  }

  /** The stored defaults. */
  defaults(): SleepDefaults {
    return { ...this.doc.defaults };
  }

  /** Replaces some defaults (validated) and saves them. */
  async setDefaults(patch: Partial<SleepDefaults>): Promise<SleepDefaults> {
    const next = defaultsSchema.parse({ ...this.doc.defaults, ...patch });
    this.doc = { ...this.doc, defaults: next };
    await this.save();
    return this.defaults();
  }

  /** Current timer state. */
  status(): SleepStatus {
    const t = this.doc.timer;
    const last = this.doc.last
      ? {
          result: this.doc.last.result,
          at: new Date(this.doc.last.at).toISOString(),
          ...(this.doc.last.reason ? { reason: this.doc.last.reason } : {}),
        }
      : null;
    if (!t) {
      return {
        active: false,
        ending: false,
        ends_at: null,
        remaining_seconds: 0,
        minutes: null,
        device: null,
        context_uri: null,
        fade_out_seconds: null,
        last,
      };
    }
    return {
      active: true,
      ending: this.ending,
      ends_at: new Date(t.endsAt).toISOString(),
      remaining_seconds: Math.max(0, Math.ceil((t.endsAt - this.clock.now()) / 1000)),
      minutes: t.minutes,
      device: t.deviceName,
      context_uri: t.contextUri,
      fade_out_seconds: t.fadeOutSeconds,
      ...(this.playbackError ? { playback_error: this.playbackError } : {}),
      last,
    };
  }

  /**
   * Starts (or replaces) the timer. With a `context_uri` it first starts that music at the sleep
   * volume; if that fails the timer still runs and the status says why. Omitted `minutes`,
   * `volume`, `device` and `fade_out_seconds` come from the defaults; music plays only when
   * asked for (a client that offers "no music" sends no `context_uri`).
   */
  async begin(input: unknown): Promise<SleepStatus> {
    const req = parseOrThrow(sleepInputSchema, input);
    const d = this.doc.defaults;
    this.run?.abort();
    await this.task;
    const now = this.clock.now();
    const minutes = req.minutes ?? d.minutes;
    const fadeOutSeconds = req.fade_out_seconds ?? d.fade_out_seconds;
    const timer: Timer = {
      startedAt: now,
      endsAt: now + minutes * 60_000,
      minutes,
      fadeOutSeconds,
      deviceId: null,
      deviceName: null,
      contextUri: req.context_uri ?? null,
    };
    this.playbackError = undefined;
    if (req.context_uri) {
      try {
        const device = await startPlayback(
          this.opts.player,
          {
            contextUri: req.context_uri,
            device: req.device ?? d.device,
            shuffle: d.shuffle,
            startVolume: req.volume ?? d.volume,
          },
          {
            clock: this.clock,
            logger: this.log,
            retryForMs: this.opts.retryForMs ?? 10_000,
            retryBaseMs: this.opts.retryBaseMs ?? 1_000,
            context: { sleep: true },
          },
        );
        timer.deviceId = device.id;
        timer.deviceName = device.name;
      } catch (err) {
        this.playbackError = describeError(err);
        this.log.warn({ err: this.playbackError }, 'could not start sleep music; the timer runs anyway');
      }
    }
    this.doc = { ...this.doc, timer };
    await this.save();
    this.log.info({ minutes, fadeOutSeconds }, 'sleep timer started');
    this.schedule();
    this.emit('changed', this.status());
    return this.status();
  }

  /**
   * Lets go of the speaker because an alarm starts: the timer ends at once, without fading or
   * pausing, so its fade-out can never fade the alarm (even one mid-way through its fade-out).
   */
  async yieldToAlarm(alarmLabel: string): Promise<void> {
    if (!this.doc.timer) return;
    this.run?.abort();
    await this.task;
    if (!this.doc.timer) return;
    this.finish({ result: 'cancelled', at: this.clock.now(), reason: `alarm "${alarmLabel}" started` });
    await this.file.flush();
    this.log.info({ alarm: alarmLabel }, 'sleep timer ended: an alarm takes the speaker');
  }

  /** Cancels the timer (playback continues). Returns false when none was running. */
  async cancel(): Promise<boolean> {
    if (!this.doc.timer) return false;
    this.run?.abort();
    await this.task;
    this.finish({ result: 'cancelled', at: this.clock.now() });
    await this.file.flush();
    this.log.info({}, 'sleep timer cancelled');
    return true;
  }

  private save(): Promise<void> {
    return this.file.save(this.doc);
  }

  private finish(last: LastRun): void {
    this.doc = { ...this.doc, timer: null, last };
    this.ending = false;
    this.playbackError = undefined;
    this.save().catch((err) => this.log.error({ err: describeError(err) }, 'could not save the sleep timer'));
    this.emit('changed', this.status());
  }

  private schedule(): void {
    const ctl = new AbortController();
    this.run = ctl;
    const task = this.countdown(ctl.signal).catch((err) => {
      if (!ctl.signal.aborted) this.log.error({ err: describeError(err) }, 'sleep timer failed');
    });
    this.task = task.finally(() => {
      if (this.task === task) this.task = undefined;
    });
  }

  private async countdown(signal: AbortSignal): Promise<void> {
    for (;;) {
      const timer = this.doc.timer;
      if (!timer || signal.aborted) return;
      const left = timer.endsAt - this.clock.now();
      if (left <= 0) break;
      // Bounded sleeps so a wall-clock jump is noticed.
      await this.clock.sleep(Math.min(left, this.maxSleepMs), signal);
    }
    const timer = this.doc.timer;
    if (!timer) return;
    this.ending = true;
    this.emit('changed', this.status());
    this.log.info({}, 'sleep timer ran out; fading out');
    const outcome = await this.fadeOutAndPause(timer, signal);
    if (signal.aborted) return;
    this.finish(outcome);
    this.log.info({ result: outcome.result }, 'sleep timer done');
  }

  private async fadeOutAndPause(timer: Timer, signal: AbortSignal): Promise<LastRun> {
    const player = this.opts.player;
    let state: Awaited<ReturnType<AlarmPlayer['getPlaybackState']>>;
    try {
      state = await player.getPlaybackState();
    } catch (err) {
      return { result: 'failed', at: this.clock.now(), reason: describeError(err) };
    }
    const device = state?.device;
    if (!state?.is_playing || !device?.id) {
      return { result: 'completed', at: this.clock.now(), reason: 'nothing was playing' };
    }
    const current = typeof device.volume_percent === 'number' ? device.volume_percent : undefined;
    const restore = timer.restoreVolume ?? current;
    if (restore !== undefined && timer.restoreVolume === undefined) {
      this.doc = { ...this.doc, timer: { ...timer, restoreVolume: restore } };
      // Not awaited: the fade must not wait on the disk; saves are serialised.
      this.save().catch((err) =>
        this.log.warn({ err: describeError(err) }, 'could not save the sleep timer'),
      );
    }
    let paused = false;
    if (timer.fadeOutSeconds > 0 && current !== undefined && current > 0) {
      const outcome = await rampVolume(player, {
        clock: this.clock,
        logger: this.log,
        deviceId: device.id,
        from: current,
        to: 0,
        durationMs: timer.fadeOutSeconds * 1000,
        stepMs: this.opts.fadeStepMs ?? 3_000,
        signal,
        context: { sleep: true },
      });
      if (outcome === 'aborted') return { result: 'cancelled', at: this.clock.now() };
      if (outcome === 'user_changed') {
        // Someone turned the volume: they are awake, leave the music alone.
        return { result: 'interrupted', at: this.clock.now(), reason: 'volume changed during the fade-out' };
      }
      paused = outcome === 'user_paused';
    }
    // An alarm took the speaker during the fade: neither pause it nor put the old volume back.
    if (signal.aborted) return { result: 'cancelled', at: this.clock.now() };
    const problems: string[] = [];
    try {
      if (!paused) await player.pause(device.id);
    } catch (err) {
      problems.push(`pause: ${describeError(err)}`);
    }
    if (restore !== undefined && !signal.aborted) {
      try {
        await player.setVolume(restore, device.id);
      } catch (err) {
        problems.push(`restore volume: ${describeError(err)}`);
      }
    }
    if (problems.length > 0) return { result: 'failed', at: this.clock.now(), reason: problems.join('; ') };
    return { result: 'completed', at: this.clock.now() };
  }
}
