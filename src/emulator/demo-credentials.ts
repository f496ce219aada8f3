/**
 * Credentials of the emulator's seeded demo account. They are public demo values that only the
 * local emulator accepts, never real Spotify secrets, so printing them is fine.
 */
export const DEMO_CLIENT_ID = 'spotipi-demo-client';
export const DEMO_CLIENT_SECRET = 'spotipi-demo-secret';
export const DEMO_REFRESH_TOKEN = 'spotipi-demo-refresh-token';
export const DEMO_USER_ID = 'spotipi-demo';
