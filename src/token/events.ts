/** Payload of the 'refreshed' event. */
export interface RefreshedEvent {
  cache: string;
  fingerprint: string;
  expiresAt: string;
  /** 'upstream' when this cache refreshed, 'store' when it adopted another process's token. */
  source: 'upstream' | 'store';
  /** True when the provider rotated the refresh token. */
  rotated: boolean;
  durationMs: number;
}

/** Payload of the 'refresh_failed' event (one per failed refresh, after its retries). */
export interface RefreshFailedEvent {
  cache: string;
  error: string;
  /** True when a usable token remained, so no caller failed. */
  background: boolean;
  attempts: number;
}

/** Payload of the 'near_expiry' event. */
export interface NearExpiryEvent {
  cache: string;
  fingerprint: string;
  remainingMs: number;
}

/** Payload of the 'reauthorization_required' event. */
export interface ReauthorizationEvent {
  cache: string;
  error: string;
}

/** Events a TokenCache emits; payloads never contain a token. */
export type TokenCacheEvents = {
  refreshed: [RefreshedEvent];
  refresh_failed: [RefreshFailedEvent];
  near_expiry: [NearExpiryEvent];
  reauthorization_required: [ReauthorizationEvent];
};
