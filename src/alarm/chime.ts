/**
 * SpotiPi's own alarm chime, generated rather than shipped as a recording: a rising three-note
 * bell (C6, E6, G6, then the chord) made of sine partials with exponential decay, written as a
 * 16-bit mono PCM WAV that `aplay` and every other player understand.
 */

/** Sample rate of the chime; 22.05 kHz is plenty for bell partials and keeps the file small. */
export const CHIME_SAMPLE_RATE = 22_050;

/** One struck note: when, which pitch, how loud. */
interface Strike {
  at: number;
  hz: number;
  gain: number;
}

/** Bell-like partials (ratio to the fundamental, relative level, decay time constant in s). */
const PARTIALS: readonly [number, number, number][] = [
  [1, 1, 1.1],
  [2, 0.45, 0.6],
  [3.01, 0.22, 0.35],
  [4.2, 0.12, 0.2],
];

const STRIKES: readonly Strike[] = [
  { at: 0, hz: 1046.5, gain: 0.8 },
  { at: 0.35, hz: 1318.5, gain: 0.8 },
  { at: 0.7, hz: 1568.0, gain: 0.8 },
  { at: 1.3, hz: 1046.5, gain: 0.5 },
  { at: 1.3, hz: 1318.5, gain: 0.5 },
  { at: 1.3, hz: 1568.0, gain: 0.5 },
];

/** Length of the chime in seconds (the chord rings out before the loop starts it again). */
export const CHIME_SECONDS = 3.2;

/** The chime's samples in -1..1, peak-normalised to `peak` with a 5 ms attack and a silent tail. */
export function chimeSamples(sampleRate = CHIME_SAMPLE_RATE, peak = 0.7): Float64Array {
  const n = Math.round(CHIME_SECONDS * sampleRate);
  const out = new Float64Array(n);
  const attack = 0.005;
  for (const strike of STRIKES) {
    const start = Math.round(strike.at * sampleRate);
    for (let i = start; i < n; i++) {
      const t = (i - start) / sampleRate;
      const envelope = Math.min(1, t / attack);
      let v = 0;
      for (const [ratio, level, tau] of PARTIALS) {
        v += level * Math.exp(-t / tau) * Math.sin(2 * Math.PI * strike.hz * ratio * t);
      }
      out[i] = (out[i] ?? 0) + strike.gain * envelope * v;
    }
  }
  // Fade the last 300 ms to exact silence so a loop never clicks.
  const fade = Math.round(0.3 * sampleRate);
  for (let i = n - fade; i < n; i++) out[i] = (out[i] ?? 0) * ((n - 1 - i) / fade);
  let max = 0;
  for (const v of out) max = Math.max(max, Math.abs(v));
  if (max > 0) for (let i = 0; i < n; i++) out[i] = ((out[i] ?? 0) / max) * peak;
  return out;
}

/** The chime as a complete WAV file (RIFF, PCM, 16-bit, mono). */
export function chimeWav(sampleRate = CHIME_SAMPLE_RATE): Buffer {
  const samples = chimeSamples(sampleRate);
  const dataBytes = samples.length * 2;
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28); // byte rate
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  samples.forEach((v, i) => {
    wav.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 44 + i * 2);
  });
  return wav;
}
