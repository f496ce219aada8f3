import { StaleWriteError } from '../errors.js';
import type { TokenRecord, TokenStore } from '../types.js';

/** The default store: keeps the record in this process only (lost on restart). Versioned. */
export class MemoryStore implements TokenStore {
  readonly kind = 'memory';
  readonly versioned = true;
  private record: TokenRecord | undefined;

  /** Starts with `initial` when given (e.g. a refresh token from configuration), as version 1. */
  constructor(initial?: TokenRecord) {
    this.record = initial ? { ...initial, version: initial.version ?? 1 } : undefined;
  }

  /** Returns a copy of the record, so callers cannot change the stored one. */
  async load(): Promise<TokenRecord | undefined> {
    return this.record ? { ...this.record } : undefined;
  }

  /** Replaces the record with a copy of `record` if the stored version is `expectedVersion`. */
  async save(record: TokenRecord, expectedVersion = 0): Promise<number> {
    this.record = { ...record, version: nextVersion(this.record?.version ?? 0, expectedVersion) };
    return this.record.version ?? 0;
  }

  /** Drops the access token if it is still `accessToken`, keeping the refresh token. */
  async invalidate(accessToken: string): Promise<boolean> {
    if (!this.record || this.record.accessToken !== accessToken) return false;
    this.record = { ...withoutAccessToken(this.record), version: (this.record.version ?? 0) + 1 };
    return true;
  }
}

/** The version a save gets, or a StaleWriteError when `stored` is not the one it replaces. */
export function nextVersion(stored: number, expected: number | undefined): number {
  const base = expected ?? 0;
  if (stored !== base)
    throw new StaleWriteError(`stale write: the store holds version ${stored}, not ${base}`, stored);
  return base + 1;
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
