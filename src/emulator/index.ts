/** The Spotify emulator: Accounts + Web API on one local origin, with a seeded demo account. */

export { type EmulatorCliOptions, runEmulatorCli } from './cli.js';
export { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN, DEMO_USER_ID } from './demo-credentials.js';
export { startEmulator } from './server.js';
export type {
  EmulatorOptions,
  EmulatorPlayback,
  EmulatorStats,
  FaultKind,
  FaultSpec,
  RunningEmulator,
} from './types.js';
