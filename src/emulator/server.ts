import type { EmulatorOptions, RunningEmulator } from './types.js';

/** Starts the emulator's HTTP server (Accounts + Web API + /__emulator admin routes). */
export async function startEmulator(_options: EmulatorOptions = {}): Promise<RunningEmulator> {
  throw new Error('startEmulator: not implemented yet');
}
