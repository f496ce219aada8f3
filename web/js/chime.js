/**
 * A bell chime played with Web Audio, for a page that must ring by itself when the server's
 * fallback sound starts (Spotify could not play the alarm). Browsers only let audio start after
 * a tap: call `unlock()` from a click handler first (opening the clock does).
 */
export class Chime {
  /** @param {typeof AudioContext|undefined} [AudioContextCtor] */
  constructor(AudioContextCtor = globalThis.AudioContext ?? globalThis.webkitAudioContext) {
    this.Ctor = AudioContextCtor;
    /** @type {AudioContext|null} */
    this.ctx = null;
    this.timer = undefined;
  }

  /** True while ringing. */
  get ringing() {
    return this.timer !== undefined;
  }

  /** True until a tap has allowed sound (no context yet, or the browser keeps it suspended). */
  get needsTap() {
    return Boolean(this.Ctor) && (this.ctx === null || this.ctx.state === 'suspended');
  }

  /** Creates (or resumes) the audio context; call from a user gesture. */
  unlock() {
    if (!this.Ctor) return;
    this.ctx ??= new this.Ctor();
    if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
  }

  /** Starts ringing: a two-tone bell every 1.5 s until `stop()`; idempotent. */
  start() {
    if (this.timer !== undefined) return;
    this.unlock();
    const ring = () => {
      this.strike(880, 0);
      this.strike(660, 0.35);
    };
    ring();
    this.timer = setInterval(ring, 1500);
  }

  /** Stops ringing; a no-op when silent. */
  stop() {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One decaying bell tone `delay` seconds from now. */
  strike(frequency, delay) {
    const ctx = this.ctx;
    if (!ctx) return;
    const start = ctx.currentTime + delay;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(frequency, start);
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.6, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 1.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start);
    osc.stop(start + 1.25);
  }
}
