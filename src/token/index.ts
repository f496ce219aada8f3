/** Public entry of `spotipi/token`: a generic OAuth2 access-token cache and its stores. */
export { systemClock } from './clock.js';
export {
  PermanentRefreshError,
  ReauthorizationRequiredError,
  RefreshTimeoutError,
  RetryableRefreshError,
  StaleWriteError,
  StoreReadError,
  StoreTimeoutError,
  TokenError,
  TokenUnavailableError,
} from './errors.js';
export type {
  NearExpiryEvent,
  ReauthorizationEvent,
  RefreshedEvent,
  RefreshFailedEvent,
  TokenCacheEvents,
} from './events.js';
export { fingerprint } from './fingerprint.js';
export { ManualClock } from './manual-clock.js';
export { CacheMetrics } from './metrics.js';
export type { TokenCacheOptions } from './options.js';
export type { TokenCacheSnapshot } from './snapshot.js';
export type { FileStoreOptions } from './stores/file-store.js';
export { createFileStore, FileStore, parseTokenFile, TOKEN_FILE_VERSION } from './stores/file-store.js';
export { createMemoryStore, MemoryStore } from './stores/memory-store.js';
export { SharedMemoryBackend, SharedMemoryStore } from './stores/shared-memory-store.js';
export { TokenCache } from './token-cache.js';
export type {
  CacheState,
  Clock,
  Logger,
  RefreshContext,
  RefreshFn,
  RefreshResult,
  StoreChangeInfo,
  StoreHealth,
  StoreLock,
  TokenProvider,
  TokenRecord,
  TokenStore,
} from './types.js';
