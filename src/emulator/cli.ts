import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN } from './demo-credentials.js';
import { startEmulator } from './server.js';
import type { EmulatorOptions, RunningEmulator } from './types.js';

export interface EmulatorCliOptions extends Omit<EmulatorOptions, 'clock' | 'logger'> {
  /** Where to print the banner; default process.stdout.write. */
  write?: (text: string) => void;
}

/** Starts the emulator for `spotipi emulator` and prints its URL and the demo credentials. */
export async function runEmulatorCli(options: EmulatorCliOptions = {}): Promise<RunningEmulator> {
  const { write = (text: string) => process.stdout.write(text), ...emulatorOptions } = options;
  const emulator = await startEmulator(emulatorOptions);
  const lifetime = emulatorOptions.tokenLifetimeSec ?? 3600;
  write(
    [
      `Spotify emulator listening on ${emulator.url}`,
      '',
      'Point SpotiPi (or any Spotify client) at it:',
      `  SPOTIFY_ACCOUNTS_URL=${emulator.url}`,
      `  SPOTIFY_API_URL=${emulator.url}`,
      `  SPOTIFY_CLIENT_ID=${options.clientId ?? DEMO_CLIENT_ID}`,
      `  SPOTIFY_CLIENT_SECRET=${options.clientSecret ?? DEMO_CLIENT_SECRET}`,
      `  SPOTIFY_REFRESH_TOKEN=${options.refreshTokens?.[0] ?? DEMO_REFRESH_TOKEN}`,
      '',
      `These are demo values accepted only by this emulator. Access tokens live ${lifetime} s;`,
      `refresh-token rotation is ${emulatorOptions.rotateRefreshTokens ? 'on' : 'off'}.`,
      `Counters: ${emulator.url}/__emulator/stats`,
      '',
    ].join('\n'),
  );
  return emulator;
}
