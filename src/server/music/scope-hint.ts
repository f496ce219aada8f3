import { SpotifyApiError } from '../../spotify/errors.js';
import { HttpError } from '../errors.js';

/**
 * Spotify answers 403 "Insufficient client scope" when the login predates a permission SpotiPi
 * now asks for (listening history, top items, liking). Spotify gives no reason code for it, so the
 * message is the only sign. The user's fix is to log in again, which grants the new scopes.
 */
export async function withScopeHint<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof SpotifyApiError && err.status === 403 && /scope/i.test(err.spotifyMessage ?? '')) {
      throw new HttpError(
        403,
        `Spotify has not allowed SpotiPi to ${what} yet: log in again at /login to grant it.`,
        { loginUrl: '/login' },
      );
    }
    throw err;
  }
}
