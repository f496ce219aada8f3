/**
 * The sleep timer's defaults (`/api/sleep/settings`), read once and shared: the sleep card fills
 * its form from them and the settings card edits three of them; both asking would be two requests
 * for one answer.
 */
import { api } from './api.js';

/** @type {Promise<any>|null} */
let pending = null;

/** The defaults, fetched on the first call; a failed fetch is asked again next time. */
export function loadSleepDefaults() {
  pending ??= api.get('/api/sleep/settings', { quiet: true }).catch((error) => {
    pending = null;
    throw error;
  });
  return pending;
}

/** Saves a change (`PUT /api/sleep/settings`) and returns the defaults the server now holds. */
export async function saveSleepDefaults(patch, options = {}) {
  const saved = await api.put('/api/sleep/settings', patch, options);
  pending = Promise.resolve(saved);
  return saved;
}
