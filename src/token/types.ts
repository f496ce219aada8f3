/**
 * Contracts of the token cache. The cache is generic OAuth2: nothing here knows about
 * Spotify or any HTTP framework.
 */

/** What a refresh function returns: one freshly granted access token. */
export interface RefreshResult {
  accessToken: string;
  /** Lifetime in seconds, as OAuth2 `expires_in`. */
  expiresIn: number;
  /** Present when the provider rotated the refresh token; the cache persists it before use. */
  refreshToken?: string;
  scope?: string;
}

/** Passed to the refresh function on each attempt. */
export interface RefreshContext {
  /** The newest refresh token the store holds (undefined for grants that need none). */
  refreshToken: string | undefined;
  /** Aborted when the attempt times out or the cache is closed. */
  signal: AbortSignal;
  /** 1 for the first attempt of a refresh, 2 for its first retry, ... */
  attempt: number;
}

/** Performs one upstream token request. Throw typed errors from `./errors.js` to steer retries. */
export type RefreshFn = (ctx: RefreshContext) => Promise<RefreshResult>;

/** What a store persists. Times are wall-clock epoch milliseconds so they survive restarts. */
export interface TokenRecord {
  accessToken?: string;
  /** Wall-clock epoch ms at which the access token expires (no buffer applied). */
  expiresAt?: number;
  /** Wall-clock epoch ms at which the access token was obtained. */
  obtainedAt?: number;
  /** Lifetime granted, in seconds (kept so limits derived from it survive a reload). */
  expiresIn?: number;
  refreshToken?: string;
  scope?: string;
  /**
   * Fingerprint of the externally supplied refresh token this record was seeded from
   * (e.g. an environment variable). Lets the app tell "same seed, keep the rotated one"
   * from "new seed, replace".
   */
  seedFingerprint?: string;
  /**
   * Set by the store: 1 for the first write, one more for every later save or invalidation.
   * Never goes back; a save names the version it replaces (see `TokenStore.save`).
   */
  version?: number;
  /** Identifies the grant (one login, or one seed) the refresh token belongs to. A login makes a new one. */
  grantId?: string;
  /** Wall-clock epoch ms at which the user authorized this grant (the login). */
  authorizedAt?: number;
  /** True when `authorizedAt` is a guess: a refresh token seeded from configuration, first used then. */
  authorizedAtEstimated?: boolean;
  /**
   * Wall-clock epoch ms at which the user disconnected the account: this record holds no refresh
   * token on purpose. (A shared store keeps the stored refresh token of a record that merely
   * omits one, so no writer drops the fleet's login by accident.)
   */
  disconnectedAt?: number;
}

/** Detail of a change published by a shared store. */
export interface StoreChangeInfo {
  /** `fingerprint()` of the access token an invalidation dropped. */
  invalidatedFingerprint?: string;
}

/** A held cross-process refresh lock. */
export interface StoreLock {
  /** Releases the lock if this holder still owns it (compare-and-delete). */
  release(): Promise<void>;
  /**
   * Resets the lock's TTL to `ttlMs` if this holder still owns it; false when it expired or was
   * taken over meanwhile. The cache renews a lock while its refresh runs, so a slow but live
   * holder keeps it and only a dead one loses it by expiry.
   */
  extend?(ttlMs: number): Promise<boolean>;
}

/** Store health as shown in status output. */
export interface StoreHealth {
  state: 'ok' | 'degraded';
  reason?: string;
}

/**
 * Where the cache keeps its token between calls, restarts and processes.
 *
 * The contract (README, "The store contract"): every record carries a `version` that the store
 * raises by one on each write and that never goes back. `save(record, expectedVersion)` is a
 * compare-and-set: it writes only while the stored version is still `expectedVersion` (0 = no
 * record) and otherwise throws `StaleWriteError`, after which the cache re-reads and adopts the
 * newer record instead of overwriting it. `load()` returns undefined only for "no record": a
 * record that exists but cannot be read or decrypted throws (`StoreReadError`), so nobody seeds
 * over it. Stores that do this declare `versioned: true`.
 *
 * Single-process stores implement `load`, `save` and `invalidate`; shared stores (Redis) add the
 * optional lock/wait/notify methods, and the cache uses them when present.
 */
export interface TokenStore {
  /** Short name for status output: 'memory', 'file', 'redis', ... */
  readonly kind: string;
  /**
   * True when `save` honours `expectedVersion` and `load` returns the record's `version`. A store
   * without it (written to the contract before versions) still works on its own, last writer
   * wins; a *shared* store (one with `acquireLock`) without it is refused by the cache.
   */
  readonly versioned?: boolean;
  /** Reads the record; undefined when there is none. Throws when one exists but cannot be read. */
  load(): Promise<TokenRecord | undefined>;
  /**
   * Replaces the record durably if its stored version is still `expectedVersion` (0 or undefined:
   * there must be no record), storing it as `expectedVersion + 1`; throws `StaleWriteError` when
   * the stored version differs, or when a record exists that cannot be read. Returns the new version.
   */
  save(record: TokenRecord, expectedVersion?: number): Promise<number | undefined> | Promise<unknown>;
  /**
   * Drops the access token (keeping the refresh token) only if the stored one is still
   * `accessToken`, raising the version. Returns true when it was dropped.
   */
  invalidate(accessToken: string): Promise<boolean>;
  /** Tries to take the fleet-wide refresh lock for `ttlMs`; undefined when someone else holds it. */
  acquireLock?(ttlMs: number): Promise<StoreLock | undefined>;
  /**
   * Resolves with the record once its access token differs from `current` (another holder
   * refreshed), or with undefined after `timeoutMs`.
   */
  waitForChange?(current: string | undefined, timeoutMs: number): Promise<TokenRecord | undefined>;
  /**
   * Subscribes to changes made elsewhere (a new token, an invalidation, a new refresh token);
   * a store does not echo a connection's own writes back to it. Returns unsubscribe.
   * For an invalidation, pass the record without its access token and, when known,
   * `info.invalidatedFingerprint` so holders of a newer token keep it.
   */
  onChange?(listener: (record: TokenRecord | undefined, info?: StoreChangeInfo) => void): () => void;
  /** Current health; absent means always ok. */
  health?(): StoreHealth;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}

/** Time source. `now()` is wall-clock epoch ms; `monotonic()` never jumps (ms, arbitrary origin). */
export interface Clock {
  now(): number;
  monotonic(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Milliseconds since boot, counting time the system was suspended (which `monotonic()` does not
   * count on Linux). Read only when the wall clock disagrees with the monotonic one, to tell a
   * suspend (the token aged meanwhile) from a wall-clock step (it did not). Without it, a suspend
   * goes unnoticed and a token that expired meanwhile may be handed out once.
   */
  sinceBoot?(): number;
}

/** Minimal structured logger (pino-compatible subset). Never pass tokens to it. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the rest of the app needs from a token source (the Spotify client depends on this only). */
export interface TokenProvider {
  getAccessToken(): Promise<string>;
  /** For a 401: drop the cached token only if it is still `rejectedToken`. */
  invalidate(rejectedToken?: string): void;
}

/** Lifecycle state shown in snapshots. */
export type CacheState =
  | 'empty'
  | 'valid'
  | 'refreshing'
  | 'refreshing_ahead'
  | 'expired'
  | 'error'
  | 'reauthorization_required';
