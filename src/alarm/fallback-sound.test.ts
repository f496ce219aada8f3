import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHIME_SAMPLE_RATE, CHIME_SECONDS, chimeSamples, chimeWav } from './chime.js';
import { CHIME_FILE, CommandFallbackSound, resolveFallbackCommand } from './fallback-sound.js';
import { RecordingLogger } from './test-helpers.js';

/** A fake player: a script that appends its arguments to `log` and "plays" for `seconds`. */
function fakePlayer(seconds = 0.05): { dir: string; script: string; log: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'spotipi-fallback-'));
  const log = join(dir, 'invocations.log');
  const script = join(dir, 'fake-player.sh');
  writeFileSync(script, `#!/bin/sh\necho "$@" >> "${log}"\nsleep ${seconds}\n`);
  chmodSync(script, 0o755);
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
  return { dir, script, log, calls };
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the generated chime', () => {
  it('is a valid 16-bit mono PCM WAV of the chime length', () => {
    const wav = chimeWav();
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(wav.readUInt32LE(24)).toBe(CHIME_SAMPLE_RATE);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.readUInt32LE(40)).toBe(Math.round(CHIME_SECONDS * CHIME_SAMPLE_RATE) * 2);
    expect(wav.length).toBe(44 + wav.readUInt32LE(40));
  });

  it('is audible, never clips, and ends in silence so the loop does not click', () => {
    const s = chimeSamples();
    const peak = Math.max(...s.map(Math.abs));
    expect(peak).toBeCloseTo(0.7, 5);
    expect(s[s.length - 1]).toBe(0);
    // Loud in the first second (three struck notes), quiet in the last tenth.
    const rms = (from: number, to: number) =>
      Math.sqrt(s.slice(from, to).reduce((sum, v) => sum + v * v, 0) / (to - from));
    expect(rms(0, CHIME_SAMPLE_RATE)).toBeGreaterThan(0.05);
    expect(rms(s.length - CHIME_SAMPLE_RATE / 10, s.length)).toBeLessThan(0.01);
  });
});

describe('resolveFallbackCommand', () => {
  it('is off for "off", splits a configured command, and defaults to aplay only when it is on the PATH', () => {
    expect(resolveFallbackCommand('off')).toBeNull();
    expect(resolveFallbackCommand(' paplay  --volume 65536 ')).toEqual(['paplay', '--volume', '65536']);
    const { dir } = fakePlayer();
    expect(resolveFallbackCommand(undefined, dir)).toBeNull();
    writeFileSync(join(dir, 'aplay'), '#!/bin/sh\n');
    chmodSync(join(dir, 'aplay'), 0o755);
    expect(resolveFallbackCommand(undefined, `/nonexistent:${dir}`)).toEqual(['aplay', '-q']);
  });
});

describe('CommandFallbackSound with a fake player command', () => {
  it('plays the chime from the state dir again and again until the last ringing alarm stops', async () => {
    const player = fakePlayer();
    const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-state-'));
    const sound = new CommandFallbackSound({ command: [player.script, '-q'], stateDir, gapMs: 10 });
    sound.start('a', 'no device');
    sound.start('a', 'no device'); // idempotent
    sound.start('b', 'no device');
    await until(() => player.calls().length >= 3);
    const chime = join(stateDir, CHIME_FILE);
    expect(player.calls()[0]).toBe(`-q ${chime}`);
    expect(readFileSync(chime).equals(chimeWav())).toBe(true);
    sound.stop('a');
    expect(sound.isRinging()).toBe(true);
    const before = player.calls().length;
    await until(() => player.calls().length > before);
    sound.stop('b');
    expect(sound.isRinging()).toBe(false);
    await sound.close();
    const stopped = player.calls().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(player.calls().length).toBe(stopped);
  });

  it('kills a long-playing player at once when stopped', async () => {
    const player = fakePlayer(30);
    const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-state-'));
    const sound = new CommandFallbackSound({ command: [player.script], stateDir, gapMs: 10 });
    sound.start('a', 'x');
    await until(() => player.calls().length === 1);
    const t0 = Date.now();
    sound.stop('a');
    await sound.close();
    // Far below the fake player's 30 s: the player was killed, not waited for.
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('logs a missing player and keeps retrying slowly instead of spinning', async () => {
    const logger = new RecordingLogger();
    const stateDir = mkdtempSync(join(tmpdir(), 'spotipi-state-'));
    const sound = new CommandFallbackSound({
      command: ['/nonexistent/player'],
      stateDir,
      logger,
      retryMs: 60_000,
    });
    sound.start('a', 'Spotify down');
    await until(() => logger.find('fallback player could not be started').length === 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(sound.plays).toBe(1);
    await sound.close();
  });

  it('with the sound off, says so in the log and plays nothing', async () => {
    const logger = new RecordingLogger();
    const sound = new CommandFallbackSound({ command: null, stateDir: tmpdir(), logger });
    sound.start('a', 'Spotify down');
    expect(logger.find('fallback sound is off')).toHaveLength(1);
    expect(sound.plays).toBe(0);
    await sound.close();
  });
});
