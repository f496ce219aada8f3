import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The Spotify app registered through first-run setup (web or `spotipi setup`), in the state dir. */
export const SPOTIFY_APP_FILE = 'spotify-app.json';

/** What the file holds. */
export interface StoredSpotifyApp {
  client_id: string;
  /** Absent for a public (PKCE-only) app. */
  client_secret?: string;
  /** ISO time of the setup. */
  configured_at: string;
}

/** Path of the app file in `stateDir`. */
export function spotifyAppPath(stateDir: string): string {
  return join(stateDir, SPOTIFY_APP_FILE);
}

/**
 * Reads the app file synchronously (configuration is loaded synchronously); undefined when it is
 * missing or unusable (a broken file must not stop the server: demo mode and setup still work).
 */
export function readSpotifyAppSync(stateDir: string): StoredSpotifyApp | undefined {
  try {
    const data = JSON.parse(readFileSync(spotifyAppPath(stateDir), 'utf8')) as Partial<StoredSpotifyApp>;
    if (typeof data.client_id !== 'string' || data.client_id.trim() === '') return undefined;
    return {
      client_id: data.client_id,
      ...(typeof data.client_secret === 'string' && data.client_secret
        ? { client_secret: data.client_secret }
        : {}),
      configured_at: typeof data.configured_at === 'string' ? data.configured_at : '',
    };
  } catch {
    return undefined;
  }
}

/** Writes the app file atomically with mode 0600 (it may hold the client secret). */
export async function writeSpotifyApp(stateDir: string, app: StoredSpotifyApp): Promise<void> {
  await writeFileAtomic(spotifyAppPath(stateDir), `${JSON.stringify(app, null, 2)}\n`, { mode: 0o600 });
}
