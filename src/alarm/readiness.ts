export interface Readiness {
  status: 'ok' | 'warning' | 'failing';
  reasons: string[]; // human sentences, e.g. "Spotify needs a new login"
  checked_at: string; // ISO 8601
}
