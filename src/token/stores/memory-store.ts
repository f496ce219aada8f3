import type { TokenRecord, TokenStore } from '../types.js';

/** The default store: keeps the record in this process only (lost on restart). */
export class MemoryStore implements TokenStore {
  readonly kind = 'memory';
  private record: TokenRecord | undefined;

  /** Starts with `initial` when given (e.g. a refresh token from configuration). */
  constructor(initial?: TokenRecord) {
    this.record = initial ? { ...initial } : undefined;
  }

  /** Returns a copy of the record, so callers cannot change the stored one. */
  async load(): Promise<TokenRecord | undefined> {
    return this.record ? { ...this.record } : undefined;
  }

  /** Replaces the record with a copy of `record`. */
  async save(record: TokenRecord): Promise<void> {
    this.record = { ...record };
  }

  /** Drops the access token if it is still `accessToken`, keeping the refresh token. */
  async invalidate(accessToken: string): Promise<boolean> {
    if (!this.record || this.record.accessToken !== accessToken) return false;
    this.record = withoutAccessToken(this.record);
    return true;
  }
}

/** The record minus its access token and the times that describe it. */
export function withoutAccessToken(record: TokenRecord): TokenRecord {
  const { accessToken: _a, expiresAt: _e, obtainedAt: _o, expiresIn: _i, scope: _s, ...rest } = record;
  return rest;
}

/** Creates a memory store. */
export function createMemoryStore(initial?: TokenRecord): MemoryStore {
  return new MemoryStore(initial);
}
