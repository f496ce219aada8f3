import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { systemClock } from '../token/clock.js';
import type { Clock, Logger } from '../token/types.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { chimeWav } from './chime.js';
import type { FallbackSound } from './fallback-port.js';

/** The chime's file name inside the state dir (written at first use). */
export const CHIME_FILE = 'fallback-chime.wav';

/** Options of the command-driven fallback sound. */
export interface CommandFallbackOptions {
  /** Player argv (the chime's path is appended); null disables the sound (logged at each ring). */
  command: readonly string[] | null;
  /** Directory the chime is written to (the state dir). */
  stateDir: string;
  clock?: Clock;
  logger?: Logger;
  /** Pause between two plays of the chime; default 1 s. */
  gapMs?: number;
  /** Pause before trying again after the player failed (not found, exit code ≠ 0); default 30 s. */
  retryMs?: number;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The player command from `SPOTIPI_FALLBACK_COMMAND`: `off` disables it, other text is split on
 * spaces into argv; unset means `aplay -q` when aplay is on the PATH, else none.
 */
export function resolveFallbackCommand(
  setting: string | undefined,
  path = process.env.PATH ?? '',
): string[] | null {
  const text = setting?.trim();
  if (text === 'off') return null;
  if (text) return text.split(/\s+/);
  return findOnPath('aplay', path) ? ['aplay', '-q'] : null;
}

/** True when an executable `name` is in one of `path`'s directories. */
function findOnPath(name: string, path: string): boolean {
  return path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/**
 * Rings through the machine's own audio output: plays the generated chime with the configured
 * command again and again while any alarm wants it, and kills the player as soon as none does.
 */
export class CommandFallbackSound implements FallbackSound {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly gapMs: number;
  private readonly retryMs: number;
  /** Alarm id -> why Spotify failed, for each alarm that wants the sound. */
  private readonly wanted = new Map<string, string>();
  private loop: Promise<void> | undefined;
  private child: ChildProcess | undefined;
  private pause = new AbortController();
  private chimePath: string | undefined;
  /** Times the player was started (for status and tests). */
  plays = 0;

  constructor(private readonly opts: CommandFallbackOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? noopLogger;
    this.gapMs = opts.gapMs ?? 1_000;
    this.retryMs = opts.retryMs ?? 30_000;
  }

  /** {@inheritDoc FallbackSound.start} */
  start(alarmId: string, reason: string): void {
    if (this.wanted.has(alarmId)) return;
    this.wanted.set(alarmId, reason);
    if (!this.opts.command) {
      this.log.warn(
        { alarm: alarmId, reason },
        'fallback sound is off (SPOTIPI_FALLBACK_COMMAND); nothing rings here',
      );
      return;
    }
    this.log.warn({ alarm: alarmId, reason }, 'Spotify did not start; ringing the fallback chime');
    this.ensureLoop();
  }

  private ensureLoop(): void {
    this.loop ??= this.run().then(
      () => {
        this.loop = undefined;
        // An alarm that started ringing while the loop was winding down.
        if (this.wanted.size > 0) this.ensureLoop();
      },
      (err: unknown) => {
        this.loop = undefined;
        this.log.error({ err: (err as Error).message }, 'fallback sound failed');
      },
    );
  }

  /** {@inheritDoc FallbackSound.stop} */
  stop(alarmId: string): void {
    if (!this.wanted.delete(alarmId)) return;
    this.log.info({ alarm: alarmId }, 'fallback chime stopped');
    if (this.wanted.size === 0) this.silence();
  }

  /** True while some alarm (or `alarmId`) wants the sound. */
  isRinging(alarmId?: string): boolean {
    return alarmId === undefined ? this.wanted.size > 0 : this.wanted.has(alarmId);
  }

  /** Stops everything and waits for the player to exit. */
  async close(): Promise<void> {
    this.wanted.clear();
    this.silence();
    await this.loop;
  }

  private silence(): void {
    this.pause.abort();
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      this.child?.kill('SIGTERM');
    }
  }

  private async run(): Promise<void> {
    const command = this.opts.command;
    if (!command) return;
    const file = await this.chime();
    while (this.wanted.size > 0) {
      this.pause = new AbortController();
      const ok = await this.playOnce(command, file);
      if (this.wanted.size === 0) break;
      try {
        await this.clock.sleep(ok ? this.gapMs : this.retryMs, this.pause.signal);
      } catch {
        // Stopped during the pause.
      }
    }
  }

  /** Plays the chime once; false when the player could not run or failed. */
  private playOnce(command: readonly string[], file: string): Promise<boolean> {
    const [bin, ...args] = command;
    return new Promise((done) => {
      let settled = false;
      const resolve = (ok: boolean) => {
        if (!settled) done(ok);
        settled = true;
      };
      let child: ChildProcess;
      try {
        // Its own process group, so stopping also ends whatever a wrapper script started.
        child = spawn(bin ?? '', [...args, file], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
      } catch (err) {
        this.log.error({ command: bin, err: (err as Error).message }, 'fallback player could not be started');
        resolve(false);
        return;
      }
      this.child = child;
      this.plays++;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-300);
      });
      child.once('error', (err) => {
        this.log.error({ command: bin, err: err.message }, 'fallback player could not be started');
        resolve(false);
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        const ok = code === 0 || signal === 'SIGTERM';
        if (!ok && this.wanted.size > 0) {
          this.log.error({ command: bin, code, signal, stderr: stderr.trim() }, 'fallback player failed');
        }
        resolve(ok);
      });
    });
  }

  /** Writes the generated chime into the state dir once (again if someone changed the file). */
  private async chime(): Promise<string> {
    const path = join(this.opts.stateDir, CHIME_FILE);
    if (this.chimePath) return this.chimePath;
    const wav = chimeWav();
    let current: Buffer | undefined;
    try {
      current = readFileSync(path);
    } catch {
      current = undefined;
    }
    if (!current?.equals(wav)) await writeFileAtomic(path, wav, { mode: 0o600 });
    this.chimePath = path;
    return path;
  }
}
